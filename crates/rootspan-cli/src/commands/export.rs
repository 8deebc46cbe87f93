//! `rootspan export TRACE_ID --format otlp-json|otlp-proto|jsonl`: gives a stored trace back.

use crate::store::{StoreArgs, resolve_trace};
use anyhow::Context;
use prost::Message;
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
    let store = args.store.open()?;
    let id = resolve_trace(store.as_ref(), &args.trace_id)?;
    let spans = store.get_trace(&id)?.with_context(|| format!("trace {} is not in the store", args.trace_id))?;
    let mut bytes = Vec::new();
    match args.format.as_str() {
        "otlp-json" => {
            bytes.extend_from_slice(rootspan_ingest::spans_to_otlp_json(&spans).as_bytes());
            bytes.push(b'\n');
        }
        "otlp-proto" => bytes = rootspan_ingest::spans_to_request(&spans).encode_to_vec(),
        _ => rootspan_ingest::write_jsonl(&spans, &mut bytes)?,
    }
    match args.output {
        Some(path) => std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?,
        None => match std::io::stdout().lock().write_all(&bytes) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        },
    }
    Ok(ExitCode::SUCCESS)
}
