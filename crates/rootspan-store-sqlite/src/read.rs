//! The read path, and the SQL side of trace summaries (the roll-up itself is
//! [`rootspan_store::rows::TraceRecord::roll_up`], shared by every backend).

use crate::{backend, codec};
use rootspan_model::{Span, StatusCode, TraceId, TraceSummary};
use rootspan_store::rows::{SpanRow, TraceRecord, clamp_i64, kind_from_code};
use rootspan_store::{
    DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, PrefixMatch, StoreError, StoreErrorKind, StoreResult, TraceFilter,
    TraceListItem, TraceSignature,
};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter, types::Value};
use std::collections::{BTreeSet, HashMap};

const LIST_SEPARATOR: char = '\u{1f}';

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

fn split(text: &str) -> BTreeSet<String> {
    text.split(LIST_SEPARATOR).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn non_negative(value: i64) -> u64 {
    value.max(0) as u64
}

/// A span row from the columns of the version 1 `spans` table (used by migration 4).
pub fn span_row_from_sql(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<SpanRow>> {
    let span_id: Vec<u8> = row.get(0)?;
    let Ok(span_id) = <[u8; 8]>::try_from(span_id) else { return Ok(None) };
    let parent: Option<Vec<u8>> = row.get(1)?;
    Ok(Some(SpanRow {
        span_id,
        parent_span_id: parent.and_then(|p| <[u8; 8]>::try_from(p).ok()),
        start_time_unix_nano: non_negative(row.get(2)?),
        end_time_unix_nano: non_negative(row.get(3)?),
        name: row.get(4)?,
        kind: kind_from_code(row.get(5)?),
        status: StatusCode::from_i32(row.get(6)?),
        input_tokens: row.get::<_, Option<i64>>(7)?.map(non_negative),
        output_tokens: row.get::<_, Option<i64>>(8)?.map(non_negative),
        cost_usd: row.get(9)?,
        model: row.get(10)?,
        tool: row.get(11)?,
        session_id: row.get(12)?,
        service: row.get(13)?,
    }))
}

/// The live span rows of one trace: for every span id, the row of its latest delivery (the
/// highest chunk id), with that chunk's id.
fn live_rows(connection: &Connection, trace_id: &TraceId) -> StoreResult<HashMap<[u8; 8], (i64, SpanRow)>> {
    let mut statement =
        connection.prepare_cached("SELECT id, rows FROM chunks WHERE trace_id = ?1 ORDER BY id").map_err(backend)?;
    let mut rows = statement.query(params![&trace_id[..]]).map_err(backend)?;
    let mut live = HashMap::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let chunk_id: i64 = row.get(0).map_err(backend)?;
        let blob = row.get_ref(1).map_err(backend)?.as_blob_or_null().map_err(|e| backend(e.into()))?;
        for span_row in codec::decode_rows(blob)? {
            live.insert(span_row.span_id, (chunk_id, span_row));
        }
    }
    Ok(live)
}

/// The span rows of one trace.
fn span_rows(connection: &Connection, trace_id: &TraceId) -> StoreResult<Vec<SpanRow>> {
    Ok(live_rows(connection, trace_id)?.into_values().map(|(_, row)| row).collect())
}

/// The span rows of one trace with span ids after `after` (empty: all), in span id order.
fn span_rows_after(
    connection: &Connection,
    trace_id: &TraceId,
    after: &[u8],
    limit: usize,
) -> StoreResult<Vec<SpanRow>> {
    let mut rows: Vec<SpanRow> = live_rows(connection, trace_id)?
        .into_values()
        .map(|(_, row)| row)
        .filter(|row| &row.span_id[..] > after)
        .collect();
    rows.sort_by_key(|row| row.span_id);
    rows.truncate(limit);
    Ok(rows)
}

/// One page of a trace's span rows in span id order, after `after`; `None` for an unknown trace.
pub fn span_rows_page(
    connection: &Connection,
    trace_id: &TraceId,
    after: Option<&[u8; 8]>,
    limit: usize,
) -> StoreResult<Option<Vec<SpanRow>>> {
    let snapshot = connection.unchecked_transaction().map_err(backend)?;
    let rows = span_rows_after(&snapshot, trace_id, after.map(|a| &a[..]).unwrap_or(&[]), limit)?;
    if rows.is_empty() {
        let known: bool = snapshot
            .query_row("SELECT count(*) FROM traces WHERE trace_id = ?1", params![&trace_id[..]], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(backend)?
            > 0;
        snapshot.commit().map_err(backend)?;
        return Ok(known.then(Vec::new));
    }
    snapshot.commit().map_err(backend)?;
    Ok(Some(rows))
}

/// One span (latest delivery), logs attached, views not derived.
pub fn load_span(connection: &Connection, trace_id: &TraceId, span_id: &[u8; 8]) -> StoreResult<Option<Span>> {
    let Some(&(chunk, _)) = live_rows(connection, trace_id)?.get(span_id) else { return Ok(None) };
    let payload: Vec<u8> = connection
        .query_row("SELECT payload FROM chunks WHERE id = ?1", params![chunk], |row| row.get(0))
        .map_err(backend)?;
    let Some(mut span) = codec::decode_spans(&payload)?.into_iter().find(|s| &s.span_id == span_id) else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached("SELECT payload FROM logs WHERE trace_id = ?1 AND span_id = ?2 ORDER BY id")
        .map_err(backend)?;
    let mut rows = statement.query(params![&trace_id[..], &span_id[..]]).map_err(backend)?;
    while let Some(row) = rows.next().map_err(backend)? {
        let record = codec::decode_log(&row.get::<_, Vec<u8>>(0).map_err(backend)?)?;
        if !span.logs.contains(&record) {
            span.logs.push(record);
        }
    }
    Ok(Some(span))
}

/// Recomputes the summary row of one trace from its span rows (the shared roll-up). A trace
/// keeps the project of its first write; `project_hint` names it for a new trace.
///
/// `new_rows` are the rows this write just stored for the trace: when the trace had no summary
/// before, they are all its rows, and the roll-up uses them without reading them back.
pub fn refresh_summary(
    connection: &Connection,
    trace_id: &TraceId,
    project_hint: Option<&str>,
    new_rows: &[SpanRow],
) -> StoreResult<()> {
    let existing: Option<(String, i64)> = connection
        .prepare_cached("SELECT project, span_count FROM traces WHERE trace_id = ?1")
        .map_err(backend)?
        .query_row(params![&trace_id[..]], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .map_err(backend)?;
    let (existing_project, previous_count) = match existing {
        Some((project, count)) => (Some(project), count),
        None => (None, 0),
    };
    let read_back;
    let rows: &[SpanRow] = if existing_project.is_none() && !new_rows.is_empty() {
        new_rows
    } else {
        read_back = span_rows(connection, trace_id)?;
        &read_back
    };
    let project = existing_project
        .or(project_hint.map(str::to_owned))
        .unwrap_or_else(|| rootspan_model::DEFAULT_PROJECT.to_owned());
    let cap = rootspan_store::rows::latest_plausible_now();
    let Some(record) = TraceRecord::roll_up(trace_id, &project, rows, cap) else { return Ok(()) };
    let summary = &record.summary;
    let added = clamp_i64(summary.spans) - previous_count;
    if added != 0 {
        connection
            .prepare_cached(
                "INSERT INTO meta(key, value) VALUES ('live_spans', CAST(?1 AS TEXT))
                 ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?1 AS TEXT)",
            )
            .map_err(backend)?
            .execute(params![added])
            .map_err(backend)?;
    }
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO traces(trace_id, project, service, root_name, start_ns, end_ns, span_count, max_depth, llm_calls,
             tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost, orphans, session_id, models, tools)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )
        .map_err(backend)?
        .execute(params![
            &trace_id[..],
            record.project,
            record.service,
            record.root_name,
            clamp_i64(record.start_time_unix_nano),
            clamp_i64(record.end_time_unix_nano),
            clamp_i64(summary.spans),
            clamp_i64(summary.max_depth),
            clamp_i64(summary.llm_calls),
            clamp_i64(summary.tool_calls),
            clamp_i64(summary.tool_errors),
            clamp_i64(summary.error_spans),
            clamp_i64(summary.agent_spans),
            clamp_i64(summary.input_tokens),
            clamp_i64(summary.output_tokens),
            summary.cost_usd,
            clamp_i64(summary.orphans),
            record.session_id,
            joined(&record.models),
            joined(&record.tools),
        ])
        .map_err(backend)?;
    Ok(())
}

/// All live spans of a trace, logs attached, views not derived (the contract's `load_trace`).
pub fn load_trace(connection: &Connection, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
    let live: HashMap<[u8; 8], i64> =
        live_rows(connection, trace_id)?.into_iter().map(|(span_id, (chunk, _))| (span_id, chunk)).collect();
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
    }
    Ok(Some(spans))
}

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(TraceRecord, Option<String>, Option<String>)> {
    let trace_id: Vec<u8> = row.get(0)?;
    let trace_id = <[u8; 16]>::try_from(trace_id).unwrap_or([0; 16]);
    let n = |i: usize| row.get::<_, i64>(i).map(non_negative);
    let input = n(13)?;
    let output = n(14)?;
    let summary = TraceSummary {
        spans: n(6)?,
        max_depth: n(7)?,
        llm_calls: n(8)?,
        tool_calls: n(9)?,
        tool_errors: n(10)?,
        error_spans: n(11)?,
        agent_spans: n(12)?,
        input_tokens: input,
        output_tokens: output,
        total_tokens: input.saturating_add(output),
        cost_usd: row.get(15)?,
        orphans: n(16)?,
    };
    let record = TraceRecord {
        trace_id,
        project: row.get(1)?,
        service: row.get(2)?,
        root_name: row.get(3)?,
        start_time_unix_nano: n(4)?,
        end_time_unix_nano: n(5)?,
        summary,
        session_id: row.get(17)?,
        models: split(&row.get::<_, String>(18)?),
        tools: split(&row.get::<_, String>(19)?),
    };
    Ok((record, row.get(20)?, row.get(21)?))
}

