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
    let app = args.store.app()?;
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
    let mut report = Report { files: Vec::new(), spans: 0, logs: 0, traces: 0, rejected: 0, failed_files: 0 };
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
        };
        let result = (|| -> anyhow::Result<()> {
            let bytes = std::fs::read(&path)?;
            if !explicit && rootspan_ingest::detect_format(&path, &bytes).is_none() {
                file_report.error = Some("skipped: not a trace file".into());
                return Ok(());
            }
            let imported = match rootspan_ingest::import_file(&path, &bytes, args.project.as_deref()) {
                Ok(imported) => imported,
                Err(error) if !explicit && error.kind == rootspan_ingest::IngestErrorKind::Empty => {
                    file_report.error = Some(format!("skipped: not a trace file ({error})"));
                    return Ok(());
                }
                Err(error) => return Err(error.into()),
            };
            file_report.format = Some(format!("{:?}", imported.format));
            file_report.rejected = imported.rejected;
            file_report.messages = imported.messages;
            file_report.spans = imported.spans.len() as u64;
            file_report.logs = imported.logs.len() as u64;
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
            if !args.json {
                eprintln!("error: {}: {error:#}", path.display());
            }
        } else if file_report.error.is_some() {
            progress.inc(size);
            continue;
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
        println!(
            "ingested {} spans, {} log records, {} traces from {} files{}",
            report.spans,
            report.logs,
            report.traces,
            report.files.len() - report.failed_files as usize,
            if report.rejected > 0 { format!(" ({} rejected)", report.rejected) } else { String::new() }
        );
        for file in report.files.iter().filter(|f| f.rejected > 0) {
            for message in file.messages.iter().take(3) {
                println!("  {}: {message}", file.path);
            }
        }
    }
    Ok(if report.failed_files > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
