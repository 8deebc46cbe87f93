//! `rootspan sessions` lists sessions (traces sharing a session or conversation id);
//! `rootspan session ID` shows one session's traces in order, with status, tokens and cost, and
//! whether each failure is a one-off or part of a pattern (its signature recurs in the session).

use crate::output::{clip, duration, money, print_json, timestamp};
use crate::store::StoreArgs;
use rootspan_analysis::sessions::Recurrence;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only sessions of this service.
    #[arg(long)]
    pub service: Option<String>,
    /// At most this many sessions, most recently active first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON: an array of sessions.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The session (or conversation) id.
    pub session_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Print JSON: `summary`, `traces` (in order, each with `recurrence`), `verdict`, `signatures`.
    #[arg(long)]
    pub json: bool,
}

pub fn run_list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let sessions = app.sessions(args.project.as_deref(), args.service.as_deref(), args.limit)?;
    if args.json {
        print_json(&sessions)?;
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        println!("no traces carry a session id (session.id, gen_ai.conversation.id, ...)");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24} {:>6} {:>6} {:<11} {:>7} {:>8}  pattern",
        "session", "traces", "failed", "last seen", "tokens", "cost"
    );
    for session in &sessions {
        let pattern = match (session.failed_traces, session.recurring_signatures.len()) {
            (0, _) => String::new(),
            (_, 0) => "one-off".to_owned(),
            (_, n) => format!("recurring ({n})"),
        };
        println!(
            "{:<24} {:>6} {:>6} {:<11} {:>7} {:>8}  {}",
            clip(&session.session_id, 24),
            session.traces,
            session.failed_traces,
            &timestamp(session.last_seen_unix_nano)[5..16],
            session.total_tokens,
            money(session.cost_usd),
            pattern
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let detail = app.session(&args.session_id, args.project.as_deref())?;
    if args.json {
        print_json(&detail)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (report, signatures) = (&detail.report, &detail.signatures);
    let summary = &report.summary;
    println!(
        "session {}  {} traces, {} failed  {} tok{}",
        clip(&summary.session_id, 30),
        summary.traces,
        summary.failed_traces,
        summary.total_tokens,
        if summary.cost_usd > 0.0 { format!("  {}", money(summary.cost_usd)) } else { String::new() }
    );
    println!("{} .. {}", timestamp(summary.first_seen_unix_nano), timestamp(summary.last_seen_unix_nano));
    println!("{}", report.verdict);
    println!();
    println!(
        "{:>3} {:<8} {:<11} {:<18} {:>6} {:>6} {:>7} {:<5} failure",
        "#", "trace", "started", "root", "dur", "tokens", "cost", "state"
    );
    for entry in &report.traces {
        let trace = &entry.trace;
        let failure = match entry.recurrence {
            Recurrence::Ok => String::new(),
            Recurrence::OneOff => "one-off".to_owned(),
            Recurrence::Recurring => format!("recurs x{}", entry.same_signature_count),
            Recurrence::Streak => "streak".to_owned(),
        };
        println!(
            "{:>3} {:<8} {:<11} {:<18} {:>6} {:>6} {:>7} {:<5} {}",
            entry.position,
            &trace.trace_id[..8.min(trace.trace_id.len())],
            &timestamp(trace.start_time_unix_nano)[5..16],
            clip(&trace.root_name, 18),
            duration(trace.duration_ns),
            trace.total_tokens,
            money(trace.cost_usd),
            if trace.failed { "error" } else { "ok" },
            failure
        );
    }
    if !signatures.is_empty() {
        println!();
        for (id, text) in signatures {
            let recurring = if summary.recurring_signatures.contains(id) { "recurring" } else { "once" };
            println!("{} ({recurring}): {}", &id[..8.min(id.len())], clip(text, 56));
        }
    }
    Ok(ExitCode::SUCCESS)
}
