//! The issue log (schema 2): append-only entries of failure issues' state changes and eval
//! outcomes, one insert per append (all or none), read back oldest first, then in append order.

use crate::http::{Client, Param};
use crate::rowbinary::{Reader, Writer};
use crate::write::Versions;
use rootspan_store::{IssueEvent, StoreResult};

/// Appends entries in one insert.
pub fn append(client: &Client, versions: &Versions, events: &[IssueEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let first = versions.reserve(events.len() as u64);
    let mut body = Writer::default();
    for (offset, event) in events.iter().enumerate() {
        body.str(&event.project);
        body.u64(event.at_unix_nano);
        body.u64(first + offset as u64);
        body.str(&event.issue_id);
        body.str(&event.kind);
        body.nullable(event.state.as_deref(), Writer::str);
        body.str(&event.cause);
        body.nullable(event.trace_id.as_deref(), Writer::str);
        body.nullable(event.case_id.as_deref(), Writer::str);
    }
    client.insert(
        "INSERT INTO issue_events (project, at_ns, seq, issue_id, kind, state, cause, trace_id, case_id) FORMAT RowBinary",
        &body.buf,
    )
}

/// Every entry (of one project, or all), oldest first, then in append order.
pub fn list(client: &Client, project: Option<&str>) -> StoreResult<Vec<IssueEvent>> {
    let (filter, params) = match project {
        Some(project) => ("WHERE project = {project:String}", vec![Param::str("project", project)]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT issue_id, project, at_ns, kind, state, cause, trace_id, case_id FROM issue_events FINAL {filter}
         ORDER BY at_ns, seq FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(IssueEvent {
            issue_id: reader.string()?,
            project: reader.string()?,
            at_unix_nano: reader.u64()?,
            kind: reader.string()?,
            state: reader.nullable(Reader::string)?,
            cause: reader.string()?,
            trace_id: reader.nullable(Reader::string)?,
            case_id: reader.nullable(Reader::string)?,
        });
    }
    Ok(out)
}
