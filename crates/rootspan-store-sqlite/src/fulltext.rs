//! Deferred full-text indexing. Tokenising prompts is the most expensive part of a write, so the
//! write path does not do it: chunks are indexed later, in order, and the `fts_indexed_chunk`
//! watermark in `meta` records how far. [`index_pending`] is called by the server when it is idle
//! and, before any text search, until nothing is pending, so searches always see every
//! committed span.

use crate::{backend, codec, text};
use rootspan_store::StoreResult;
use rusqlite::{Connection, OptionalExtension, params};

const WATERMARK: &str = "fts_indexed_chunk";

/// Indexes up to `max_chunks` chunks past the watermark in one transaction; returns how many.
pub fn index_pending(connection: &mut Connection, max_chunks: usize) -> StoreResult<usize> {
    let transaction = connection.transaction().map_err(backend)?;
    let watermark: i64 = transaction
        .query_row("SELECT value FROM meta WHERE key = ?1", params![WATERMARK], |row| row.get::<_, String>(0))
        .optional()
        .map_err(backend)?
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut indexed = 0;
    let mut last = watermark;
    {
        let mut select = transaction
            .prepare_cached("SELECT id, payload FROM chunks WHERE id > ?1 ORDER BY id LIMIT ?2")
            .map_err(backend)?;
        let mut insert =
            transaction.prepare_cached("INSERT INTO chunk_text(rowid, body) VALUES (?1, ?2)").map_err(backend)?;
        let mut rows = select.query(params![watermark, max_chunks as i64]).map_err(backend)?;
        let mut body = String::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let id: i64 = row.get(0).map_err(backend)?;
            let payload: Vec<u8> = row.get(1).map_err(backend)?;
            body.clear();
            // A chunk that cannot be decoded is skipped here; reading its trace reports the error.
            if let Ok(spans) = codec::decode_spans(&payload) {
                for span in &spans {
                    text::span_text(span, &mut body);
                }
            }
            if !body.is_empty() {
                insert.execute(params![id, body]).map_err(backend)?;
            }
            last = id;
            indexed += 1;
        }
    }
    if indexed > 0 {
        transaction
            .execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", params![WATERMARK, last.to_string()])
            .map_err(backend)?;
    }
    transaction.commit().map_err(backend)?;
    Ok(indexed)
}
