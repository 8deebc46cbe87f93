//! `rootspan mcp`: the MCP server over standard input and output (newline-delimited JSON-RPC),
//! for coding agents that start it as a subprocess. Standard output carries only protocol
//! messages; diagnostics go to standard error. `rootspan serve` offers the same tools over
//! streamable HTTP at `/mcp`.

use crate::store::StoreArgs;
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let server = rootspan_mcp::McpServer::new(args.store.app()?);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(answer) = server.handle_text(&line) {
            let mut text = serde_json::to_string(&answer)?;
            text.push('\n');
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                other => other?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
