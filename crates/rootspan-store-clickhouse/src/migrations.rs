//! Versioned, idempotent migrations. Each migration is an SQL file under `migrations/`, rendered
//! for one node or for a cluster (`ON CLUSTER`, replicated local tables behind distributed ones)
//! and applied statement by statement; every statement is `IF NOT EXISTS`, so running a
//! migration twice, or from two nodes at once, or again after it stopped half way, is safe.
//! `schema_migrations` records each version applied. A database at a version newer than this
//! build knows is refused.
//!
//! Rules for new migrations: append only (never edit a released file), and keep every older
//! query working.

use crate::config::{ClickHouseConfig, valid_identifier};
use crate::http::Client;
use crate::rowbinary::{Reader, Writer};
use rootspan_store::{StoreError, StoreErrorKind, StoreResult};

/// (version, name, SQL template).
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/001_initial.sql")),
    (2, "issue_events", include_str!("../migrations/002_issue_events.sql")),
    (3, "api_keys", include_str!("../migrations/003_api_keys.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 3;

/// How the DDL is laid out.
#[derive(Debug, Clone)]
pub struct Layout {
    pub database: String,
    pub cluster: Option<String>,
    pub retention_days: u32,
}

impl Layout {
    pub fn of(config: &ClickHouseConfig) -> Layout {
        Layout {
            database: config.database.clone(),
            cluster: config.cluster.clone(),
            retention_days: config.retention_days,
        }
    }

    fn on_cluster(&self) -> String {
        self.cluster.as_ref().map(|c| format!("ON CLUSTER {c}")).unwrap_or_default()
    }

    /// The statements that create the database and the migrations table.
    pub fn bootstrap(&self) -> StoreResult<Vec<String>> {
        self.check()?;
        let on_cluster = self.on_cluster();
        let (local, engine) = match &self.cluster {
            // One replicated table for the whole cluster: every node knows the schema version.
            Some(_) => (
                "",
                "ReplicatedReplacingMergeTree('/clickhouse/rootspan/{database}/schema_migrations', '{shard}-{replica}')",
            ),
            None => ("", "ReplacingMergeTree"),
        };
        Ok(vec![
            format!("CREATE DATABASE IF NOT EXISTS {} {on_cluster}", self.database),
            format!(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations{local} {on_cluster} \
                 (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = {engine} ORDER BY version",
                self.database
            ),
        ])
    }

    fn check(&self) -> StoreResult<()> {
        let names = std::iter::once(&self.database).chain(self.cluster.as_ref());
        for name in names {
            if !valid_identifier(name) {
                return Err(StoreError::invalid(format!("{name:?} is not a valid ClickHouse name")));
            }
        }
        Ok(())
    }

    /// The statements of one migration file, rendered for this layout.
    pub fn render(&self, template: &str) -> StoreResult<Vec<String>> {
        self.check()?;
        let cluster = self.cluster.as_deref();
        let on_cluster = self.on_cluster();
        let replace = |text: &str| {
            text.replace("@LOCAL@", if cluster.is_some() { "_local" } else { "" })
                .replace("@ON_CLUSTER@", &on_cluster)
                .replace("@REPLICATED@", if cluster.is_some() { "Replicated" } else { "" })
                .replace(
                    "@ZK_@",
                    if cluster.is_some() {
                        "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}', "
                    } else {
                        ""
                    },
                )
                .replace(
                    "@ZK@",
                    if cluster.is_some() { "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'" } else { "" },
                )
                .replace("@RETENTION_DAYS@", &self.retention_days.to_string())
        };
        let mut statements = Vec::new();
        let mut current = String::new();
        for line in template.lines() {
            let trimmed = line.trim();
            if let Some(directive) = trimmed.strip_prefix("-- @DISTRIBUTED ") {
                if let Some(cluster) = cluster {
                    let (table, key) = directive.split_once(' ').unwrap_or((directive, "rand()"));
                    statements.push(format!(
                        "CREATE TABLE IF NOT EXISTS {table} {on_cluster} AS {table}_local \
                         ENGINE = Distributed({cluster}, {}, {table}_local, {key})",
                        self.database
                    ));
                }
                continue;
            }
            if trimmed.starts_with("--") || trimmed.is_empty() && current.is_empty() {
                continue;
            }
            current.push_str(line);
            current.push('\n');
            if trimmed.ends_with(';') {
                let statement = current.trim().trim_end_matches(';').to_owned();
                statements.push(replace(&statement));
                current.clear();
            }
        }
        if !current.trim().is_empty() {
            statements.push(replace(current.trim()));
        }
        Ok(statements)
    }

    /// Every statement `migrate` would run on an empty database, in order (for `--print`).
    pub fn all_statements(&self) -> StoreResult<Vec<String>> {
        let mut out = self.bootstrap()?;
        for (_, _, template) in MIGRATIONS {
            out.extend(self.render(template)?);
        }
        Ok(out)
    }
}

/// The version recorded in the database; 0 when it has no migrations table (or no database).
pub fn current_version(client: &Client) -> StoreResult<u32> {
    match client.select("SELECT toUInt32(max(version)) FROM schema_migrations FORMAT RowBinary", &[]) {
        Ok(body) => Reader::new(&body).u32(),
        Err(error)
            if error.message.contains("UNKNOWN_TABLE")
                || error.message.contains("UNKNOWN_DATABASE")
                || error.message.contains("Code: 60.")
                || error.message.contains("Code: 81.") =>
        {
            Ok(0)
        }
        Err(error) => Err(error),
    }
}

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: u32,
    pub to_version: u32,
    pub applied: Vec<String>,
}

/// Brings the database to [`SCHEMA_VERSION`]. Idempotent.
pub fn migrate(client: &Client, layout: &Layout) -> StoreResult<MigrationReport> {
    let from_version = current_version(client)?;
    if from_version > SCHEMA_VERSION {
        return Err(StoreError::new(
            StoreErrorKind::Open,
            format!(
                "database {} is at schema version {from_version}, newer than this build's {SCHEMA_VERSION}: upgrade rootspan",
                layout.database
            ),
        ));
    }
    let mut applied = Vec::new();
    if from_version < SCHEMA_VERSION {
        for statement in layout.bootstrap()? {
            client.execute_outside(&statement)?;
        }
    }
    for (version, name, template) in MIGRATIONS {
        if *version <= from_version {
            continue;
        }
        for statement in layout.render(template)? {
            client.execute(&statement, &[])?;
        }
        let mut row = Writer::default();
        row.u32(*version);
        row.str(name);
        client.insert("INSERT INTO schema_migrations (version, name) FORMAT RowBinary", &row.buf)?;
        applied.push(format!("{version:03}_{name}"));
    }
    let to_version = current_version(client)?;
    Ok(MigrationReport { from_version, to_version, applied })
}

/// Changes how long data is kept (days by ingest time) on every table of the schema.
pub fn set_retention(client: &Client, layout: &Layout, days: u32) -> StoreResult<()> {
    if days == 0 {
        return Err(StoreError::invalid("retention: at least one day"));
    }
    let local = if layout.cluster.is_some() { "_local" } else { "" };
    let on_cluster = layout.on_cluster();
    for (table, column) in [
        ("spans", "ingested_at"),
        ("trace_ranges", "ingested_at"),
        ("logs", "ingested_at"),
        ("traces", "updated_at"),
        ("signatures", "created_at"),
        ("analysed", "created_at"),
    ] {
        // `days` is a number, the rest fixed names: no text from outside reaches the DDL.
        client.execute(
            &format!("ALTER TABLE {table}{local} {on_cluster} MODIFY TTL {column} + toIntervalDay({days})"),
            &[],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_node_and_cluster_layouts_render() {
        let single = Layout { database: "rs".into(), cluster: None, retention_days: 30 };
        let statements = single.render(MIGRATIONS[0].2).unwrap();
        assert!(statements.iter().all(|s| !s.contains('@')), "every marker is filled");
        assert!(statements.iter().any(|s| s.starts_with("CREATE TABLE IF NOT EXISTS spans") && s.contains("ReplacingMergeTree(version)")));
        assert!(statements.iter().all(|s| !s.contains("Distributed")));
        assert!(statements.iter().any(|s| s.contains("toIntervalDay(30)")));
        let cluster = Layout { database: "rs".into(), cluster: Some("main".into()), retention_days: 30 };
        let statements = cluster.render(MIGRATIONS[0].2).unwrap();
        assert!(statements.iter().any(|s| s.contains("spans_local ON CLUSTER main")
            && s.contains(
                "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)"
            )));
        assert!(
            statements.iter().any(|s| s.contains("CREATE TABLE IF NOT EXISTS spans ON CLUSTER main AS spans_local")
                && s.contains("Distributed(main, rs, spans_local, cityHash64(trace_id))"))
        );
        assert!(statements.iter().any(|s| s.contains("trace_ranges_mv_local ON CLUSTER main TO trace_ranges_local")));
        let bad = Layout { database: "rs; DROP".into(), cluster: None, retention_days: 1 };
        assert!(bad.render(MIGRATIONS[0].2).is_err());
    }
}
