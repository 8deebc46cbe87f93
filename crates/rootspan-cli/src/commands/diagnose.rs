//! `rootspan diagnose TRACE_ID`: did this run fail, in which failure mode, where did it start (the
//! first faulty span), why (evidence), and how did it propagate (causal chain, blame per span).
//! `--file PATH` diagnoses a trace file without a store. Exit code 1 when a finding at or above
//! `--fail-on` (default high) exists, so CI can gate on it; 2 on error. The JSON schema is
//! documented in docs/diagnose-schema.md.

use crate::output::{clip, print_json};
use crate::store::{StoreArgs, load_tree};
use anyhow::{Context, bail};
use rootspan_analysis::{DiagnoseOptions, Diagnosis, Severity, diagnose};
use rootspan_model::{Span, SpanTree, trace_id_hex};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The trace: 32 hex digits or a unique prefix (optional with --file when the file holds one trace).
    pub trace_id: Option<String>,
    /// Diagnose a trace file (OTLP protobuf/JSON, TRAIL, native JSONL, message logs) instead of the store.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The answer the run should have given; a final answer that contradicts it is a finding.
    #[arg(long, value_name = "TEXT")]
    pub expected_answer: Option<String>,
    /// Exit with 1 when a finding at or above this severity exists (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Only run these detectors (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Print the full diagnosis as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| format!("unknown severity {text:?}: use info, low, medium, high or critical"))
}

/// Groups spans by trace id.
pub fn trees_by_trace(spans: Vec<Span>) -> BTreeMap<String, SpanTree> {
    let mut grouped: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for span in spans {
        grouped.entry(trace_id_hex(&span.trace_id)).or_default().push(span);
    }
    grouped.into_iter().map(|(id, spans)| (id, SpanTree::build(spans))).collect()
}

fn tree_from_file(path: &std::path::Path, wanted: Option<&str>) -> anyhow::Result<SpanTree> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let imported = rootspan_ingest::import_file(path, &bytes, None)?;
    let mut trees = trees_by_trace(imported.spans);
    match wanted {
        Some(prefix) => {
            let prefix = prefix.to_lowercase();
            let matches: Vec<String> = trees.keys().filter(|id| id.starts_with(&prefix)).cloned().collect();
            match matches.as_slice() {
                [one] => Ok(trees.remove(one).unwrap_or_else(|| SpanTree::build(Vec::new()))),
                [] => bail!("trace {prefix} is not in {}", path.display()),
                _ => bail!("trace prefix {prefix} is ambiguous in {}", path.display()),
            }
        }
        None if trees.len() == 1 => Ok(trees.into_values().next().unwrap_or_else(|| SpanTree::build(Vec::new()))),
        None if trees.is_empty() => bail!("{} holds no spans", path.display()),
        None => bail!(
            "{} holds {} traces; name one: {}",
            path.display(),
            trees.len(),
            trees.keys().take(10).cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let tree = match &args.file {
        Some(path) => tree_from_file(path, args.trace_id.as_deref())?,
        None => {
            let Some(trace) = &args.trace_id else { bail!("name a trace (TRACE_ID) or a file (--file PATH)") };
            let store = args.store.open()?;
            load_tree(store.as_ref(), trace)?
        }
    };
    let options = DiagnoseOptions {
        expected_answer: args.expected_answer.clone(),
        only: args.only.clone(),
        ..DiagnoseOptions::default()
    };
    let diagnosis = diagnose(&tree, &options);
    if args.json {
        print_json(&diagnosis)?;
    } else {
        print_human(&diagnosis);
    }
    Ok(if diagnosis.has_findings_at(args.fail_on) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print_human(diagnosis: &Diagnosis) {
    println!("trace {}", diagnosis.trace_id);
    if diagnosis.failure_mode == "none" {
        println!("no failure found ({} finding(s) below the failure threshold)", diagnosis.findings.len());
    } else {
        println!("FAILED: {}", diagnosis.failure_mode);
    }
    if let Some(root) = &diagnosis.root_cause {
        println!("root cause: {} ({})", root.span_name, root.span_id);
    }
    if diagnosis.causal_chain.len() > 1 {
        let chain: Vec<String> =
            diagnosis.causal_chain.iter().map(|link| format!("{} [{}]", link.span_name, link.role)).collect();
        println!("chain: {}", chain.join(" -> "));
    }
    for finding in &diagnosis.findings {
        println!(
            "\n  [{}] {} at {} ({}), confidence {:.2}\n  {}",
            finding.severity.as_str(),
            finding.detector,
            finding.span_name,
            finding.span_id,
            finding.confidence,
            finding.message
        );
        for line in finding.evidence.iter().take(4) {
            println!("    > {}", clip(&line.replace('\n', " "), 160));
        }
    }
    if !diagnosis.blame.is_empty() {
        println!("\nblame:");
        for blame in diagnosis.blame.iter().take(5) {
            println!("  {:.2}  {} ({})", blame.score, blame.span_name, blame.span_id);
        }
    }
}
