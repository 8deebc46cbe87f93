//! `rootspan ingest FILE_OR_DIR...`: loads trace files offline into the store.

use crate::output::print_json;
use crate::store::StoreArgs;
use indicatif::{ProgressBar, ProgressStyle};
use rootspan_store::WriteBatch;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Files or directories (searched recursively) to load.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Project the traces belong to (default: the resource attribute rootspan.project, else "default").
    #[arg(long)]
    pub project: Option<String>,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub redact: super::redaction::RedactArgs,
}

/// What happened to one file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: Option<String>,
    pub spans: u64,
    pub logs: u64,
    pub rejected: u64,
    pub messages: Vec<String>,
    pub error: Option<String>,
    /// Why the file was not ingested (empty, not valid JSON, unknown format, nothing in it).
    pub skipped: Option<String>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub spans: u64,
    pub logs: u64,
    pub traces: u64,
    pub rejected: u64,
    pub failed_files: u64,
    pub skipped_files: u64,
}

const BATCH_SPANS: usize = 20_000;

/// Files inside directories are read only when their extension can hold traces.
fn has_trace_extension(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".pb", ".json", ".jsonl", ".ndjson", ".otlp", ".protobuf", ".bin"].iter().any(|ext| name.ends_with(ext))
}

fn collect(path: &Path, explicit: bool, out: &mut Vec<(PathBuf, bool)>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            collect(&entry, false, out)?;
        }
    } else if explicit || has_trace_extension(path) {
        out.push((path.to_owned(), explicit));
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut app = args.store.app()?;
    app.config.redactor = Some(args.redact.redactor(&crate::config::load()?)?);
    let mut files = Vec::new();
    for path in &args.paths {
        if !path.exists() {
            anyhow::bail!("{} does not exist", path.display());
        }
        collect(path, true, &mut files)?;
    }
    let total_bytes: u64 = files.iter().map(|(p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();
    let progress = if !args.json && (files.len() > 20 || total_bytes > 20 * 1024 * 1024) {
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut report =
        Report { files: Vec::new(), spans: 0, logs: 0, traces: 0, rejected: 0, failed_files: 0, skipped_files: 0 };
    let mut touched = std::collections::BTreeSet::new();
    for (path, explicit) in files {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        progress.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let mut file_report = FileReport {
            path: path.display().to_string(),
            format: None,
            spans: 0,
            logs: 0,
            rejected: 0,
            messages: Vec::new(),
            error: None,
            skipped: None,
        };
        let result = (|| -> anyhow::Result<()> {
            let bytes = std::fs::read(&path)?;
            if let Some(reason) = skip_reason(&path, &bytes, explicit) {
                file_report.skipped = Some(reason);
                return Ok(());
            }
            let imported = match rootspan_ingest::import_file(&path, &bytes, args.project.as_deref()) {
                Ok(imported) => imported,
                Err(error) if error.kind == rootspan_ingest::IngestErrorKind::Empty => {
                    file_report.skipped = Some(format!("nothing to ingest: {}", without_path(&error.message, &path)));
                    return Ok(());
                }
                Err(error) if error.kind == rootspan_ingest::IngestErrorKind::Unsupported => {
                    match json_fault(&path, &bytes) {
                        Some(fault) => anyhow::bail!("{fault}"),
                        None => anyhow::bail!("{}: {}", error.kind, without_path(&error.message, &path)),
                    }
                }
                Err(error) => anyhow::bail!("{}: {}", error.kind, without_path(&error.message, &path)),
            };
            file_report.format = Some(format!("{:?}", imported.format));
            file_report.rejected = imported.rejected;
            file_report.messages = imported.messages;
            file_report.spans = imported.spans.len() as u64;
            file_report.logs = imported.logs.len() as u64;
            if file_report.spans == 0 && file_report.logs == 0 {
                if file_report.rejected > 0 {
                    let first = file_report.messages.first().map(String::as_str).unwrap_or("invalid");
                    anyhow::bail!("all {} items rejected (first: {first})", file_report.rejected);
                }
                file_report.skipped = Some("no spans or log records in it".to_owned());
                return Ok(());
            }
            touched.extend(imported.spans.iter().map(|s| s.trace_id));
            let mut spans = imported.spans;
            let mut logs = imported.logs;
            while !spans.is_empty() || !logs.is_empty() {
                let rest = spans.split_off(spans.len().min(BATCH_SPANS));
                app.write(WriteBatch::new(spans, std::mem::take(&mut logs)))?;
                spans = rest;
            }
            Ok(())
        })();
        if let Err(error) = result {
            file_report.error = Some(format!("{error:#}"));
            report.failed_files += 1;
            progress.suspend(|| eprintln!("error: {}: {error:#}", path.display()));
        } else if let Some(reason) = &file_report.skipped {
            report.skipped_files += 1;
            progress.suspend(|| eprintln!("skipped: {}: {reason}", path.display()));
        } else if file_report.rejected > 0 {
            let total = file_report.rejected + file_report.spans + file_report.logs;
            progress.suspend(|| {
                eprintln!("rejected: {}: {} of {total} items rejected", path.display(), file_report.rejected)
            });
        }
        report.spans += file_report.spans;
        report.logs += file_report.logs;
        report.rejected += file_report.rejected;
        report.files.push(file_report);
        progress.inc(size);
    }
    progress.finish_and_clear();
    report.traces = touched.len() as u64;
    app.refresh(touched.into_iter().collect());
    if args.json {
        print_json(&report)?;
    } else {
        let mut trouble = Vec::new();
        if report.rejected > 0 {
            trouble.push(format!("{} rejected", report.rejected));
        }
        if report.skipped_files > 0 {
            trouble.push(format!("{} {} skipped", report.skipped_files, plural_files(report.skipped_files)));
        }
        if report.failed_files > 0 {
            trouble.push(format!("{} {} failed", report.failed_files, plural_files(report.failed_files)));
        }
        let ingested = report.files.len() as u64 - (report.failed_files + report.skipped_files);
        println!(
            "ingested {} spans, {} log records, {} traces from {ingested} {}{}",
            report.spans,
            report.logs,
            report.traces,
            plural_files(ingested),
            if trouble.is_empty() { String::new() } else { format!(" ({})", trouble.join(", ")) }
        );
        for file in report.files.iter().filter(|f| f.error.is_none() && f.skipped.is_none()) {
            for message in file.messages.iter().take(3) {
                println!("  {}: {message}", file.path);
            }
        }
    }
    Ok(if report.failed_files > 0 || report.skipped_files > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Why a file is not even tried: empty, or (inside a directory) of no format rootspan reads.
/// Files named on the command line are tried anyway, so their error says what is wrong.
fn skip_reason(path: &Path, bytes: &[u8], explicit: bool) -> Option<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some("empty file".to_owned());
    }
    if explicit || rootspan_ingest::detect_format(path, bytes).is_some() {
        return None;
    }
    Some(json_fault(path, bytes).unwrap_or_else(|| {
        "unknown format (expected OTLP protobuf/JSON, TRAIL JSON, rootspan JSONL, Who&When or AgentRx)".to_owned()
    }))
}

/// "not valid JSON: ..." for a file that looks like one JSON document (not JSONL) and is not.
fn json_fault(path: &Path, bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).and_then(|at| bytes.get(at));
    if !matches!(start, Some(b'{' | b'[')) {
        return None;
    }
    // JSONL files are read line by line; anything else is one JSON document.
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str::<serde::de::IgnoredAny>(&text).err().map(|error| format!("not valid JSON: {error}"))
}

fn plural_files(count: u64) -> &'static str {
    if count == 1 { "file" } else { "files" }
}

/// An ingest error message without the file path it starts with (the report names the file).
fn without_path<'a>(message: &'a str, path: &Path) -> &'a str {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message)
}
