//! API keys (migration 7): stored by hash, listed oldest first, revoked in place.

use crate::backend;
use rootspan_store::rows::clamp_i64;
use rootspan_store::{ApiKey, StoreError, StoreErrorKind, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

const COLUMNS: &str = "prefix, hash, label, project, role, created_ns, revoked_ns";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        prefix: row.get(0)?,
        hash: row.get(1)?,
        label: row.get(2)?,
        project: row.get(3)?,
        role: row.get(4)?,
        created_unix_nano: row.get::<_, i64>(5)?.max(0) as u64,
        revoked_unix_nano: row.get::<_, Option<i64>>(6)?.map(|ns| ns.max(0) as u64),
    })
}

pub fn put(connection: &Connection, key: &ApiKey) -> StoreResult<()> {
    let inserted = connection.execute(
        "INSERT INTO api_keys(prefix, hash, label, project, role, created_ns, revoked_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            key.prefix,
            key.hash,
            key.label,
            key.project,
            key.role,
            clamp_i64(key.created_unix_nano),
            key.revoked_unix_nano.map(clamp_i64),
        ],
    );
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if error.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => Err(
            StoreError::new(StoreErrorKind::InvalidRequest, "key: a key with this prefix or hash is already stored"),
        ),
        Err(error) => Err(backend(error)),
    }
}

pub fn list(connection: &Connection) -> StoreResult<Vec<ApiKey>> {
    let mut statement = connection
        .prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_ns, seq"))
        .map_err(backend)?;
    let rows = statement.query_map([], from_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub fn find(connection: &Connection, hash: &str) -> StoreResult<Option<ApiKey>> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE hash = ?1")).map_err(backend)?;
    statement.query_row(params![hash], from_row).optional().map_err(backend)
}

pub fn revoke(connection: &Connection, prefix: &str, at_unix_nano: u64) -> StoreResult<bool> {
    let changed = connection
        .execute(
            "UPDATE api_keys SET revoked_ns = ?2 WHERE prefix = ?1 AND revoked_ns IS NULL",
            params![prefix, clamp_i64(at_unix_nano)],
        )
        .map_err(backend)?;
    Ok(changed > 0)
}

/// The project of a trace, from its summary row.
pub fn trace_project(connection: &Connection, trace_id: &rootspan_model::TraceId) -> StoreResult<Option<String>> {
    let mut statement = connection.prepare_cached("SELECT project FROM traces WHERE trace_id = ?1").map_err(backend)?;
    statement.query_row(params![&trace_id[..]], |row| row.get(0)).optional().map_err(backend)
}
