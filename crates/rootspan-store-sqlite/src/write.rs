//! The write path. Encoding (postcard + zstd), the narrow span rows and the Bloom filter of each
//! chunk are built in [`prepare`], outside the writer lock, so that concurrent requests use both
//! cores; [`commit`] then runs one transaction: one chunk row per trace (payload, rows, filter),
//! log records (deduplicated by content), and the summary of every touched trace, rolled up from
//! its live rows (the latest delivery of each span id wins). Full-text indexing is deferred to
//! [`crate::fulltext`].

use crate::{backend, bloom, codec, read, text};
use rootspan_model::{TraceId, ids::fnv1a64};
use rootspan_store::rows::{SpanRow, clamp_i64};
use rootspan_store::{StoreResult, TraceSignature, WriteBatch, WriteOutcome};
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// One trace's part of a batch, ready to insert.
struct PreparedTrace {
    trace_id: TraceId,
    project: String,
    payload: Vec<u8>,
    /// Bloom filter of the chunk's words, for searches before the chunk is indexed.
    bloom: Vec<u8>,
    rows: Vec<SpanRow>,
    /// The rows, encoded for the chunk's `rows` column.
    rows_blob: Vec<u8>,
}

/// One encoded log record.
struct PreparedLog {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    fingerprint: i64,
    payload: Vec<u8>,
}

/// A batch, encoded and ready to insert.
pub struct Prepared {
    traces: Vec<PreparedTrace>,
    logs: Vec<PreparedLog>,
}

/// Encodes a batch (no lock held).
pub fn prepare(batch: WriteBatch) -> StoreResult<Prepared> {
    let mut order: Vec<TraceId> = Vec::new();
    let mut by_trace: HashMap<TraceId, Vec<&rootspan_model::Span>> = HashMap::new();
    for span in batch.spans() {
        by_trace
            .entry(span.trace_id)
            .or_insert_with(|| {
                order.push(span.trace_id);
                Vec::new()
            })
            .push(span);
    }
    let mut traces = Vec::with_capacity(order.len());
    for trace_id in order {
        let spans = by_trace.remove(&trace_id).unwrap_or_default();
        let payload = codec::encode_spans(&spans)?;
        let bloom = bloom::build(&text::chunk_words(spans.iter().copied()));
        let rows: Vec<SpanRow> = spans.iter().map(|span| SpanRow::from_span(span)).collect();
        let rows_blob = codec::encode_rows(&rows)?;
        let project = spans.first().map(|s| s.project.clone()).unwrap_or_default();
        traces.push(PreparedTrace { trace_id, project, payload, bloom, rows, rows_blob });
    }
    let mut logs = Vec::with_capacity(batch.logs().len());
    for log in batch.logs() {
        let payload = codec::encode_log(log)?;
        let fingerprint = fnv1a64(&payload, 0xcbf2_9ce4_8422_2325) as i64;
        logs.push(PreparedLog { trace_id: log.trace_id, span_id: log.span_id, fingerprint, payload });
    }
    Ok(Prepared { traces, logs })
}

/// Inserts a prepared batch in one transaction.
pub fn commit(connection: &mut Connection, prepared: Prepared) -> StoreResult<WriteOutcome> {
    let transaction = connection.transaction().map_err(backend)?;
    let mut outcome = WriteOutcome::default();
    {
        let mut insert_chunk = transaction
            .prepare_cached("INSERT INTO chunks(trace_id, payload, rows) VALUES (?1, ?2, ?3)")
            .map_err(backend)?;
        let mut insert_bloom = transaction
            .prepare_cached("INSERT OR REPLACE INTO chunk_blooms(chunk_id, bloom) VALUES (?1, ?2)")
            .map_err(backend)?;
        for trace in &prepared.traces {
            insert_chunk.execute(params![&trace.trace_id[..], trace.payload, trace.rows_blob]).map_err(backend)?;
            let chunk_id = transaction.last_insert_rowid();
            insert_bloom.execute(params![chunk_id, trace.bloom]).map_err(backend)?;
            outcome.spans_written += trace.rows.len() as u64;
        }
        let mut insert_log = transaction
            .prepare_cached(
                "INSERT OR IGNORE INTO logs(trace_id, span_id, fingerprint, payload) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?;
        for log in &prepared.logs {
            outcome.logs_written += insert_log
                .execute(params![&log.trace_id[..], &log.span_id[..], log.fingerprint, log.payload])
                .map_err(backend)? as u64;
        }
        for trace in &prepared.traces {
            read::refresh_summary(&transaction, &trace.trace_id, Some(&trace.project), &trace.rows)?;
        }
        outcome.traces_touched = prepared.traces.len() as u64;
    }
    transaction.commit().map_err(backend)?;
    Ok(outcome)
}

/// Replaces the signatures of a trace.
pub fn put_signatures(
    connection: &mut Connection,
    trace_id: &TraceId,
    signatures: &[TraceSignature],
) -> StoreResult<()> {
    let transaction = connection.transaction().map_err(backend)?;
    transaction.execute("DELETE FROM signatures WHERE trace_id = ?1", params![&trace_id[..]]).map_err(backend)?;
    transaction
        .execute(
            "INSERT OR REPLACE INTO analysed(trace_id, span_count)
             SELECT trace_id, span_count FROM traces WHERE trace_id = ?1",
            params![&trace_id[..]],
        )
        .map_err(backend)?;
    {
        let mut insert = transaction
            .prepare_cached(
                "INSERT INTO signatures(trace_id, signature_id, signature, detector, service, model, start_ns, failure_mode)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(backend)?;
        for signature in signatures {
            insert
                .execute(params![
                    &trace_id[..],
                    signature.signature_id,
                    signature.signature,
                    signature.detector,
                    signature.service,
                    signature.model,
                    clamp_i64(signature.start_time_unix_nano),
                    signature.failure_mode
                ])
                .map_err(backend)?;
        }
    }
    transaction.commit().map_err(backend)
}