const LIST_COLUMNS: &str =
    "trace_id, project, service, root_name, start_ns, end_ns, span_count, max_depth, llm_calls, tool_calls, tool_errors,
     error_spans, agent_spans, input_tokens, output_tokens, cost, orphans, session_id, models, tools,
     (SELECT group_concat(DISTINCT s.signature_id) FROM signatures s WHERE s.trace_id = traces.trace_id),
     (SELECT max(s.failure_mode) FROM signatures s WHERE s.trace_id = traces.trace_id)";

/// Trace ids of the chunks past the full-text watermark whose words include all of `words`:
/// by their Bloom filters, or (chunks written before filters existed) by decoding them.
fn tail_matches(connection: &Connection, watermark: i64, words: &[u64]) -> StoreResult<BTreeSet<Vec<u8>>> {
    // Chunks whose filter says "maybe", and chunks without a filter: (chunk id, trace id).
    let mut candidates: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut unfiltered = Vec::new();
    {
        let mut statement = connection
            .prepare_cached(
                "SELECT c.id, c.trace_id, b.bloom FROM chunks c LEFT JOIN chunk_blooms b ON b.chunk_id = c.id
                 WHERE c.id > ?1",
            )
            .map_err(backend)?;
        let mut rows = statement.query(params![watermark]).map_err(backend)?;
        while let Some(row) = rows.next().map_err(backend)? {
            let chunk_id: i64 = row.get(0).map_err(backend)?;
            let trace_id: Vec<u8> = row.get(1).map_err(backend)?;
            match row.get_ref(2).map_err(backend)?.as_blob_or_null().map_err(|e| backend(e.into()))? {
                Some(filter) => {
                    if crate::bloom::may_contain_all(filter, words) {
                        candidates.push((chunk_id, trace_id));
                    }
                }
                None => unfiltered.push((chunk_id, trace_id)),
            }
        }
    }
    let mut out = BTreeSet::new();
    // Few candidates: the words are rare, false positives would show, and checking them is cheap,
    // so each is decoded and checked. Many: the words are common, and the filters' rare false
    // positives are lost among the true hits, so they are taken as they are.
    let verify = candidates.len() <= VERIFY_CANDIDATES;
    if !verify {
        out.extend(candidates.drain(..).map(|(_, trace_id)| trace_id));
    }
    let mut load = connection.prepare_cached("SELECT payload FROM chunks WHERE id = ?1").map_err(backend)?;
    for (chunk_id, trace_id) in candidates.into_iter().chain(unfiltered) {
        if out.contains(&trace_id) {
            continue;
        }
        let payload: Vec<u8> = load.query_row(params![chunk_id], |row| row.get(0)).map_err(backend)?;
        let Ok(spans) = codec::decode_spans(&payload) else { continue };
        let found = crate::text::chunk_words(spans.iter());
        if words.iter().all(|word| found.binary_search(word).is_ok()) {
            out.insert(trace_id);
        }
    }
    Ok(out)
}

