//! Schema versions and migrations. `meta.schema_version` records the version a store is at; on
//! open, every migration past it runs in its own immediate transaction (so two processes opening
//! the same store at once apply each migration exactly once), and is recorded in
//! `schema_history`. A store at a version newer than this build knows is refused, naming both.
//!
//! Rules for new migrations: append only (never edit a released one), additive where possible,
//! and each one leaves every older query working.

use crate::backend;
use rootspan_store::{StoreError, StoreErrorKind, StoreResult};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;

/// One migration: SQL, or code for what SQL cannot do.
enum Step {
    Sql(&'static str),
    Code(fn(&Connection) -> StoreResult<()>),
}

/// The migrations, in order: (version reached, step).
const MIGRATIONS: &[(u32, Step)] = &[
    (1, Step::Sql(include_str!("migrations/001_initial.sql"))),
    (2, Step::Sql(include_str!("migrations/002_signature_index.sql"))),
    (3, Step::Sql(include_str!("migrations/003_search_tail.sql"))),
    (4, Step::Code(rows_into_chunks)),
    (5, Step::Sql(include_str!("migrations/005_failure_mode.sql"))),
    (6, Step::Sql(include_str!("migrations/006_issue_events.sql"))),
    (7, Step::Sql(include_str!("migrations/007_api_keys.sql"))),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 7;

/// Migration 4: the narrow rows of each chunk's live spans move from the `spans` table (one
/// B-tree row per span, the largest cost of a write) into the chunk's own `rows` column; the
/// count of live spans is kept in `meta`.
fn rows_into_chunks(connection: &Connection) -> StoreResult<()> {
    connection.execute_batch("ALTER TABLE chunks ADD COLUMN rows BLOB;").map_err(backend)?;
    let chunk_ids: Vec<i64> = {
        let mut statement = connection.prepare("SELECT DISTINCT chunk_id FROM spans").map_err(backend)?;
        let ids = statement.query_map([], |row| row.get(0)).map_err(backend)?;
        ids.collect::<Result<_, _>>().map_err(backend)?
    };
    let mut select = connection
        .prepare(
            "SELECT span_id, parent_span_id, start_ns, end_ns, name, kind, status, input_tokens, output_tokens, cost,
                    model, tool, session_id, service FROM spans WHERE chunk_id = ?1 ORDER BY span_id",
        )
        .map_err(backend)?;
    let mut update = connection.prepare("UPDATE chunks SET rows = ?1 WHERE id = ?2").map_err(backend)?;
    for chunk_id in chunk_ids {
        let rows = select
            .query_map(params![chunk_id], crate::read::span_row_from_sql)
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        let rows: Vec<_> = rows.into_iter().flatten().collect();
        update.execute(params![crate::codec::encode_rows(&rows)?, chunk_id]).map_err(backend)?;
    }
    connection
        .execute_batch(
            "INSERT OR REPLACE INTO meta(key, value) SELECT 'live_spans', CAST(count(*) AS TEXT) FROM spans;
             DROP TABLE spans;",
        )
        .map_err(backend)
}

fn open_error(path: &Path, message: String) -> StoreError {
    StoreError::new(StoreErrorKind::Open, format!("{}: {message}", path.display()))
}

/// The schema version of a store; 0 for an empty database.
pub fn current_version(connection: &Connection, path: &Path) -> StoreResult<u32> {
    let has_meta: bool = connection
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .map_err(|e| open_error(path, format!("not a rootspan store ({e})")))?;
    if !has_meta {
        return Ok(0);
    }
    let text: Option<String> = connection
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    match text {
        None => Ok(0),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| open_error(path, format!("meta.schema_version is {text:?}, not a version number"))),
    }
}

/// Brings the store to [`SCHEMA_VERSION`], or refuses a newer one.
pub fn migrate(connection: &mut Connection, path: &Path, now_unix_ns: i64) -> StoreResult<()> {
    let found = current_version(connection, path)?;
    if found > SCHEMA_VERSION {
        return Err(open_error(
            path,
            format!(
                "the store has schema version {found}, which is newer than this build of rootspan reads (schema version {SCHEMA_VERSION}); use a newer rootspan"
            ),
        ));
    }
    for (version, step) in MIGRATIONS {
        if *version <= found {
            continue;
        }
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        // Another process may have applied it while this one waited for the lock.
        if current_version(&transaction, path)? >= *version {
            continue;
        }
        let applied = match step {
            Step::Sql(sql) => transaction.execute_batch(sql).map_err(backend),
            Step::Code(run) => run(&transaction),
        };
        applied.map_err(|e| open_error(path, format!("applying schema migration {version}: {}", e.message)))?;
        transaction
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
                params![version.to_string()],
            )
            .map_err(backend)?;
        if *version >= 2 {
            transaction
                .execute(
                    "INSERT OR REPLACE INTO schema_history(version, applied_unix_ns) VALUES (?1, ?2)",
                    params![version, now_unix_ns],
                )
                .map_err(backend)?;
        }
        transaction.commit().map_err(backend)?;
    }
    Ok(())
}
