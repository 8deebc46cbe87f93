//! `rootspan`: the command-line program. Thin: parses arguments, opens the store, and calls the
//! library crates. Exit codes: 0 ok, 1 findings or failed checks, 2 error.

mod commands;
mod config;
mod output;
mod store;
mod time;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// rootspan: a trace-driven debugger for AI agents.
#[derive(Debug, Parser)]
#[command(name = "rootspan", version, about = "rootspan: a trace-driven debugger for AI agents", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve OTLP/HTTP (4318), OTLP/gRPC (4317) and the REST API on an embedded store.
    Serve(commands::serve::Args),
    /// Load trace files (OTLP protobuf/JSON, TRAIL, native JSONL, message logs) into the store.
    Ingest(commands::ingest::Args),
    /// List traces, newest first, with filters.
    Traces(commands::traces::Args),
    /// Show one trace as a span tree.
    Show(commands::show::Args),
    /// Export one trace (OTLP/JSON, OTLP protobuf or native JSONL).
    Export(commands::export::Args),
    /// Measure ingest throughput, latency, disk and memory (or, with --mcp FILE, MCP tools/call latency).
    Bench(commands::bench::Args),
    /// Compare two runs step by step and mark the first divergence (--auto picks the good run).
    Diff(commands::diff::Args),
    /// Diagnose one trace: failure mode, first faulty span, evidence, causal chain (exit 1 on findings).
    Diagnose(commands::diagnose::Args),
    /// The seed analyses of one trace: critical path, tool dependency graph, context drift,
    /// state validation, calibration, retrieval audit, rollback points.
    Analyze(commands::analyze::Args),
    /// Score the detectors on a labelled data set (trail, who-and-when, agentrx).
    Benchmark(commands::benchmark::Args),
    /// Group failing traces by failure signature.
    Clusters(commands::clusters::Args),
    /// Serve the MCP tools (search, traces, diagnose, analyze, diff, clusters, sessions) over stdio.
    Mcp(commands::mcp::Args),
    /// List sessions (traces sharing a session/conversation id).
    Sessions(commands::sessions::ListArgs),
    /// Show one session's traces in order, and whether its failures recur.
    Session(commands::sessions::ShowArgs),
    /// Turn stored traces into recordings for replay (`record export TRACE_ID --out FILE`).
    Record(commands::record::Args),
    /// Replay a recording to the unchanged agent (`replay serve`), re-run one step (`replay step`),
    /// or serve its tools over MCP (`replay mcp`).
    Replay(commands::replay::Args),
    /// Eval cases: `eval new --from TRACE_ID` writes one, `eval run DIR` runs them (exit 1 on failure).
    Eval(commands::eval::Args),
    /// List failure issues with their state (active, resolved, regressed, ignored).
    Issues(commands::issues::ListArgs),
    /// Show one failure issue, or resolve, reopen or ignore it.
    Issue(commands::issues::IssueArgs),
    /// API keys: `keys create --project P --role ingest|read|admin`, `keys list`, `keys revoke PREFIX`.
    Keys(commands::keys::Args),
    /// Create or upgrade a store's schema (ClickHouse: --cluster for ON CLUSTER, --print for the DDL).
    Migrate(commands::migrate::Args),
    /// Copy every trace from one store to another (SQLite <-> ClickHouse), resumable, verified.
    Copy(commands::copy::Args),
}

/// Restores the default SIGPIPE action, so that `rootspan ... | head` ends quietly as other
/// command-line tools do instead of panicking on a closed standard output.
#[cfg(unix)]
#[allow(unsafe_code)]
fn default_sigpipe() {
    // SAFETY: called once at start-up, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    #[cfg(unix)]
    default_sigpipe();
    let cli = Cli::parse();
    if let Err(error) = config::install_prices() {
        eprintln!("error: {error:#}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Ingest(args) => commands::ingest::run(args),
        Command::Traces(args) => commands::traces::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Diagnose(args) => commands::diagnose::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Benchmark(args) => commands::benchmark::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Clusters(args) => commands::clusters::run(args),
        Command::Mcp(args) => commands::mcp::run(args),
        Command::Sessions(args) => commands::sessions::run_list(args),
        Command::Session(args) => commands::sessions::run_show(args),
        Command::Record(args) => commands::record::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Issues(args) => commands::issues::run_list(args),
        Command::Issue(args) => commands::issues::run_issue(args),
        Command::Keys(args) => commands::keys::run(args),
        Command::Migrate(args) => commands::migrate::run(args),
        Command::Copy(args) => commands::copy::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
