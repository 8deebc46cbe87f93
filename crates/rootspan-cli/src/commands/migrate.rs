//! `rootspan migrate --store LOCATION`: creates or upgrades a store's schema, idempotently.
//!
//! On ClickHouse, `--cluster NAME` lays the schema out `ON CLUSTER NAME`: replicated local
//! tables (`*_local`, ReplicatedReplacingMergeTree) with a Distributed table of the plain name in
//! front of each, sharded by trace id. `--print` shows the DDL without running it.
//! `--retention-days N` changes how long ClickHouse keeps data (by ingest time). The embedded
//! store migrates itself when opened; `migrate` opens it and names its version.

use crate::output::print_json;
use crate::store::StoreArgs;
use rootspan_store_clickhouse::{ClickHouseConfig, ClickHouseStore, Layout};
use serde::Serialize;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// ClickHouse: create the schema ON CLUSTER NAME (replicated tables behind distributed ones).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// ClickHouse: keep data this many days after ingest (TTL on every table) [default: 365 on
    /// a new schema; an existing schema keeps its own unless this is given].
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_days: Option<u32>,
    /// ClickHouse: print the DDL a migration from an empty database runs, and run nothing.
    #[arg(long)]
    pub print: bool,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    store: String,
    from_version: u32,
    to_version: u32,
    applied: Vec<String>,
    cluster: Option<String>,
    retention_days: Option<u32>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let location = args.store.location()?;
    let shown = crate::store::display(&location);
    if !location.starts_with("clickhouse://") {
        if args.cluster.is_some() || args.retention_days.is_some() || args.print {
            anyhow::bail!("--cluster, --retention-days and --print are for ClickHouse stores (clickhouse://...)");
        }
        // The embedded store migrates itself when opened.
        crate::store::open(&location)?;
        let version = rootspan_store_sqlite::SCHEMA_VERSION;
        println!("{shown}: the embedded store migrates itself when opened; it is at schema version {version}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = ClickHouseConfig::parse(&location).map_err(|e| anyhow::anyhow!("--store {shown}: {e}"))?;
    if let Some(cluster) = &args.cluster {
        if !rootspan_store_clickhouse::config::valid_identifier(cluster) {
            anyhow::bail!("--cluster {cluster:?}: use letters, digits and _");
        }
        config.cluster = Some(cluster.clone());
    }
    if let Some(days) = args.retention_days {
        config.retention_days = days;
    }
    if args.print {
        let statements = Layout::of(&config).all_statements().map_err(|e| anyhow::anyhow!("{e}"))?;
        for statement in statements {
            println!("{statement};\n");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = ClickHouseStore::connect(config.clone());
    let report = store.migrate().map_err(|e| anyhow::anyhow!("migrating {shown}: {e}"))?;
    if let Some(days) = args.retention_days {
        store.set_retention(days).map_err(|e| anyhow::anyhow!("setting the retention of {shown}: {e}"))?;
    }
    finish(
        &args,
        Report {
            store: shown,
            from_version: report.from_version,
            to_version: report.to_version,
            applied: report.applied,
            cluster: config.cluster,
            retention_days: args.retention_days,
        },
    )
}

fn finish(args: &Args, report: Report) -> anyhow::Result<ExitCode> {
    if args.json {
        print_json(&report)?;
    } else if report.applied.is_empty() {
        println!("{}: schema already at version {}; nothing to apply", report.store, report.to_version);
    } else {
        println!(
            "{}: schema migrated from version {} to {} (applied {})",
            report.store,
            report.from_version,
            report.to_version,
            report.applied.join(", ")
        );
    }
    if let Some(days) = report.retention_days {
        println!("retention: {days} days after ingest");
    }
    Ok(ExitCode::SUCCESS)
}
