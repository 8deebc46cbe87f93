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

/// The migrations, in order: (version reached, SQL).
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/001_initial.sql")),
    (2, include_str!("migrations/002_signature_index.sql")),
    (3, include_str!("migrations/003_search_tail.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 3;

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
    for (version, sql) in MIGRATIONS {
        if *version <= found {
            continue;
        }
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        // Another process may have applied it while this one waited for the lock.
        if current_version(&transaction, path)? >= *version {
            continue;
        }
        transaction
            .execute_batch(sql)
            .map_err(|e| open_error(path, format!("applying schema migration {version}: {e}")))?;
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
