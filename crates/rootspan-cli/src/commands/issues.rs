//! `rootspan issues`: failure issues (one per failure signature) with their state, counts, first
//! and last seen and trend; `rootspan issue ID [resolve|reopen|ignore]`: one issue's history, or
//! a change of its state (kept with its time and cause).

use crate::output::{clip, print_json, timestamp};
use crate::store::StoreArgs;
use rootspan_evals::issues::Action;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub project: Option<String>,
    /// Only issues in this state.
    #[arg(long, value_parser = ["active", "resolved", "regressed", "ignored"])]
    pub state: Option<String>,
    /// Print JSON: an array of issues with `id`, `state`, `count`, `signature`, `detector`,
    /// first/last seen, `trend`, `representative_trace_id`, `eval_cases`, `last_change`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// The issue id (or a unique prefix), as `rootspan issues` lists it.
    pub id: String,
    /// What to do: show (default), resolve, reopen, ignore.
    #[arg(default_value = "show", value_parser = ["show", "resolve", "reopen", "ignore"])]
    pub action: String,
    /// Why (kept in the issue's history).
    #[arg(long)]
    pub cause: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub project: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn sparkline(trend: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = trend.iter().copied().max().unwrap_or(0).max(1);
    trend.iter().map(|&n| if n == 0 { ' ' } else { BARS[((n * 7) / max) as usize] }).collect()
}

pub fn run_list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let mut issues = app.issues(args.project.as_deref())?;
    if let Some(state) = &args.state {
        issues.retain(|i| &i.state == state);
    }
    if args.json {
        print_json(&issues)?;
        return Ok(ExitCode::SUCCESS);
    }
    if issues.is_empty() {
        println!("no issues");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<16}  {:<9}  {:>5}  {:<12}  {:<20}  {:<20}  signature",
        "id", "state", "count", "trend", "first seen", "last seen"
    );
    for issue in &issues {
        println!(
            "{:<16}  {:<9}  {:>5}  {:<12}  {:<20}  {:<20}  {}",
            issue.id,
            issue.state,
            issue.count,
            sparkline(&issue.trend),
            timestamp(issue.first_seen_unix_nano),
            timestamp(issue.last_seen_unix_nano),
            clip(&issue.signature, 80)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_issue(args: IssueArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let project = args.project.as_deref();
    if args.action == "show" {
        let issue = app.issue(&args.id, project)?;
        let history = app.issue_history(&issue.id)?;
        if args.json {
            print_json(&serde_json::json!({"issue": issue, "history": history}))?;
            return Ok(ExitCode::SUCCESS);
        }
        println!("issue {} — {} — {} traces", issue.id, issue.state, issue.count);
        println!("  {}", issue.signature);
        println!(
            "  first seen {}, last seen {}, representative trace {}",
            timestamp(issue.first_seen_unix_nano),
            timestamp(issue.last_seen_unix_nano),
            issue.representative_trace_id
        );
        for (case, outcome) in &issue.eval_cases {
            println!("  eval case {case}: {outcome}");
        }
        if history.is_empty() {
            println!("  no changes yet (active since first seen)");
        }
        for event in &history {
            let state = event.state.as_deref().map(|s| format!(" → {s}")).unwrap_or_default();
            println!("  {}  {}{state}: {}", timestamp(event.at_unix_nano), event.kind, event.cause);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let action = Action::parse(&args.action).ok_or_else(|| anyhow::anyhow!("unknown action {:?}", args.action))?;
    let outcome = app.issue_action(&args.id, action, args.cause.as_deref(), project)?;
    if args.json {
        print_json(&outcome)?;
    } else {
        println!("issue {} is now {}", outcome.issue.id, outcome.issue.state);
    }
    if !outcome.unpassed_eval_cases.is_empty() {
        eprintln!(
            "note: linked eval case(s) {} have not passed yet; the issue regresses if they fail",
            outcome.unpassed_eval_cases.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
