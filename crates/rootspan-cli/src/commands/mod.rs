//! One file per command. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<ExitCode>`.

pub mod bench;
pub mod clusters;
pub mod diff;
pub mod export;
pub mod ingest;
pub mod serve;
pub mod sessions;
pub mod show;
pub mod traces;
