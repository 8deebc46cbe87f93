//! Chunk payloads: a format byte, then zstd(postcard(Vec<Span>)). Resources and scopes repeat
//! per span in the encoding; zstd's window removes the repetition.

use rootspan_model::{LogRecord, Span};
use rootspan_store::{StoreError, StoreErrorKind};

const FORMAT_V1: u8 = 1;
const LEVEL: i32 = 3;

/// Encodes spans into a chunk payload.
pub fn encode_spans(spans: &[&Span]) -> Result<Vec<u8>, StoreError> {
    let raw = postcard::to_allocvec(spans).map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("encoding spans: {e}")))?;
    compress(&raw)
}

/// Decodes a chunk payload.
pub fn decode_spans(payload: &[u8]) -> Result<Vec<Span>, StoreError> {
    let raw = decompress(payload)?;
    postcard::from_bytes(&raw).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("decoding chunk: {e}")))
}

/// Encodes one log record.
pub fn encode_log(log: &LogRecord) -> Result<Vec<u8>, StoreError> {
    let raw = postcard::to_allocvec(log).map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("encoding log: {e}")))?;
    compress(&raw)
}

/// Decodes one log record.
pub fn decode_log(payload: &[u8]) -> Result<LogRecord, StoreError> {
    let raw = decompress(payload)?;
    postcard::from_bytes(&raw).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("decoding log: {e}")))
}

fn compress(raw: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT_V1];
    let compressed = zstd::bulk::compress(raw, LEVEL).map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("compressing: {e}")))?;
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&compressed);
    Ok(out)
}

fn decompress(payload: &[u8]) -> Result<Vec<u8>, StoreError> {
    let corrupt = |what: &str| StoreError::new(StoreErrorKind::Corrupt, format!("chunk payload: {what}"));
    let (&format, rest) = payload.split_first().ok_or_else(|| corrupt("empty"))?;
    if format != FORMAT_V1 {
        return Err(corrupt(&format!("unknown format {format}")));
    }
    let (size, body) = rest.split_at_checked(4).ok_or_else(|| corrupt("truncated header"))?;
    let size = u32::from_le_bytes(size.try_into().map_err(|_| corrupt("bad size"))?) as usize;
    zstd::bulk::decompress(body, size).map_err(|e| corrupt(&e.to_string()))
}
