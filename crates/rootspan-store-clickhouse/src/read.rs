//! The read path. Every query is a fixed SQL string with `{name:Type}` parameters, answers come
//! back as RowBinary, and every query picks the live version of a row itself (`argMax(...,
//! version)` per span, `FINAL` on summaries, the highest generation of signatures), so answers
//! are right whether or not ClickHouse has merged parts yet.

use crate::http::{Client, Param};
use crate::rowbinary::Reader;
use crate::text;
use crate::write::LiveRows;
use rootspan_model::{LogRecord, Span, SpanId, StatusCode, TraceId, TraceSummary};
use rootspan_store::rows::{SpanRow, TraceRecord, kind_from_code};
use rootspan_store::{
    DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, PrefixMatch, StoreError, StoreResult, TraceFilter, TraceListItem,
    TraceSignature,
};
use std::collections::HashMap;

/// The narrow columns of the live delivery of a span, as one tuple.
const ROW_TUPLE: &str = "argMax((parent_span_id, start_ns, end_ns, name, kind, status, input_tokens, output_tokens, \
     cost_usd, model, tool, session_id, service), version)";

/// The time range of one trace's spans, from the lookup table: a scalar subquery evaluated
/// before the scan, so partitions outside the range are skipped. Queries using [`IN_TRACE`]
/// start with it.
const TRACE_RANGE: &str = "WITH (SELECT (min(start_min), max(start_max)) FROM trace_ranges
      WHERE trace_id = toFixedString(unhex({trace:String}), 16)) AS trace_range";
const IN_TRACE: &str =
    "trace_id = toFixedString(unhex({trace:String}), 16) AND start_ns BETWEEN trace_range.1 AND trace_range.2";

/// The live signature generation of every analysed trace.
const LIVE_GENERATIONS: &str =
    "(trace_id, generation) IN (SELECT trace_id, max(generation) FROM analysed GROUP BY trace_id)";

fn ids_in(column: &str) -> String {
    format!("{column} IN (SELECT toFixedString(unhex(arrayJoin({{ids:Array(String)}})), 16))")
}

fn read_row(reader: &mut Reader<'_>, span_id: SpanId) -> StoreResult<SpanRow> {
    Ok(SpanRow {
        span_id,
        parent_span_id: reader.nullable(Reader::fixed::<8>)?,
        start_time_unix_nano: reader.u64()?,
        end_time_unix_nano: reader.u64()?,
        name: reader.string()?,
        kind: kind_from_code(i64::from(reader.u8()?)),
        status: StatusCode::from_i32(i32::from(reader.u8()?)),
        input_tokens: reader.nullable(Reader::u64)?,
        output_tokens: reader.nullable(Reader::u64)?,
        cost_usd: reader.nullable(Reader::f64)?,
        model: reader.nullable(Reader::string)?,
        tool: reader.nullable(Reader::string)?,
        session_id: reader.nullable(Reader::string)?,
        service: reader.string()?,
    })
}

/// The live span rows of some traces, with the project of each trace's first delivery, and the
/// server's clock when it read them (the version of the summaries rolled up from them).
pub fn live_rows(client: &Client, traces: &[TraceId]) -> StoreResult<(u64, LiveRows)> {
    let sql = format!(
        "SELECT trace_id, span_id, {ROW_TUPLE}, min(version), argMin(project, version), toUInt64(toUnixTimestamp64Nano(now64(9)))
         FROM spans WHERE {} GROUP BY trace_id, span_id FORMAT RowBinary",
        ids_in("trace_id")
    );
    let body = client.select(&sql, &[Param::hex_array("ids", traces.iter().map(|t| &t[..]))])?;
    let mut reader = Reader::new(&body);
    let mut out = LiveRows::new();
    let mut first_seen: HashMap<TraceId, u64> = HashMap::new();
    let mut now = 0;
    while !reader.is_empty() {
        let trace_id = reader.fixed::<16>()?;
        let span_id = reader.fixed::<8>()?;
        let row = read_row(&mut reader, span_id)?;
        let first_version = reader.u64()?;
        let project = reader.string()?;
        now = reader.u64()?;
        let entry = out.entry(trace_id).or_default();
        let earliest = first_seen.entry(trace_id).or_insert(u64::MAX);
        if first_version < *earliest {
            *earliest = first_version;
            entry.project = Some(project);
        }
        entry.rows.push(row);
    }
    Ok((now, out))
}

