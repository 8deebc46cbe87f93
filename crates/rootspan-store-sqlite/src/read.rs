//! The read path and trace summaries.

use crate::{backend, codec};
use rootspan_model::{Span, SpanKind, SpanTree, StatusCode, TraceId, TraceSummary, conventions};
use rootspan_store::{StoreError, StoreErrorKind, StoreResult, TraceFilter, TraceListItem, TraceSignature};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter, types::Value};
use std::collections::{BTreeSet, HashMap};

const LIST_SEPARATOR: char = '\u{1f}';

/// Stable numeric code of a span kind in the `spans.kind` column.
pub fn kind_code(kind: SpanKind) -> i64 {
    match kind {
        SpanKind::Other => 0,
        SpanKind::Agent => 1,
        SpanKind::Llm => 2,
        SpanKind::Tool => 3,
        SpanKind::Retrieval => 4,
        SpanKind::Embedding => 5,
        SpanKind::Workflow => 6,
        SpanKind::Handoff => 7,
        SpanKind::Guardrail => 8,
    }
}

fn kind_from_code(code: i64) -> SpanKind {
    match code {
        1 => SpanKind::Agent,
        2 => SpanKind::Llm,
        3 => SpanKind::Tool,
        4 => SpanKind::Retrieval,
        5 => SpanKind::Embedding,
        6 => SpanKind::Workflow,
        7 => SpanKind::Handoff,
        8 => SpanKind::Guardrail,
        _ => SpanKind::Other,
    }
}

fn to_trace_id(bytes: Vec<u8>) -> StoreResult<TraceId> {
    bytes.try_into().map_err(|_| StoreError::new(StoreErrorKind::Corrupt, "stored trace id is not 16 bytes"))
}

fn joined(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from(LIST_SEPARATOR);
    for item in items {
        out.push_str(item);
        out.push(LIST_SEPARATOR);
    }
    out
}

fn split(text: &str) -> Vec<String> {
    text.split(LIST_SEPARATOR).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Recomputes the summary row of one trace from its narrow span rows.
pub fn refresh_summary(connection: &Connection, trace_id: &TraceId, project_hint: Option<&str>) -> StoreResult<()> {
    let mut statement = connection
        .prepare_cached(
            "SELECT span_id, parent_span_id, start_ns, end_ns, name, kind, status, input_tokens, output_tokens, cost,
                    model, tool, session_id, service FROM spans WHERE trace_id = ?1",
        )
        .map_err(backend)?;
    let mut rows = statement.query(params![&trace_id[..]]).map_err(backend)?;
    let mut spans = Vec::new();
    let mut services: HashMap<[u8; 8], String> = HashMap::new();
    let mut models = BTreeSet::new();
    let mut tools = BTreeSet::new();
    let mut sessions: Vec<(u64, String)> = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let span_id: Vec<u8> = row.get(0).map_err(backend)?;
        let Ok(span_id) = <[u8; 8]>::try_from(span_id) else { continue };
        let parent: Option<Vec<u8>> = row.get(1).map_err(backend)?;
        let mut span = Span::new(*trace_id, span_id, row.get::<_, String>(4).map_err(backend)?);
        span.parent_span_id = parent.and_then(|p| <[u8; 8]>::try_from(p).ok());
        span.start_time_unix_nano = row.get::<_, i64>(2).map_err(backend)?.max(0) as u64;
        span.end_time_unix_nano = row.get::<_, i64>(3).map_err(backend)?.max(0) as u64;
        span.gen_ai.kind = kind_from_code(row.get(5).map_err(backend)?);
        span.status.code = StatusCode::from_i32(row.get(6).map_err(backend)?);
        span.gen_ai.input_tokens = row.get::<_, Option<i64>>(7).map_err(backend)?.map(|n| n.max(0) as u64);
        span.gen_ai.output_tokens = row.get::<_, Option<i64>>(8).map_err(backend)?.map(|n| n.max(0) as u64);
        span.gen_ai.cost_usd = row.get(9).map_err(backend)?;
        if let Some(model) = row.get::<_, Option<String>>(10).map_err(backend)? {
            models.insert(model);
        }
        if let Some(tool) = row.get::<_, Option<String>>(11).map_err(backend)? {
            tools.insert(tool);
        }
        if let Some(session) = row.get::<_, Option<String>>(12).map_err(backend)? {
            sessions.push((span.start_time_unix_nano, session));
        }
        services.insert(span_id, row.get(13).map_err(backend)?);
        spans.push(span);
    }
    if spans.is_empty() {
        return Ok(());
    }
    let start = spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(0).max(start);
    let tree = SpanTree::build(spans);
    let summary = tree.summary();
    let (root_name, service) = match tree.root() {
        Some(root) => (root.name.clone(), services.get(&root.span_id).cloned().unwrap_or_default()),
        None => (String::new(), String::new()),
    };
    sessions.sort();
    let session = sessions.into_iter().next().map(|(_, s)| s);
    let existing_project: Option<String> = connection
        .query_row("SELECT project FROM traces WHERE trace_id = ?1", params![&trace_id[..]], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    let project = existing_project
        .or(project_hint.map(str::to_owned))
        .unwrap_or_else(|| rootspan_model::DEFAULT_PROJECT.to_owned());
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO traces(trace_id, project, service, root_name, start_ns, end_ns, span_count, max_depth, llm_calls,
             tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost, orphans, session_id, models, tools)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )
        .map_err(backend)?
        .execute(params![
            &trace_id[..],
            project,
            service,
            root_name,
            start as i64,
            end as i64,
            summary.spans as i64,
            summary.max_depth as i64,
            summary.llm_calls as i64,
            summary.tool_calls as i64,
            summary.tool_errors as i64,
            summary.error_spans as i64,
            summary.agent_spans as i64,
            summary.input_tokens as i64,
            summary.output_tokens as i64,
            summary.cost_usd,
            summary.orphans as i64,
            session,
            joined(&models),
            joined(&tools),
        ])
        .map_err(backend)?;
    Ok(())
}