/// Up to this many chunks the filters call possible matches are checked one by one.
const VERIFY_CANDIDATES: usize = 256;

/// Spans stored (live, one per span id).
pub fn span_count(connection: &Connection) -> StoreResult<u64> {
    let text: Option<String> = connection
        .query_row("SELECT value FROM meta WHERE key = 'live_spans'", [], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    Ok(text.and_then(|t| t.parse::<i64>().ok()).unwrap_or(0).max(0) as u64)
}

/// Trace summaries, newest first, filtered; one read snapshot.
pub fn list_traces(connection: &Connection, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
    let snapshot = connection.unchecked_transaction().map_err(backend)?;
    let items = list_in_snapshot(&snapshot, filter)?;
    snapshot.commit().map_err(backend)?;
    Ok(items)
}

fn list_in_snapshot(connection: &Connection, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
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
            return Err(StoreError::invalid("q: a full-text search needs at least one word of letters or digits"));
        };
        let words: Vec<u64> = crate::bloom::hashes_of(text);
        let watermark = crate::fulltext::watermark(connection)?;
        let tail = tail_matches(connection, watermark, &words)?;
        connection
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS search_tail(trace_id BLOB PRIMARY KEY); DELETE FROM temp.search_tail;",
            )
            .map_err(backend)?;
        {
            let mut insert = connection
                .prepare_cached("INSERT OR IGNORE INTO temp.search_tail(trace_id) VALUES (?1)")
                .map_err(backend)?;
            for trace_id in &tail {
                insert.execute(params![trace_id]).map_err(backend)?;
            }
        }
        // The indexed part joins the tail in the same temporary table, so the list query has one
        // IN list (an OR of two subqueries made SQLite run the full-text match once per trace).
        connection
            .prepare_cached(
                "INSERT OR IGNORE INTO temp.search_tail(trace_id)
                 SELECT c.trace_id FROM chunks c
                 WHERE c.id <= ?1 AND c.id IN (SELECT rowid FROM chunk_text WHERE chunk_text MATCH ?2)",
            )
            .map_err(backend)?
            .execute(params![watermark, query])
            .map_err(backend)?;
        clauses.push("trace_id IN (SELECT trace_id FROM temp.search_tail)".to_owned());
    }
    if let Some(cursor) = &filter.after {
        let start = Value::Integer(clamp_i64(cursor.start_time_unix_nano));
        values.push(start.clone());
        let start_index = values.len();
        values.push(Value::Blob(cursor.trace_id.to_vec()));
        let id_index = values.len();
        clauses.push(format!("(start_ns < ?{start_index} OR (start_ns = ?{start_index} AND trace_id > ?{id_index}))"));
    }
    let where_clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let limit = filter.limit.unwrap_or(DEFAULT_LIST_LIMIT).min(MAX_LIST_LIMIT) as i64;
    let sql =
        format!("SELECT {LIST_COLUMNS} FROM traces {where_clause} ORDER BY start_ns DESC, trace_id LIMIT {limit}");
    let mut statement = connection.prepare(&sql).map_err(backend)?;
    let rows = statement.query_map(params_from_iter(values.iter()), item_from_row).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (record, signatures, failure_mode) = row.map_err(backend)?;
        let signatures = signatures.map(|ids| ids.split(',').map(str::to_owned).collect()).unwrap_or_default();
        out.push(record.list_item(signatures, failure_mode));
    }
    Ok(out)
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
                    total_tokens: input.saturating_add(output),
                    cost_usd: row.get(9)?,
                    orphans: n(10)?,
                })
            },
        )
        .optional()
        .map_err(backend)
}

