//! `rootspan replay serve FILE`: serves a recording to the unchanged agent (OpenAI- and
//! Anthropic-compatible, a tool endpoint, MCP); `rootspan replay step FILE STEP`: re-runs one
//! recorded LLM step against a real endpoint and shows old and new side by side;
//! `rootspan replay mcp FILE`: the recorded tools as an MCP server over stdio.

use crate::output::print_json;
use anyhow::Context;
use rootspan_replay::compare::Tolerance;
use rootspan_replay::step::{StepOverrides, compare_answers, llm_step, step_request};
use rootspan_replay::{Recording, ReplaySummary, Replayer};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve a recording: /v1/chat/completions, /v1/responses, /v1/messages, /v1/tools/NAME, /mcp.
    Serve(ServeArgs),
    /// Re-run one recorded LLM step against an OpenAI-compatible endpoint, old and new side by side.
    Step(StepArgs),
    /// Serve the recorded tool results as an MCP server over standard input and output.
    Mcp(McpArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ToleranceArgs {
    /// Share of a text (0 to 1) that may differ from the recording, whitespace collapsed.
    #[arg(long, default_value_t = 0.0)]
    pub tolerance: f64,
    /// Do not compare model names.
    #[arg(long)]
    pub ignore_model: bool,
    /// Do not compare the tools offered to the model.
    #[arg(long)]
    pub ignore_tools: bool,
    /// Do not compare system messages.
    #[arg(long)]
    pub ignore_system: bool,
}

impl ToleranceArgs {
    pub fn tolerance(&self) -> anyhow::Result<Tolerance> {
        anyhow::ensure!((0.0..=1.0).contains(&self.tolerance), "--tolerance must be between 0 and 1");
        Ok(Tolerance {
            text: self.tolerance,
            ignore_model: self.ignore_model,
            ignore_tools: self.ignore_tools,
            ignore_system: self.ignore_system,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The recording (from `rootspan record export` or a TraceWriter).
    pub file: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4319")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
    /// Write the summary (consumed, unconsumed, diverged steps) as JSON to this file at the end.
    #[arg(long)]
    pub summary_out: Option<PathBuf>,
    /// Stop by itself once every step was consumed (or a call was refused).
    #[arg(long)]
    pub exit_when_done: bool,
}

#[derive(Debug, clap::Args)]
pub struct StepArgs {
    pub file: PathBuf,
    /// The step id of an llm_call event.
    pub step: u64,
    /// Base URL of an OpenAI-compatible API (POST {endpoint}/chat/completions).
    #[arg(long, env = "ROOTSPAN_STEP_ENDPOINT")]
    pub endpoint: String,
    /// Environment variable holding the API key (never printed).
    #[arg(long, default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// Use this model instead of the recorded one.
    #[arg(long)]
    pub model: Option<String>,
    /// Replace the system message.
    #[arg(long)]
    pub system: Option<String>,
    /// Append to the system message.
    #[arg(long)]
    pub append_system: Option<String>,
    /// Replace the text of message N (0-based): `N=TEXT`. Repeatable.
    #[arg(long = "message", value_name = "N=TEXT")]
    pub messages: Vec<String>,
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Print JSON: `step`, `model`, `old`, `new`, `same`, `same_tool_calls`, `text_difference`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct McpArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve(args) => serve(args),
        Command::Step(args) => step(args),
        Command::Mcp(args) => mcp(args),
    }
}

fn load(file: &std::path::Path) -> anyhow::Result<Recording> {
    Ok(Recording::load(file)?)
}

/// Prints a replay summary for humans on standard error.
pub fn print_summary(summary: &ReplaySummary) {
    eprintln!(
        "replay: {} of {} steps consumed ({} tool calls run by the agent itself), {} unconsumed, {} diverged, {} refused calls",
        summary.consumed.len() + summary.observed.len(),
        summary.steps,
        summary.observed.len(),
        summary.unconsumed.len(),
        summary.diverged.len(),
        summary.failures.len()
    );
    for step in &summary.unconsumed {
        eprintln!("  unconsumed: step {} ({} {})", step.step, step.kind, step.name);
    }
    for failure in &summary.failures {
        eprintln!("  refused: {}", failure.message);
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let recording = load(&args.file)?;
    for missing in &recording.header.missing {
        eprintln!(
            "note: step {} ({} {}) has no content and will fail if asked for: {}",
            missing.step, missing.kind, missing.name, missing.reason
        );
    }
    let steps = recording.events.len();
    let replayer = Arc::new(Mutex::new(Replayer::new(recording, args.tolerance.tolerance()?)));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build()?;
    let state = replayer.clone();
    let exit_when_done = args.exit_when_done;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        eprintln!("replaying {steps} steps of {} on http://{address}/v1 (OpenAI), http://{address} (Anthropic), http://{address}/mcp", args.file.display());
        let watched = state.clone();
        let shutdown = async move {
            let done = async {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    let summary = watched.lock().unwrap_or_else(|p| p.into_inner()).summary();
                    if summary.unconsumed.is_empty() || !summary.failures.is_empty() {
                        // Let the last answer reach the client.
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                        return;
                    }
                }
            };
            if exit_when_done {
                tokio::select! { _ = done => {}, _ = crate::commands::serve::shutdown_signal() => {} }
            } else {
                crate::commands::serve::shutdown_signal().await;
            }
        };
        axum::serve(listener, rootspan_replay::server::router(state)).with_graceful_shutdown(shutdown).await?;
        anyhow::Ok(())
    })?;
    let summary = replayer.lock().unwrap_or_else(|p| p.into_inner()).summary();
    print_summary(&summary);
    if let Some(path) = &args.summary_out {
        std::fs::write(path, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if summary.complete { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn step(args: StepArgs) -> anyhow::Result<ExitCode> {
    let recording = load(&args.file)?;
    let event = llm_step(&recording, args.step)?;
    let mut overrides = StepOverrides {
        system: args.system.clone(),
        append_system: args.append_system.clone(),
        model: args.model.clone(),
        temperature: args.temperature,
        ..StepOverrides::default()
    };
    for text in &args.messages {
        let (index, body) = text.split_once('=').with_context(|| format!("--message {text:?}: use N=TEXT"))?;
        let index: usize = index.trim().parse().with_context(|| format!("--message {text:?}: N is a number"))?;
        overrides.messages.push((index, body.to_owned()));
    }
    let request = step_request(event, &overrides)?;
    let model = request["model"].as_str().unwrap_or("").to_owned();
    let url = format!("{}/chat/completions", args.endpoint.trim_end_matches('/'));
    let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(120)).build()?;
    let mut call = client.post(&url).json(&request);
    if let Ok(key) = std::env::var(&args.api_key_env)
        && !key.is_empty()
    {
        call = call.bearer_auth(key);
    }
    let response = call.send().with_context(|| format!("calling {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().with_context(|| format!("reading the answer of {url}"))?;
    if !status.is_success() {
        anyhow::bail!("{url} answered {status}: {}", body["error"]["message"].as_str().unwrap_or(&body.to_string()));
    }
    let comparison = compare_answers(event, &model, &body);
    if args.json {
        print_json(&comparison)?;
    } else {
        let show = |m: &rootspan_model::Message| -> String {
            let mut text = m.content.clone();
            for call in &m.tool_calls {
                text.push_str(&format!("\n→ {}({})", call.name, call.arguments));
            }
            text
        };
        println!("step {} ({}), recorded and new answers:", comparison.step, comparison.model);
        println!("--- recorded\n{}\n--- new\n{}", show(&comparison.old), show(&comparison.new));
        println!(
            "{}",
            if comparison.same {
                "same answer".to_owned()
            } else {
                format!(
                    "different: tool calls {}, {:.0}% of the text differs",
                    if comparison.same_tool_calls { "same" } else { "differ" },
                    comparison.text_difference * 100.0
                )
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn mcp(args: McpArgs) -> anyhow::Result<ExitCode> {
    let recording = load(&args.file)?;
    let mut replayer = Replayer::new(recording, args.tolerance.tolerance()?);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(message) => rootspan_replay::mcp::handle(&mut replayer, &message),
            Err(e) => Some(
                serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": format!("not JSON: {e}")}}),
            ),
        };
        if let Some(answer) = answer {
            let mut text = serde_json::to_string(&answer)?;
            text.push('\n');
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => break,
                other => other?,
            }
        }
    }
    print_summary(&replayer.summary());
    Ok(ExitCode::SUCCESS)
}