/// Decodes rows of `(span_id, payload)`.
fn decode_spans(body: &[u8]) -> StoreResult<Vec<Span>> {
    let mut reader = Reader::new(body);
    let mut spans = Vec::new();
    while !reader.is_empty() {
        let payload = reader.bytes()?;
        let span: Span =
            postcard::from_bytes(payload).map_err(|e| StoreError::corrupt(format!("decoding a stored span: {e}")))?;
        spans.push(span);
    }
    Ok(spans)
}

/// The log records of a trace (or of one span), first delivery first, by span.
fn logs_of(
    client: &Client,
    trace_id: &TraceId,
    span_id: Option<&SpanId>,
) -> StoreResult<HashMap<SpanId, Vec<LogRecord>>> {
    let (filter, mut params) = match span_id {
        Some(span_id) => (" AND span_id = toFixedString(unhex({span:String}), 8)", vec![Param::hex("span", span_id)]),
        None => ("", Vec::new()),
    };
    params.push(Param::hex("trace", trace_id));
    let sql = format!(
        "SELECT span_id, any(payload) FROM logs WHERE trace_id = toFixedString(unhex({{trace:String}}), 16){filter}
         GROUP BY span_id, fingerprint ORDER BY min(version) FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out: HashMap<SpanId, Vec<LogRecord>> = HashMap::new();
    while !reader.is_empty() {
        let span_id = reader.fixed::<8>()?;
        let record: LogRecord = postcard::from_bytes(reader.bytes()?)
            .map_err(|e| StoreError::corrupt(format!("decoding a stored log record: {e}")))?;
        out.entry(span_id).or_default().push(record);
    }
    Ok(out)
}

fn attach(span: &mut Span, records: Vec<LogRecord>) {
    for record in records {
        if !span.logs.contains(&record) {
            span.logs.push(record);
        }
    }
}

/// All live spans of a trace, logs attached, views not derived: spans and log records in one
/// round trip (`kind` 0 = span, 1 = log record; log records in order of first delivery).
pub fn load_trace(client: &Client, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
    let sql = format!(
        "{TRACE_RANGE} SELECT toUInt8(0), span_id, argMax(payload, version), toUInt64(0) FROM spans WHERE {IN_TRACE}
         GROUP BY span_id
         UNION ALL
         SELECT toUInt8(1), span_id, any(payload), min(version) FROM logs
         WHERE trace_id = toFixedString(unhex({{trace:String}}), 16) GROUP BY span_id, fingerprint
         FORMAT RowBinary"
    );
    let body = client.select(&sql, &[Param::hex("trace", trace_id)])?;
    let mut reader = Reader::new(&body);
    let mut spans = Vec::new();
    let mut logs: Vec<(u64, SpanId, LogRecord)> = Vec::new();
    while !reader.is_empty() {
        let kind = reader.u8()?;
        let span_id = reader.fixed::<8>()?;
        let payload = reader.bytes()?;
        let first = reader.u64()?;
        if kind == 0 {
            spans.push(
                postcard::from_bytes::<Span>(payload)
                    .map_err(|e| StoreError::corrupt(format!("decoding a stored span: {e}")))?,
            );
        } else {
            let record: LogRecord = postcard::from_bytes(payload)
                .map_err(|e| StoreError::corrupt(format!("decoding a stored log record: {e}")))?;
            logs.push((first, span_id, record));
        }
    }
    if spans.is_empty() {
        return Ok(None);
    }
    logs.sort_by_key(|(first, ..)| *first);
    let mut by_span: HashMap<SpanId, Vec<LogRecord>> = HashMap::new();
    for (_, span_id, record) in logs {
        by_span.entry(span_id).or_default().push(record);
    }
    for span in &mut spans {
        if let Some(records) = by_span.remove(&span.span_id) {
            attach(span, records);
        }
    }
    Ok(Some(spans))
}

/// One live span, logs attached, view not derived.
pub fn load_span(client: &Client, trace_id: &TraceId, span_id: &SpanId) -> StoreResult<Option<Span>> {
    let sql = format!(
        "{TRACE_RANGE} SELECT argMax(payload, version) FROM spans WHERE {IN_TRACE} AND span_id = toFixedString(unhex({{span:String}}), 8)
         GROUP BY span_id FORMAT RowBinary"
    );
    let params = [Param::hex("trace", trace_id), Param::hex("span", span_id)];
    let Some(mut span) = decode_spans(&client.select(&sql, &params)?)?.pop() else { return Ok(None) };
    if let Some(records) = logs_of(client, trace_id, Some(span_id))?.remove(span_id) {
        attach(&mut span, records);
    }
    Ok(Some(span))
}

fn trace_known(client: &Client, trace_id: &TraceId) -> StoreResult<bool> {
    let body = client.select(
        "SELECT count() FROM trace_ranges WHERE trace_id = toFixedString(unhex({trace:String}), 16) FORMAT RowBinary",
        &[Param::hex("trace", trace_id)],
    )?;
    Ok(Reader::new(&body).u64()? > 0)
}

/// One page of a trace's live span rows in span id order, after `after`.
pub fn span_rows_page(
    client: &Client,
    trace_id: &TraceId,
    after: Option<&SpanId>,
    limit: usize,
) -> StoreResult<Option<Vec<SpanRow>>> {
    let sql = format!(
        "{TRACE_RANGE} SELECT span_id, {ROW_TUPLE} FROM spans WHERE {IN_TRACE} AND span_id > toFixedString(unhex({{after:String}}), 8)
         GROUP BY span_id ORDER BY span_id LIMIT {{limit:UInt64}} FORMAT RowBinary"
    );
    let params = [
        Param::hex("trace", trace_id),
        Param::hex("after", &after.copied().unwrap_or([0; 8])),
        Param::u64("limit", limit as u64),
    ];
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut rows = Vec::new();
    while !reader.is_empty() {
        let span_id = reader.fixed::<8>()?;
        rows.push(read_row(&mut reader, span_id)?);
    }
    // The page starts after span id 0 when `after` is none: a span whose id is all zeros is
    // invalid in OTLP and never stored.
    if rows.is_empty() && !trace_known(client, trace_id)? {
        return Ok(None);
    }
    Ok(Some(rows))
}

const SUMMARY_COLUMNS: &str = "trace_id, project, service, root_name, start_ns, end_ns, span_count, max_depth, llm_calls, \
     tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost_usd, orphans, session_id, models, tools";

fn read_summary(reader: &mut Reader<'_>) -> StoreResult<TraceSummary> {
    let spans = reader.u64()?;
    let max_depth = reader.u64()?;
    let llm_calls = reader.u64()?;
    let tool_calls = reader.u64()?;
    let tool_errors = reader.u64()?;
    let error_spans = reader.u64()?;
    let agent_spans = reader.u64()?;
    let input_tokens = reader.u64()?;
    let output_tokens = reader.u64()?;
    Ok(TraceSummary {
        spans,
        max_depth,
        llm_calls,
        tool_calls,
        tool_errors,
        error_spans,
        agent_spans,
        input_tokens,
        output_tokens,
        total_tokens: input_tokens.saturating_add(output_tokens),
        cost_usd: reader.f64()?,
        orphans: reader.u64()?,
    })
}

fn read_record(reader: &mut Reader<'_>) -> StoreResult<TraceRecord> {
    let trace_id = reader.fixed::<16>()?;
    let project = reader.string()?;
    let service = reader.string()?;
    let root_name = reader.string()?;
    let start_time_unix_nano = reader.u64()?;
    let end_time_unix_nano = reader.u64()?;
    let summary = read_summary(reader)?;
    Ok(TraceRecord {
        trace_id,
        project,
        service,
        root_name,
        start_time_unix_nano,
        end_time_unix_nano,
        summary,
        session_id: reader.nullable(Reader::string)?,
        models: reader.string_array()?.into_iter().collect(),
        tools: reader.string_array()?.into_iter().collect(),
    })
}

/// The stored summary of one trace.
pub fn trace_summary(client: &Client, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>> {
    let body = client.select(
        "SELECT span_count, max_depth, llm_calls, tool_calls, tool_errors, error_spans, agent_spans, input_tokens,
                output_tokens, cost_usd, orphans
         FROM traces FINAL WHERE trace_id = toFixedString(unhex({trace:String}), 16) FORMAT RowBinary",
        &[Param::hex("trace", trace_id)],
    )?;
    let mut reader = Reader::new(&body);
    if reader.is_empty() {
        return Ok(None);
    }
    read_summary(&mut reader).map(Some)
}

/// Trace summaries, newest first, filtered: fixed SQL fragments, every value a parameter.
pub fn list_traces(client: &Client, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    if let Some(project) = &filter.project {
        clauses.push("project = {project:String}".into());
        params.push(Param::str("project", project));
    }
    if let Some(service) = &filter.service {
        clauses.push("service = {service:String}".into());
        params.push(Param::str("service", service));
    }
    if let Some(from) = filter.start_from_unix_nano {
        clauses.push("start_ns >= {from:UInt64}".into());
        params.push(Param::u64("from", from));
    }
    if let Some(to) = filter.start_to_unix_nano {
        clauses.push("start_ns < {to:UInt64}".into());
        params.push(Param::u64("to", to));
    }
    match filter.has_error {
        Some(true) => clauses.push("error_spans > 0".into()),
        Some(false) => clauses.push("error_spans = 0".into()),
        None => {}
    }
    if let Some(min) = filter.min_duration_ns {
        clauses.push("end_ns - start_ns >= {min_duration:UInt64}".into());
        params.push(Param::u64("min_duration", min));
    }
    if let Some(model) = &filter.model {
        clauses.push("has(models, {model:String})".into());
        params.push(Param::str("model", model));
    }
    if let Some(tool) = &filter.tool {
        clauses.push("has(tools, {tool:String})".into());
        params.push(Param::str("tool", tool));
    }
    if let Some(session) = &filter.session_id {
        clauses.push("session_id = {session:String}".into());
        params.push(Param::str("session", session));
    }
    if let Some(query) = &filter.text {
        let words = text::query_words(query);
        if words.is_empty() {
            return Err(StoreError::invalid("q: a full-text search needs at least one word of letters or digits"));
        }
        clauses.push(text_clause(words.len()));
        for (name, word) in WORD_PARAMS.iter().zip(&words) {
            params.push(Param::str(name, word));
        }
    }
    if let Some(cursor) = &filter.after {
        clauses.push(
            "(start_ns < {cursor_start:UInt64} OR (start_ns = {cursor_start:UInt64} \
             AND trace_id > toFixedString(unhex({cursor_trace:String}), 16)))"
                .into(),
        );
        params.push(Param::u64("cursor_start", cursor.start_time_unix_nano));
        params.push(Param::hex("cursor_trace", &cursor.trace_id));
    }
    let where_clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    params.push(Param::u64("limit", filter.limit.unwrap_or(DEFAULT_LIST_LIMIT).min(MAX_LIST_LIMIT) as u64));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM traces FINAL {where_clause}
         ORDER BY start_ns DESC, trace_id LIMIT {{limit:UInt64}} FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut records = Vec::new();
    while !reader.is_empty() {
        records.push(read_record(&mut reader)?);
    }
    let mut verdicts = signatures_of(client, records.iter().map(|r| r.trace_id))?;
    Ok(records
        .iter()
        .map(|record| {
            let (ids, mode) = verdicts.remove(&record.trace_id).unwrap_or_default();
            record.list_item(ids, mode)
        })
        .collect())
}

const WORD_PARAMS: [&str; text::MAX_QUERY_WORDS] =
    ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11", "w12", "w13", "w14", "w15"];

/// Traces whose live spans hold every word: candidates by the token index (rows holding the
/// first word), then checked on the live version of each span.
fn text_clause(words: usize) -> String {
    let all: Vec<String> =
        WORD_PARAMS[..words].iter().map(|w| format!("max(hasToken(w, {{{w}:String}})) = 1")).collect();
    format!(
        "trace_id IN (SELECT trace_id FROM (
            SELECT trace_id, span_id, argMax(words, version) AS w FROM spans
            WHERE trace_id IN (SELECT trace_id FROM spans WHERE hasToken(words, {{w0:String}}))
            GROUP BY trace_id, span_id)
         GROUP BY trace_id HAVING {})",
        all.join(" AND ")
    )
}

