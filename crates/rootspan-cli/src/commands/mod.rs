//! One file per command. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<ExitCode>`.

pub mod analyze;
pub mod bench;
pub mod bench_mcp;
pub mod benchmark;
pub mod benchmark_report;
pub mod clusters;
pub mod copy;
pub mod diagnose;
pub mod diff;
pub mod eval;
pub mod eval_runner;
pub mod export;
pub mod ingest;
pub mod issues;
pub mod keys;
pub mod mcp;
pub mod migrate;
pub mod record;
pub mod redaction;
pub mod replay;
pub mod serve;
pub mod sessions;
pub mod show;
pub mod traces;
