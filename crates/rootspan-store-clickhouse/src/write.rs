//! The write path: a batch becomes one RowBinary insert of span rows (narrow columns, postcard
//! payload, searchable words; version = this process's monotonic clock, so a later delivery of
//! a span id wins), one insert of new log records, then the summary of every touched trace is
//! rolled up again from all its live span rows (the contract's shared roll-up) and inserted with
//! the server's clock as its version.
//!
//! Several ingest nodes may write the same traces at once: span rows are idempotent by
//! (trace_id, span_id), and the summary with the highest version was computed by the roll-up
//! that read last, after every insert that had finished before it, so it counts them all.

use crate::http::{Client, Param};
use crate::rowbinary::{Reader, Writer};
use crate::{read, text};
use rootspan_model::{TraceId, ids::fnv1a64};
use rootspan_store::rows::{SpanRow, TraceRecord, kind_code};
use rootspan_store::{StoreError, StoreResult, TraceSignature, WriteBatch, WriteOutcome};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Versions: nanoseconds of the local clock, strictly increasing within this process.
pub struct Versions(AtomicU64);

impl Versions {
    pub fn new() -> Versions {
        Versions(AtomicU64::new(0))
    }

    /// Reserves `n` consecutive versions and returns the first.
    pub fn reserve(&self, n: u64) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos().min(u128::from(u64::MAX / 2)) as u64)
            .unwrap_or(0);
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let start = now.max(current + 1);
            match self.0.compare_exchange(current, start + n.max(1) - 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return start,
                Err(seen) => current = seen,
            }
        }
    }
}

const SPAN_INSERT: &str = "INSERT INTO spans (trace_id, span_id, project, parent_span_id, start_ns, end_ns, name, kind, \
     status, input_tokens, output_tokens, cost_usd, model, tool, session_id, service, payload, words, version) FORMAT RowBinary";

fn encode_span(out: &mut Writer, span: &rootspan_model::Span, version: u64) -> StoreResult<()> {
    let row = SpanRow::from_span(span);
    let payload = postcard::to_allocvec(span).map_err(|e| StoreError::backend(format!("encoding a span: {e}")))?;
    out.fixed(&span.trace_id);
    out.fixed(&span.span_id);
    out.str(&span.project);
    write_row(out, &row);
    out.bytes(&payload);
    out.str(&text::span_words(span));
    out.u64(version);
    Ok(())
}

/// The narrow columns of a span row, from `parent_span_id` to `service`.
fn write_row(out: &mut Writer, row: &SpanRow) {
    out.nullable(row.parent_span_id.as_ref(), |w, id| w.fixed(id));
    out.u64(row.start_time_unix_nano);
    out.u64(row.end_time_unix_nano);
    out.str(&row.name);
    out.u8(kind_code(row.kind) as u8);
    out.u8(row.status.as_i32() as u8);
    out.nullable(row.input_tokens, Writer::u64);
    out.nullable(row.output_tokens, Writer::u64);
    out.nullable(row.cost_usd, Writer::f64);
    out.nullable(row.model.as_deref(), Writer::str);
    out.nullable(row.tool.as_deref(), Writer::str);
    out.nullable(row.session_id.as_deref(), Writer::str);
    out.str(&row.service);
}

/// Writes a batch (see the module docs).
pub fn write(client: &Client, versions: &Versions, batch: WriteBatch) -> StoreResult<WriteOutcome> {
    let traces = batch.trace_ids();
    let (spans, logs) = batch.into_parts();
    let mut outcome = WriteOutcome { traces_touched: traces.len() as u64, ..Default::default() };
    if !spans.is_empty() {
        let first = versions.reserve(spans.len() as u64);
        let mut body = Writer::default();
        for (offset, span) in spans.iter().enumerate() {
            encode_span(&mut body, span, first + offset as u64)?;
        }
        client.insert(SPAN_INSERT, &body.buf)?;
        outcome.spans_written = spans.len() as u64;
    }
    if !logs.is_empty() {
        outcome.logs_written = write_logs(client, versions, &logs)?;
    }
    if !traces.is_empty() {
        refresh_summaries(client, &traces)?;
    }
    Ok(outcome)
}

