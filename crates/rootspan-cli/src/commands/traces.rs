//! `rootspan traces`: list traces, newest first, with filters. Each row shows its OTel status and
//! the verdict of the stored diagnosis: `FAILED (silent)` when a failure was diagnosed although no
//! span reported an error (the run "succeeded" with a wrong answer), `FAILED` when a failure was
//! diagnosed and spans reported errors, `error` for error spans the diagnosis did not call a
//! failure, `ok` otherwise; then the failure mode (as `rootspan diagnose` names it). `--json`
//! gives the same as `failure_mode` and `silent_failure`.

use crate::output::{clip, color_enabled, duration, money, paint, print_json, timestamp};
use crate::store::StoreArgs;
use crate::time::{parse_duration_ns, parse_time_ns};
use rootspan_store::{TraceFilter, TraceListItem};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this service.
    #[arg(long)]
    pub service: Option<String>,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Started at or after: RFC 3339 (2025-03-01T12:00:00Z), a date, unix ns, or an age (30m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Started before (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Only traces with this status: error or ok.
    #[arg(long, value_parser = ["error", "ok"])]
    pub status: Option<String>,
    /// Only traces with an error span (same as --status error).
    #[arg(long)]
    pub errors: bool,
    /// Only traces at least this long (500ms, 2s, 1m).
    #[arg(long, value_name = "DURATION")]
    pub min_duration: Option<String>,
    /// Only traces that called this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only traces that called this tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// Only traces of this session/conversation.
    #[arg(long)]
    pub session: Option<String>,
    /// Full-text search over prompts, outputs, tool arguments/results and errors (all words must match).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// At most this many traces.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let has_error = if args.errors { Some(true) } else { args.status.as_deref().map(|s| s == "error") };
    let filter = TraceFilter {
        project: args.project,
        service: args.service,
        start_from_unix_nano: args.since.as_deref().map(parse_time_ns).transpose()?,
        start_to_unix_nano: args.until.as_deref().map(parse_time_ns).transpose()?,
        has_error,
        min_duration_ns: args.min_duration.as_deref().map(parse_duration_ns).transpose()?,
        model: args.model,
        tool: args.tool,
        session_id: args.session,
        text: args.search,
        limit: Some(args.limit),
        after: None,
    };
    // Traces the server's worker (or an ingest) has not analysed yet are diagnosed first, so the
    // verdicts are current.
    app.catch_up(filter.project.as_deref())?;
    let traces = app.list_traces(&filter)?;
    if args.json {
        print_json(&traces)?;
        return Ok(ExitCode::SUCCESS);
    }
    if traces.is_empty() {
        println!("no traces match");
        return Ok(ExitCode::SUCCESS);
    }
    let color = color_enabled();
    println!(
        "{:<8} {:<11} {:<18} {:>6} {:>5} {:>5} {:>6} {:>7} {:<6} {:<15} failure mode",
        "trace", "started", "root", "dur", "spans", "l/t", "tokens", "cost", "status", "verdict"
    );
    for trace in &traces {
        let (verdict, style) = verdict(trace);
        println!(
            "{:<8} {:<11} {:<18} {:>6} {:>5} {:>5} {:>6} {:>7} {:<6} {} {}",
            &trace.trace_id[..8],
            &timestamp(trace.start_time_unix_nano)[5..16],
            clip(&trace.root_name, 18),
            duration(trace.duration_ns),
            trace.span_count,
            clip(&format!("{}/{}", trace.llm_calls, trace.tool_calls), 5),
            compact(trace.total_tokens),
            money(trace.cost_usd),
            trace.status,
            paint(&format!("{verdict:<15}"), style, color),
            trace.failure_mode.as_deref().unwrap_or("-"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The verdict of a row and its style: a silent failure is the one to see first.
fn verdict(trace: &TraceListItem) -> (&'static str, &'static str) {
    match (trace.failure_mode.is_some(), trace.silent_failure) {
        (true, true) => ("FAILED (silent)", "1;7;31"),
        (true, false) => ("FAILED", "1;31"),
        (false, _) if trace.status == "error" => ("error", "31"),
        (false, _) => ("ok", "32"),
    }
}

/// `950`, `12.3k`, `4.1M`.
fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}