/// All live spans of a trace, logs attached, normalised.
pub fn get_trace(connection: &Connection, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
    let mut live: HashMap<[u8; 8], i64> = HashMap::new();
    {
        let mut statement =
            connection.prepare_cached("SELECT span_id, chunk_id FROM spans WHERE trace_id = ?1").map_err(backend)?;
        let mut rows = statement.query(params![&trace_id[..]]).map_err(backend)?;
        while let Some(row) = rows.next().map_err(backend)? {
            let span_id: Vec<u8> = row.get(0).map_err(backend)?;
            if let Ok(span_id) = <[u8; 8]>::try_from(span_id) {
                live.insert(span_id, row.get(1).map_err(backend)?);
            }
        }
    }
    if live.is_empty() {
        return Ok(None);
    }
    let chunk_ids: BTreeSet<i64> = live.values().copied().collect();
    let mut spans = Vec::with_capacity(live.len());
    let mut load = connection.prepare_cached("SELECT payload FROM chunks WHERE id = ?1").map_err(backend)?;
    for chunk_id in chunk_ids {
        let payload: Vec<u8> = load.query_row(params![chunk_id], |row| row.get(0)).map_err(backend)?;
        for span in codec::decode_spans(&payload)? {
            if live.get(&span.span_id) == Some(&chunk_id) {
                spans.push(span);
            }
        }
    }
    let mut statement = connection
        .prepare_cached("SELECT span_id, payload FROM logs WHERE trace_id = ?1 ORDER BY id")
        .map_err(backend)?;
    let mut rows = statement.query(params![&trace_id[..]]).map_err(backend)?;
    let mut logs: HashMap<[u8; 8], Vec<rootspan_model::LogRecord>> = HashMap::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let span_id: Vec<u8> = row.get(0).map_err(backend)?;
        let payload: Vec<u8> = row.get(1).map_err(backend)?;
        if let Ok(span_id) = <[u8; 8]>::try_from(span_id) {
            logs.entry(span_id).or_default().push(codec::decode_log(&payload)?);
        }
    }
    for span in &mut spans {
        if let Some(records) = logs.remove(&span.span_id) {
            for record in records {
                if !span.logs.contains(&record) {
                    span.logs.push(record);
                }
            }
        }
        conventions::normalize(span);
    }
    spans.sort_by(|a, b| a.start_time_unix_nano.cmp(&b.start_time_unix_nano).then(a.span_id.cmp(&b.span_id)));
    Ok(Some(spans))
}

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TraceListItem> {
    let trace_id: Vec<u8> = row.get(0)?;
    let start: i64 = row.get(4)?;
    let end: i64 = row.get(5)?;
    let error_spans: i64 = row.get(11)?;
    let input: i64 = row.get(12)?;
    let output: i64 = row.get(13)?;
    Ok(TraceListItem {
        trace_id: hex::encode(&trace_id),
        project: row.get(1)?,
        service: row.get(2)?,
        root_name: row.get(3)?,
        start_time_unix_nano: start.max(0) as u64,
        duration_ns: (end - start).max(0) as u64,
        span_count: row.get::<_, i64>(6)? as u64,
        llm_calls: row.get::<_, i64>(7)? as u64,
        tool_calls: row.get::<_, i64>(8)? as u64,
        input_tokens: input as u64,
        output_tokens: output as u64,
        total_tokens: (input + output) as u64,
        cost_usd: row.get(14)?,
        status: if error_spans > 0 { "error".into() } else { "ok".into() },
        error_spans: error_spans as u64,
        session_id: row.get(15)?,
        models: split(&row.get::<_, String>(16)?),
        tools: split(&row.get::<_, String>(17)?),
        signatures: row
            .get::<_, Option<String>>(18)?
            .map(|ids| ids.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

const LIST_COLUMNS: &str =
    "trace_id, project, service, root_name, start_ns, end_ns, span_count, llm_calls, tool_calls, tool_errors,
     agent_spans, error_spans, input_tokens, output_tokens, cost, session_id, models, tools,
     (SELECT group_concat(DISTINCT s.signature_id) FROM signatures s WHERE s.trace_id = traces.trace_id)";

/// Trace summaries, newest first, filtered.
pub fn list_traces(connection: &Connection, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut bind = |clause: &str, value: Value, clauses: &mut Vec<String>| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(project) = &filter.project {
        bind("project = ?", Value::Text(project.clone()), &mut clauses);
    }
    if let Some(service) = &filter.service {
        bind("service = ?", Value::Text(service.clone()), &mut clauses);
    }
    if let Some(from) = filter.start_from_unix_nano {
        bind("start_ns >= ?", Value::Integer(from.min(i64::MAX as u64) as i64), &mut clauses);
    }
    if let Some(to) = filter.start_to_unix_nano {
        bind("start_ns < ?", Value::Integer(to.min(i64::MAX as u64) as i64), &mut clauses);
    }
    match filter.has_error {
        Some(true) => clauses.push("error_spans > 0".into()),
        Some(false) => clauses.push("error_spans = 0".into()),
        None => {}
    }
    if let Some(min) = filter.min_duration_ns {
        bind("end_ns - start_ns >= ?", Value::Integer(min.min(i64::MAX as u64) as i64), &mut clauses);
    }
    if let Some(model) = &filter.model {
        bind("instr(models, ?) > 0", Value::Text(format!("{LIST_SEPARATOR}{model}{LIST_SEPARATOR}")), &mut clauses);
    }
    if let Some(tool) = &filter.tool {
        bind("instr(tools, ?) > 0", Value::Text(format!("{LIST_SEPARATOR}{tool}{LIST_SEPARATOR}")), &mut clauses);
    }
    if let Some(session) = &filter.session_id {
        bind("session_id = ?", Value::Text(session.clone()), &mut clauses);
    }
    if let Some(text) = &filter.text {
        let Some(query) = crate::text::fts_query(text) else {
            return Err(StoreError::new(StoreErrorKind::InvalidRequest, "full-text search needs at least one word"));
        };
        bind(
            "trace_id IN (SELECT c.trace_id FROM chunks c WHERE c.id IN (SELECT rowid FROM chunk_text WHERE chunk_text MATCH ?))",
            Value::Text(query),
            &mut clauses,
        );
    }
    let where_clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let limit = filter.limit.unwrap_or(100).min(1_000_000) as i64;
    let sql =
        format!("SELECT {LIST_COLUMNS} FROM traces {where_clause} ORDER BY start_ns DESC, trace_id LIMIT {limit}");
    let mut statement = connection.prepare(&sql).map_err(backend)?;
    let rows = statement.query_map(params_from_iter(values.iter()), item_from_row).map_err(backend)?;
    rows.map(|row| row.map_err(backend)).collect()
}

/// The stored summary counts of one trace.
pub fn trace_summary(connection: &Connection, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>> {
    connection
        .query_row(
            "SELECT span_count, max_depth, llm_calls, tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost, orphans
             FROM traces WHERE trace_id = ?1",
            params![&trace_id[..]],
            |row| {
                let n = |i: usize| row.get::<_, i64>(i).map(|v| v.max(0) as u64);
                let input = n(7)?;
                let output = n(8)?;
                Ok(TraceSummary {
                    spans: n(0)?,
                    max_depth: n(1)?,
                    llm_calls: n(2)?,
                    tool_calls: n(3)?,
                    tool_errors: n(4)?,
                    error_spans: n(5)?,
                    agent_spans: n(6)?,
                    input_tokens: input,
                    output_tokens: output,
                    total_tokens: input + output,
                    cost_usd: row.get(9)?,
                    orphans: n(10)?,
                })
            },
        )
        .optional()
        .map_err(backend)
}

/// A unique trace id with this hex prefix (>= 4 digits).
pub fn resolve_trace_id(connection: &Connection, prefix: &str) -> StoreResult<Option<TraceId>> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 4 || prefix.len() > 32 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let low = hex::decode(format!("{prefix:0<32}"))
        .map_err(|e| StoreError::new(StoreErrorKind::InvalidRequest, e.to_string()))?;
    let high = hex::decode(format!("{prefix:f<32}"))
        .map_err(|e| StoreError::new(StoreErrorKind::InvalidRequest, e.to_string()))?;
    let mut statement = connection
        .prepare_cached("SELECT trace_id FROM traces WHERE trace_id BETWEEN ?1 AND ?2 LIMIT 2")
        .map_err(backend)?;
    let found: Vec<Vec<u8>> = statement
        .query_map(params![low, high], |row| row.get(0))
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)?;
    match found.len() {
        1 => Ok(Some(to_trace_id(found.into_iter().next().unwrap_or_default())?)),
        _ => Ok(None),
    }
}

/// All stored signatures.
pub fn list_signatures(connection: &Connection, project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
    let sql = "SELECT s.trace_id, s.signature_id, s.signature, s.detector, s.service, s.model, s.start_ns FROM signatures s
               JOIN traces t ON t.trace_id = s.trace_id WHERE (?1 IS NULL OR t.project = ?1) ORDER BY s.start_ns, s.trace_id";
    let mut statement = connection.prepare_cached(sql).map_err(backend)?;
    let rows = statement
        .query_map(params![project], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                TraceSignature {
                    trace_id: [0; 16],
                    signature_id: row.get(1)?,
                    signature: row.get(2)?,
                    detector: row.get(3)?,
                    service: row.get(4)?,
                    model: row.get(5)?,
                    start_time_unix_nano: row.get::<_, i64>(6)?.max(0) as u64,
                },
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (trace_id, mut signature) = row.map_err(backend)?;
        signature.trace_id = to_trace_id(trace_id)?;
        out.push(signature);
    }
    Ok(out)
}

/// Traces never analysed, or analysed when they had fewer spans than now.
pub fn unanalysed_traces(connection: &Connection, project: Option<&str>) -> StoreResult<Vec<TraceId>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT t.trace_id FROM traces t LEFT JOIN analysed a ON a.trace_id = t.trace_id
             WHERE (a.trace_id IS NULL OR a.span_count != t.span_count) AND (?1 IS NULL OR t.project = ?1)
             ORDER BY t.start_ns",
        )
        .map_err(backend)?;
    let rows = statement.query_map(params![project], |row| row.get::<_, Vec<u8>>(0)).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(to_trace_id(row.map_err(backend)?)?);
    }
    Ok(out)
}
