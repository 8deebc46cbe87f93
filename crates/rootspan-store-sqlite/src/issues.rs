//! The issue log (migration 6): append-only entries of failure issues' state changes and eval
//! outcomes, read back oldest first.

use crate::backend;
use rootspan_store::rows::clamp_i64;
use rootspan_store::{IssueEvent, StoreResult};
use rusqlite::{Connection, params};

/// Appends entries in one transaction.
pub fn append(connection: &mut Connection, events: &[IssueEvent]) -> StoreResult<()> {
    let transaction = connection.transaction().map_err(backend)?;
    {
        let mut insert = transaction
            .prepare_cached(
                "INSERT INTO issue_events(issue_id, project, at_ns, kind, state, cause, trace_id, case_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(backend)?;
        for event in events {
            insert
                .execute(params![
                    event.issue_id,
                    event.project,
                    clamp_i64(event.at_unix_nano),
                    event.kind,
                    event.state,
                    event.cause,
                    event.trace_id,
                    event.case_id,
                ])
                .map_err(backend)?;
        }
    }
    transaction.commit().map_err(backend)
}

/// Every entry (of one project, or all), oldest first, then in append order.
pub fn list(connection: &Connection, project: Option<&str>) -> StoreResult<Vec<IssueEvent>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT issue_id, project, at_ns, kind, state, cause, trace_id, case_id FROM issue_events
             WHERE (?1 IS NULL OR project = ?1) ORDER BY at_ns, seq",
        )
        .map_err(backend)?;
    let rows = statement
        .query_map(params![project], |row| {
            Ok(IssueEvent {
                issue_id: row.get(0)?,
                project: row.get(1)?,
                at_unix_nano: row.get::<_, i64>(2)?.max(0) as u64,
                kind: row.get(3)?,
                state: row.get(4)?,
                cause: row.get(5)?,
                trace_id: row.get(6)?,
                case_id: row.get(7)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}
