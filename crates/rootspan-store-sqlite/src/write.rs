//! The write path: one transaction per batch. Spans are grouped by trace into chunks; each span's
//! narrow row is upserted (latest delivery wins); log records are deduplicated by content; every
//! touched trace's summary row is recomputed from the narrow rows.

use crate::{backend, codec, read, text};
use rootspan_model::{LogRecord, Span, TraceId, ids::fnv1a64};
use rootspan_store::{StoreResult, TraceSignature, WriteBatch, WriteOutcome};
use rusqlite::{Connection, params};
use std::collections::HashMap;

fn opt_i64(value: Option<u64>) -> Option<i64> {
    value.map(|v| v.min(i64::MAX as u64) as i64)
}

/// Writes a batch in one transaction.
pub fn write_batch(connection: &mut Connection, batch: WriteBatch) -> StoreResult<WriteOutcome> {
    let mut by_trace: HashMap<TraceId, Vec<&Span>> = HashMap::new();
    for span in &batch.spans {
        by_trace.entry(span.trace_id).or_default().push(span);
    }
    let transaction = connection.transaction().map_err(backend)?;
    let mut outcome = WriteOutcome::default();
    {
        let mut insert_chunk = transaction.prepare_cached("INSERT INTO chunks(trace_id, payload) VALUES (?1, ?2)").map_err(backend)?;
        let mut insert_text = transaction.prepare_cached("INSERT INTO chunk_text(rowid, body) VALUES (?1, ?2)").map_err(backend)?;
        let mut upsert_span = transaction
            .prepare_cached(
                "INSERT OR REPLACE INTO spans(trace_id, span_id, chunk_id, parent_span_id, start_ns, end_ns, name, kind, status,
                 input_tokens, output_tokens, cost, model, tool, session_id, service)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )
            .map_err(backend)?;
        let mut body = String::new();
        for (trace_id, spans) in &by_trace {
            let payload = codec::encode_spans(spans)?;
            insert_chunk.execute(params![&trace_id[..], payload]).map_err(backend)?;
            let chunk_id = transaction.last_insert_rowid();
            body.clear();
            for span in spans {
                text::span_text(span, &mut body);
                let view = &span.gen_ai;
                upsert_span
                    .execute(params![
                        &trace_id[..],
                        &span.span_id[..],
                        chunk_id,
                        span.parent_span_id.as_ref().map(|p| &p[..]),
                        span.start_time_unix_nano.min(i64::MAX as u64) as i64,
                        span.end_time_unix_nano.min(i64::MAX as u64) as i64,
                        span.name,
                        crate::read::kind_code(view.kind),
                        span.status.code.as_i32(),
                        opt_i64(view.input_tokens),
                        opt_i64(view.output_tokens),
                        view.cost_usd,
                        view.model,
                        view.tool_name,
                        view.session_id,
                        span.service_name(),
                    ])
                    .map_err(backend)?;
                outcome.spans_written += 1;
            }
            if !body.is_empty() {
                insert_text.execute(params![chunk_id, body]).map_err(backend)?;
            }
        }
        let mut insert_log = transaction
            .prepare_cached("INSERT OR IGNORE INTO logs(trace_id, span_id, fingerprint, payload) VALUES (?1, ?2, ?3, ?4)")
            .map_err(backend)?;
        for log in &batch.logs {
            outcome.logs_written += write_log(&mut insert_log, log)?;
        }
        let projects: HashMap<TraceId, &str> = batch.spans.iter().map(|s| (s.trace_id, s.project.as_str())).collect();
        for trace_id in by_trace.keys() {
            read::refresh_summary(&transaction, trace_id, projects.get(trace_id).copied())?;
        }
        outcome.traces_touched = by_trace.len() as u64;
    }
    transaction.commit().map_err(backend)?;
    Ok(outcome)
}

fn write_log(statement: &mut rusqlite::CachedStatement<'_>, log: &LogRecord) -> StoreResult<u64> {
    let payload = codec::encode_log(log)?;
    let fingerprint = fnv1a64(&payload, 0xcbf2_9ce4_8422_2325) as i64;
    let changed = statement.execute(params![&log.trace_id[..], &log.span_id[..], fingerprint, payload]).map_err(backend)?;
    Ok(changed as u64)
}

/// Replaces the signatures of a trace.
pub fn put_signatures(connection: &mut Connection, trace_id: &TraceId, signatures: &[TraceSignature]) -> StoreResult<()> {
    let transaction = connection.transaction().map_err(backend)?;
    transaction.execute("DELETE FROM signatures WHERE trace_id = ?1", params![&trace_id[..]]).map_err(backend)?;
    {
        let mut insert = transaction
            .prepare_cached(
                "INSERT INTO signatures(trace_id, signature_id, signature, detector, service, model, start_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
                    signature.start_time_unix_nano.min(i64::MAX as u64) as i64
                ])
                .map_err(backend)?;
        }
    }
    transaction.commit().map_err(backend)
}