/// A trace's live signature ids and the failure mode its analysis diagnosed.
type Verdict = (Vec<String>, Option<String>);

/// The live signature ids (in the order they were put) and the diagnosed failure mode of
/// these traces.
fn signatures_of(client: &Client, traces: impl Iterator<Item = TraceId>) -> StoreResult<HashMap<TraceId, Verdict>> {
    let traces: Vec<TraceId> = traces.collect();
    let mut out: HashMap<TraceId, Verdict> = HashMap::new();
    if traces.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT trace_id, signature_id, failure_mode FROM signatures
         WHERE (trace_id, generation) IN (SELECT trace_id, max(generation) FROM analysed WHERE {} GROUP BY trace_id)
         ORDER BY trace_id, ordinal LIMIT 1 BY trace_id, generation, ordinal FORMAT RowBinary",
        ids_in("trace_id")
    );
    let body = client.select(&sql, &[Param::hex_array("ids", traces.iter().map(|t| &t[..]))])?;
    let mut reader = Reader::new(&body);
    while !reader.is_empty() {
        let trace_id = reader.fixed::<16>()?;
        let signature_id = reader.string()?;
        let failure_mode = reader.nullable(Reader::string)?;
        let entry = out.entry(trace_id).or_default();
        if !entry.0.contains(&signature_id) {
            entry.0.push(signature_id);
        }
        if failure_mode > entry.1 {
            entry.1 = failure_mode;
        }
    }
    Ok(out)
}