/// Inserts the log records not stored yet (by content); returns how many were new.
fn write_logs(client: &Client, versions: &Versions, logs: &[rootspan_model::LogRecord]) -> StoreResult<u64> {
    let mut encoded = Vec::with_capacity(logs.len());
    for log in logs {
        let payload = postcard::to_allocvec(log).map_err(|e| StoreError::backend(format!("encoding a log: {e}")))?;
        let fingerprint = fnv1a64(&payload, 0xcbf2_9ce4_8422_2325);
        encoded.push((log.trace_id, log.span_id, fingerprint, payload));
    }
    let traces: BTreeSet<&[u8]> = encoded.iter().map(|(t, ..)| &t[..]).collect();
    let stored = client.select(
        "SELECT DISTINCT trace_id, span_id, fingerprint FROM logs
         WHERE trace_id IN (SELECT toFixedString(unhex(arrayJoin({traces:Array(String)})), 16)) FORMAT RowBinary",
        &[Param::hex_array("traces", traces)],
    )?;
    let mut known = HashSet::new();
    let mut reader = Reader::new(&stored);
    while !reader.is_empty() {
        known.insert((reader.fixed::<16>()?, reader.fixed::<8>()?, reader.u64()?));
    }
    let first = versions.reserve(encoded.len() as u64);
    let mut body = Writer::default();
    let mut new = 0u64;
    for (offset, (trace_id, span_id, fingerprint, payload)) in encoded.iter().enumerate() {
        if !known.insert((*trace_id, *span_id, *fingerprint)) {
            continue;
        }
        body.fixed(trace_id);
        body.fixed(span_id);
        body.u64(*fingerprint);
        body.bytes(payload);
        body.u64(first + offset as u64);
        new += 1;
    }
    if new > 0 {
        client.insert(
            "INSERT INTO logs (trace_id, span_id, fingerprint, payload, version) FORMAT RowBinary",
            &body.buf,
        )?;
    }
    Ok(new)
}

const TRACE_INSERT: &str = "INSERT INTO traces (trace_id, project, service, root_name, start_ns, end_ns, span_count, \
     max_depth, llm_calls, tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost_usd, orphans, \
     session_id, models, tools, version) FORMAT RowBinary";

/// Rolls up the summaries of these traces from their live rows and stores them.
pub fn refresh_summaries(client: &Client, traces: &[TraceId]) -> StoreResult<()> {
    let (server_now, live) = read::live_rows(client, traces)?;
    let cap = rootspan_store::rows::latest_plausible_now();
    let mut body = Writer::default();
    for (trace_id, rows) in &live {
        let project = rows.project.as_deref().unwrap_or(rootspan_model::DEFAULT_PROJECT);
        let Some(record) = TraceRecord::roll_up(trace_id, project, &rows.rows, cap) else { continue };
        write_record(&mut body, &record, server_now);
    }
    if !body.buf.is_empty() {
        client.insert(TRACE_INSERT, &body.buf)?;
    }
    Ok(())
}

fn write_record(out: &mut Writer, record: &TraceRecord, version: u64) {
    let s = &record.summary;
    out.fixed(&record.trace_id);
    out.str(&record.project);
    out.str(&record.service);
    out.str(&record.root_name);
    out.u64(record.start_time_unix_nano);
    out.u64(record.end_time_unix_nano);
    for n in [s.spans, s.max_depth, s.llm_calls, s.tool_calls, s.tool_errors, s.error_spans, s.agent_spans] {
        out.u64(n);
    }
    out.u64(s.input_tokens);
    out.u64(s.output_tokens);
    out.f64(s.cost_usd);
    out.u64(s.orphans);
    out.nullable(record.session_id.as_deref(), Writer::str);
    out.str_array(record.models.iter());
    out.str_array(record.tools.iter());
    out.u64(version);
}

/// Replaces the signatures of a trace: a new generation of rows, then the `analysed` row that
/// makes it the live one (with the trace's span count now).
pub fn put_signatures(
    client: &Client,
    versions: &Versions,
    trace_id: &TraceId,
    signatures: &[TraceSignature],
) -> StoreResult<()> {
    let generation = versions.reserve(1);
    if !signatures.is_empty() {
        let mut body = Writer::default();
        for (ordinal, signature) in signatures.iter().enumerate() {
            body.fixed(trace_id);
            body.u64(generation);
            body.u32(ordinal as u32);
            body.str(&signature.signature_id);
            body.str(&signature.signature);
            body.str(&signature.detector);
            body.str(&signature.service);
            body.nullable(signature.model.as_deref(), Writer::str);
            body.u64(signature.start_time_unix_nano);
            body.nullable(signature.failure_mode.as_deref(), Writer::str);
        }
        client.insert(
            "INSERT INTO signatures (trace_id, generation, ordinal, signature_id, signature, detector, service, model, \
             start_ns, failure_mode) FORMAT RowBinary",
            &body.buf,
        )?;
    }
    let span_count = crate::summaries::trace_summary(client, trace_id)?.map(|s| s.spans).unwrap_or(0);
    let mut body = Writer::default();
    body.fixed(trace_id);
    body.u64(span_count);
    body.u64(generation);
    client.insert("INSERT INTO analysed (trace_id, span_count, generation) FORMAT RowBinary", &body.buf)
}

/// The live rows of some traces, by trace, with the project of each trace's first write.
#[derive(Default)]
pub struct TraceRows {
    pub project: Option<String>,
    pub rows: Vec<SpanRow>,
}

/// Groups decoded rows by trace (used by [`read::live_rows`]).
pub type LiveRows = BTreeMap<TraceId, TraceRows>;
