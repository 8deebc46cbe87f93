//! `rootspan record export TRACE_ID --out FILE`: a stored trace as a recording for replay. Steps
//! whose content the trace did not capture are named on standard error, with the reason.

use crate::output::print_json;
use crate::store::StoreArgs;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the recording of a stored trace (JSON lines; docs/recording-format.md).
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Trace id (32 hex digits, or a unique prefix).
    pub trace_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The recording file to write.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Exit 1 when any step lacks the content replay needs.
    #[arg(long)]
    pub require_complete: bool,
    /// Print JSON: `file`, `steps`, `by_kind` and `missing` (step, kind, name, reason).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let recording = app.record_export(&args.trace_id)?;
    recording.save(&args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    for event in &recording.events {
        *by_kind.entry(event.kind.to_string()).or_default() += 1;
    }
    let missing = &recording.header.missing;
    if args.json {
        print_json(&serde_json::json!({
            "file": args.out.display().to_string(),
            "trace_id": recording.header.trace_id,
            "steps": recording.events.len(),
            "by_kind": by_kind,
            "missing": missing,
        }))?;
    } else {
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("wrote {} steps ({}) to {}", recording.events.len(), kinds.join(", "), args.out.display());
    }
    if !missing.is_empty() {
        eprintln!("{} step(s) cannot be replayed, their content was not captured:", missing.len());
        for step in missing {
            eprintln!("  step {} ({} {}): {}", step.step, step.kind, step.name, step.reason);
        }
        if args.require_complete {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