/// What a trace id prefix matches.
pub fn resolve_trace_id(client: &Client, prefix: &str) -> StoreResult<PrefixMatch> {
    let Some(prefix) = rootspan_store::normalise_prefix(prefix) else { return Ok(PrefixMatch::None) };
    let decode = |padded: String| hex::decode(padded).map_err(|e| StoreError::invalid(e.to_string()));
    let low = decode(format!("{prefix:0<32}"))?;
    let high = decode(format!("{prefix:f<32}"))?;
    let body = client.select(
        "SELECT DISTINCT trace_id FROM trace_ranges
         WHERE trace_id >= toFixedString(unhex({low:String}), 16) AND trace_id <= toFixedString(unhex({high:String}), 16)
         LIMIT 2 FORMAT RowBinary",
        &[Param::hex("low", &low), Param::hex("high", &high)],
    )?;
    let mut reader = Reader::new(&body);
    let mut found = Vec::new();
    while !reader.is_empty() {
        found.push(reader.fixed::<16>()?);
    }
    Ok(match found.as_slice() {
        [] => PrefixMatch::None,
        [one] => PrefixMatch::Unique(*one),
        _ => PrefixMatch::Ambiguous,
    })
}

/// Traces never analysed, or analysed at another span count, oldest first.
pub fn unanalysed_traces(client: &Client, project: Option<&str>) -> StoreResult<Vec<TraceId>> {
    let (filter, params) = match project {
        Some(project) => ("project = {project:String} AND", vec![Param::str("project", project)]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT trace_id FROM traces FINAL
         WHERE {filter} (trace_id, span_count) NOT IN (SELECT trace_id, argMax(span_count, generation) FROM analysed GROUP BY trace_id)
         ORDER BY start_ns, trace_id FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(reader.fixed::<16>()?);
    }
    Ok(out)
}

/// The live signatures of every trace (of one project), oldest first.
pub fn list_signatures(client: &Client, project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
    let (filter, params) = match project {
        Some(project) => ("WHERE project = {project:String}", vec![Param::str("project", project)]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT trace_id, signature_id, signature, detector, service, model, start_ns, failure_mode FROM signatures
         WHERE {LIVE_GENERATIONS} AND trace_id IN (SELECT trace_id FROM traces {filter})
         ORDER BY start_ns, trace_id, ordinal LIMIT 1 BY trace_id, generation, ordinal FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(TraceSignature {
            trace_id: reader.fixed::<16>()?,
            signature_id: reader.string()?,
            signature: reader.string()?,
            detector: reader.string()?,
            service: reader.string()?,
            model: reader.nullable(Reader::string)?,
            start_time_unix_nano: reader.u64()?,
            failure_mode: reader.nullable(Reader::string)?,
        });
    }
    Ok(out)
}

/// How many live signatures name each detector.
pub fn signature_counts(client: &Client) -> StoreResult<Vec<(String, u64)>> {
    let sql = format!(
        "SELECT detector, count() FROM (SELECT detector FROM signatures WHERE {LIVE_GENERATIONS}
         LIMIT 1 BY trace_id, generation, ordinal) GROUP BY detector ORDER BY detector FORMAT RowBinary"
    );
    let body = client.select(&sql, &[])?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push((reader.string()?, reader.u64()?));
    }
    Ok(out)
}

/// Live spans stored: the sum of the live summaries' span counts.
pub fn span_count(client: &Client) -> StoreResult<u64> {
    let body = client.select("SELECT toUInt64(sum(span_count)) FROM traces FINAL FORMAT RowBinary", &[])?;
    Reader::new(&body).u64()
}

/// Bytes of the active parts of this database's tables, on the node answering.
pub fn size_bytes(client: &Client) -> StoreResult<u64> {
    let body = client.select(
        "SELECT toUInt64(sum(bytes_on_disk)) FROM system.parts WHERE database = {database:String} AND active FORMAT RowBinary",
        &[Param::str("database", client.database())],
    )?;
    Reader::new(&body).u64()
}
