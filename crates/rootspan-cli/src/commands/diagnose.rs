//! `rootspan diagnose TRACE_ID`: did this run fail, in which failure mode, where did it start (the
//! first faulty span), why (evidence), and how did it propagate (causal chain, blame per span).
//! `--file PATH` diagnoses a trace file without a store. Exit code 1 when a finding at or above
//! `--fail-on` (default high) exists, so CI can gate on it; 2 on error. The JSON schema is
//! documented in docs/diagnose-schema.md.

use crate::output::{clip, print_json};
use crate::store::StoreArgs;
use anyhow::bail;
use rootspan_analysis::{DiagnoseOptions, Diagnosis, Severity, diagnose};
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

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let tree = match &args.file {
        Some(path) => rootspan_app::traces::tree_from_file(path, args.trace_id.as_deref())?,
        None => {
            let Some(trace) = &args.trace_id else { bail!("name a trace (TRACE_ID) or a file (--file PATH)") };
            args.store.app()?.load_tree(trace)?
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
