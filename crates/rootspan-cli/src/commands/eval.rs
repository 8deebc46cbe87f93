//! `rootspan eval new --from TRACE_ID --out DIR`: a diagnosed failure as an eval case on disk;
//! `rootspan eval run [DIR]`: runs the cases, prints a table, writes JUnit XML, exits 1 when any
//! case fails (with `--store`, the outcomes are recorded on the cases' issues).

use super::eval_runner::{HttpJudge, RunSettings, run_case};
use crate::output::print_json;
use crate::store::StoreArgs;
use anyhow::Context;
use rootspan_evals::EvalReport;
use rootspan_evals::case::{RECORDING_FILE, discover};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Turn a stored trace (a diagnosed failure) into an eval case: DIR/<id>/case.json + recording.jsonl.
    New(NewArgs),
    /// Run eval cases (DIR/*/case.json, or DIR/case.json) and score them.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The trace (id or unique prefix).
    #[arg(long = "from", value_name = "TRACE_ID")]
    pub from: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Directory of eval cases; the case goes into DIR/<id>/.
    #[arg(long, default_value = "evals")]
    pub out: PathBuf,
    /// The case id (default: failure mode and trace id prefix).
    #[arg(long)]
    pub id: Option<String>,
    /// The agent command the case runs (split on whitespace), e.g. "python agent.py".
    #[arg(long)]
    pub command: Option<String>,
    /// replay (the agent talks to a replay server of the recording) or live.
    #[arg(long, default_value = "replay", value_parser = ["replay", "live"])]
    pub mode: String,
    /// Replace an existing case of the same id.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Directory of eval cases.
    #[arg(default_value = "evals")]
    pub dir: PathBuf,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Only the case with this id (repeatable).
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// Run this agent command for every case instead of the cases' own.
    #[arg(long)]
    pub agent: Option<String>,
    /// Override every case's mode: replay or live.
    #[arg(long, value_parser = ["replay", "live"])]
    pub mode: Option<String>,
    /// Record the outcomes on the cases' issues in this store (a failed case of a resolved issue
    /// marks it regressed).
    #[arg(long)]
    pub store: Option<String>,
    /// OpenAI-compatible base URL for llm_judge scorers.
    #[arg(long, env = "ROOTSPAN_JUDGE_URL")]
    pub judge_url: Option<String>,
    #[arg(long, default_value = "gpt-4o-mini")]
    pub judge_model: String,
    /// Environment variable holding the judge's API key (never printed).
    #[arg(long, default_value = "OPENAI_API_KEY")]
    pub judge_api_key_env: String,
    /// Print the report as JSON (`cases`, `passed`, `failed`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::New(args) => new(args),
        Command::Run(args) => run_cases(args),
    }
}

fn new(args: NewArgs) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let mut made = app.eval_case_from_trace(&args.from, args.id.as_deref())?;
    if let Some(command) = &args.command {
        made.case.target.command = command.split_whitespace().map(str::to_owned).collect();
    }
    made.case.target.mode = args.mode.clone();
    let dir = args.out.join(&made.case.id);
    if dir.join(rootspan_evals::case::CASE_FILE).exists() && !args.force {
        anyhow::bail!("{} already exists; pass --force to replace it, or --id for another case", dir.display());
    }
    let path = made.case.save(&dir)?;
    made.recording
        .save(&dir.join(RECORDING_FILE))
        .with_context(|| format!("writing {}", dir.join(RECORDING_FILE).display()))?;
    let origin = made.case.origin.as_ref();
    eprintln!(
        "eval case {} from trace {} ({}), {} scorer(s); review {} and commit it",
        made.case.id,
        origin.map_or("", |o| o.trace_id.as_str()),
        origin.and_then(|o| o.failure_mode.as_deref()).unwrap_or("no failure diagnosed"),
        made.case.scorers.len(),
        path.display()
    );
    for missing in &made.recording.header.missing {
        eprintln!(
            "  note: recording step {} ({} {}) has no content: {}",
            missing.step, missing.kind, missing.name, missing.reason
        );
    }
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn run_cases(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut cases = discover(&args.dir)?;
    if !args.cases.is_empty() {
        cases.retain(|c| args.cases.contains(&c.case.id));
    }
    anyhow::ensure!(!cases.is_empty(), "no eval cases in {} (expected DIR/<id>/case.json)", args.dir.display());
    let settings = RunSettings {
        agent: args.agent.as_ref().map(|a| a.split_whitespace().map(str::to_owned).collect()),
        mode: args.mode.clone(),
        judge: args.judge_url.as_ref().map(|url| HttpJudge {
            url: url.clone(),
            model: args.judge_model.clone(),
            api_key: std::env::var(&args.judge_api_key_env).ok().filter(|k| !k.is_empty()),
        }),
    };
    let results: Vec<_> = cases.iter().map(|case| run_case(case, &settings)).collect();
    let report = EvalReport::new(results);
    if let Some(path) = &args.junit {
        std::fs::write(path, report.junit()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(store) = &args.store {
        let app = StoreArgs { store: Some(store.clone()) }.app()?;
        let outcomes: Vec<(String, String, bool, String)> = report
            .cases
            .iter()
            .filter_map(|c| {
                let detail = c.error.clone().unwrap_or_else(|| {
                    c.scores
                        .iter()
                        .find(|s| !s.passed)
                        .map_or("every scorer passed".into(), |s| format!("{}: {}", s.scorer, s.detail))
                });
                c.issue_id.clone().map(|issue| (issue, c.id.clone(), c.passed, detail))
            })
            .collect();
        let regressed = app.record_eval_outcomes(&outcomes)?;
        if regressed > 0 {
            eprintln!("{regressed} resolved issue(s) regressed: their eval cases failed");
        }
    }
    if args.json {
        print_json(&report)?;
    } else {
        print!("{}", report.table());
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
