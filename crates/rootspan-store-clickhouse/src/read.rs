//! The read path of spans: whole traces, single spans, pages of span rows, and the live rows a
//! summary roll-up reads ([`crate::summaries`] has the trace list and the rest). Every query is a fixed SQL string with `{name:Type}` parameters, answers come
//! back as RowBinary, and every query picks the live version of a row itself (`argMax(...,
//! version)` per span, `FINAL` on summaries, the highest generation of signatures), so answers
//! are right whether or not ClickHouse has merged parts yet.

use crate::http::{Client, Param};
use crate::rowbinary::Reader;
use crate::write::LiveRows;
use rootspan_model::{LogRecord, Span, SpanId, StatusCode, TraceId};
use rootspan_store::rows::{SpanRow, kind_from_code};
use rootspan_store::{StoreError, StoreResult};
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
pub(crate) const LIVE_GENERATIONS: &str =
    "(trace_id, generation) IN (SELECT trace_id, max(generation) FROM analysed GROUP BY trace_id)";

pub(crate) fn ids_in(column: &str) -> String {
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
