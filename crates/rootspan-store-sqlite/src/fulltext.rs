//! Full-text indexing, off the write path and off the writer's critical section. Chunks are
//! indexed in order; the `fts_indexed_chunk` watermark in `meta` records how far. One step reads
//! and decodes the next chunks on a reader connection ([`pending`], no writer lock held), then
//! takes the writer only to insert their text into FTS5, advance the watermark and drop the Bloom
//! filters of the chunks now indexed ([`commit`]). Searches never wait for this: chunks past the
//! watermark are found through their Bloom filters (see `read::tail_matches`).

use crate::{backend, codec, text};
use rootspan_store::StoreResult;
use rusqlite::{Connection, OptionalExtension, params};

const WATERMARK: &str = "fts_indexed_chunk";

/// The watermark: every chunk with an id up to it is in the full-text index.
pub fn watermark(connection: &Connection) -> StoreResult<i64> {
    Ok(connection
        .query_row("SELECT value FROM meta WHERE key = ?1", params![WATERMARK], |row| row.get::<_, String>(0))
        .optional()
        .map_err(backend)?
        .and_then(|value| value.parse().ok())
        .unwrap_or(0))
}

/// Chunks past the watermark, decoded to their searchable text: (chunk id, text), in id order.
pub fn pending(connection: &Connection, max_chunks: usize) -> StoreResult<Vec<(i64, String)>> {
    let from = watermark(connection)?;
    let mut select = connection
        .prepare_cached("SELECT id, payload FROM chunks WHERE id > ?1 ORDER BY id LIMIT ?2")
        .map_err(backend)?;
    let mut rows = select.query(params![from, max_chunks as i64]).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let id: i64 = row.get(0).map_err(backend)?;
        let payload: Vec<u8> = row.get(1).map_err(backend)?;
        let mut body = String::new();
        // A chunk that cannot be decoded is skipped here; reading its trace reports the error.
        if let Ok(spans) = codec::decode_spans(&payload) {
            for span in &spans {
                text::span_text(span, &mut body);
            }
        }
        out.push((id, body));
    }
    Ok(out)
}

/// Indexes prepared chunk texts in one transaction and advances the watermark past them; chunks
/// another indexer already reached are skipped. Returns how many were indexed.
pub fn commit(connection: &mut Connection, bodies: &[(i64, String)]) -> StoreResult<usize> {
    let transaction = connection.transaction().map_err(backend)?;
    let mut last = watermark(&transaction)?;
    let mut indexed = 0;
    {
        let mut insert =
            transaction.prepare_cached("INSERT INTO chunk_text(rowid, body) VALUES (?1, ?2)").map_err(backend)?;
        for (id, body) in bodies {
            if *id <= last {
                continue;
            }
            if !body.is_empty() {
                insert.execute(params![id, body]).map_err(backend)?;
            }
            last = *id;
            indexed += 1;
        }
    }
    if indexed > 0 {
        transaction
            .execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", params![WATERMARK, last.to_string()])
            .map_err(backend)?;
        transaction.execute("DELETE FROM chunk_blooms WHERE chunk_id <= ?1", params![last]).map_err(backend)?;
    }
    transaction.commit().map_err(backend)?;
    Ok(indexed)
}