/// What a trace id prefix matches.
pub fn resolve_trace_id(connection: &Connection, prefix: &str) -> StoreResult<PrefixMatch> {
    let Some(prefix) = rootspan_store::normalise_prefix(prefix) else { return Ok(PrefixMatch::None) };
    let decode = |padded: String| hex::decode(padded).map_err(|e| StoreError::invalid(e.to_string()));
    let low = decode(format!("{prefix:0<32}"))?;
    let high = decode(format!("{prefix:f<32}"))?;
    let mut statement = connection
        .prepare_cached("SELECT trace_id FROM traces WHERE trace_id BETWEEN ?1 AND ?2 LIMIT 2")
        .map_err(backend)?;
    let found: Vec<Vec<u8>> = statement
        .query_map(params![low, high], |row| row.get(0))
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)?;
    match found.len() {
        0 => Ok(PrefixMatch::None),
        1 => Ok(PrefixMatch::Unique(to_trace_id(found.into_iter().next().unwrap_or_default())?)),
        _ => Ok(PrefixMatch::Ambiguous),
    }
}

/// All stored signatures.
pub fn list_signatures(connection: &Connection, project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
    let sql = "SELECT s.trace_id, s.signature_id, s.signature, s.detector, s.service, s.model, s.start_ns, s.failure_mode
               FROM signatures s
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
                    failure_mode: row.get(7)?,
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

/// How many signatures name each detector, in detector order.
pub fn signature_counts(connection: &Connection) -> StoreResult<Vec<(String, u64)>> {
    let mut statement = connection
        .prepare_cached("SELECT detector, count(*) FROM signatures GROUP BY detector ORDER BY detector")
        .map_err(backend)?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?.max(0) as u64)))
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
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
