//! `rootspan export TRACE_ID --format otlp-json|otlp-proto|jsonl`: gives a stored trace back.

use crate::store::StoreArgs;
use anyhow::Context;
use rootspan_app::traces::ExportFormat;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Trace id (32 hex digits, or a unique prefix).
    pub trace_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, default_value = "otlp-json", value_parser = ["otlp-json", "otlp-proto", "jsonl"])]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let format = ExportFormat::parse(&args.format).with_context(|| format!("unknown format {:?}", args.format))?;
    let bytes = app.export_trace(&args.trace_id, format)?;
    match args.output {
        Some(path) => std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?,
        None => match std::io::stdout().lock().write_all(&bytes) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        },
    }
    Ok(ExitCode::SUCCESS)
}
