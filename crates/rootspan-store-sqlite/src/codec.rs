//! Chunk payloads: a format byte, then zstd(postcard(Vec<Span>)). Resources and scopes repeat
//! per span in the encoding; zstd's window removes the repetition.

use rootspan_model::{LogRecord, Span};
use rootspan_store::{StoreError, StoreErrorKind};

const FORMAT_V1: u8 = 1;
const LEVEL: i32 = 1;
/// Largest decompressed chunk accepted; a corrupt header cannot make a read allocate more.
const MAX_RAW_CHUNK: usize = 1 << 30;

/// Encodes spans into a chunk payload.
pub fn encode_spans(spans: &[&Span]) -> Result<Vec<u8>, StoreError> {
    let raw = postcard::to_allocvec(spans)
        .map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("encoding spans: {e}")))?;
    compress(&raw)
}

/// Decodes a chunk payload.
pub fn decode_spans(payload: &[u8]) -> Result<Vec<Span>, StoreError> {
    let raw = decompress(payload)?;
    postcard::from_bytes(&raw).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("decoding chunk: {e}")))
}

/// Encodes one log record.
pub fn encode_log(log: &LogRecord) -> Result<Vec<u8>, StoreError> {
    let raw = postcard::to_allocvec(log)
        .map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("encoding log: {e}")))?;
    compress(&raw)
}

/// Decodes one log record.
pub fn decode_log(payload: &[u8]) -> Result<LogRecord, StoreError> {
    let raw = decompress(payload)?;
    postcard::from_bytes(&raw).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, format!("decoding log: {e}")))
}

thread_local! {
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
}

fn compress(raw: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT_V1];
    let backend = |e: std::io::Error| StoreError::new(StoreErrorKind::Backend, format!("compressing: {e}"));
    let compressed = COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(LEVEL).map_err(backend)?);
        }
        match slot.as_mut() {
            Some(compressor) => compressor.compress(raw).map_err(backend),
            None => Err(StoreError::new(StoreErrorKind::Backend, "no compressor")),
        }
    })?;
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
    if size > MAX_RAW_CHUNK {
        return Err(corrupt(&format!("declared size {size} is over the {MAX_RAW_CHUNK}-byte limit")));
    }
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| corrupt(&e.to_string()))?);
        }
        match slot.as_mut() {
            Some(decompressor) => decompressor.decompress(body, size).map_err(|e| corrupt(&e.to_string())),
            None => Err(corrupt("no decompressor")),
        }
    })
}

/// The narrow row of a span as a chunk's `rows` column stores it (kind and status as their
/// stable codes, so the encoding never depends on enum declaration order).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRow {
    span_id: [u8; 8],
    parent_span_id: Option<[u8; 8]>,
    start: u64,
    end: u64,
    name: String,
    kind: i64,
    status: i32,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cost: Option<f64>,
    model: Option<String>,
    tool: Option<String>,
    session_id: Option<String>,
    service: String,
}

/// Rows as plain postcard.
const ROWS_V1: u8 = 1;
/// Rows as a chunk-style compressed postcard (names, services and models repeat from row to row).
const ROWS_V2: u8 = 2;

/// Encodes the rows of a chunk's spans.
pub fn encode_rows(rows: &[rootspan_store::rows::SpanRow]) -> Result<Vec<u8>, StoreError> {
    use rootspan_store::rows::kind_code;
    let stored: Vec<StoredRow> = rows
        .iter()
        .map(|row| StoredRow {
            span_id: row.span_id,
            parent_span_id: row.parent_span_id,
            start: row.start_time_unix_nano,
            end: row.end_time_unix_nano,
            name: row.name.clone(),
            kind: kind_code(row.kind),
            status: row.status.as_i32(),
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cost: row.cost_usd,
            model: row.model.clone(),
            tool: row.tool.clone(),
            session_id: row.session_id.clone(),
            service: row.service.clone(),
        })
        .collect();
    let raw = postcard::to_allocvec(&stored)
        .map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("encoding span rows: {e}")))?;
    let mut out = compress(&raw)?;
    out[0] = ROWS_V2;
    Ok(out)
}

/// Decodes a chunk's `rows` column (an absent column is no rows).
pub fn decode_rows(bytes: Option<&[u8]>) -> Result<Vec<rootspan_store::rows::SpanRow>, StoreError> {
    use rootspan_store::rows::{SpanRow, kind_from_code};
    let Some(bytes) = bytes else { return Ok(Vec::new()) };
    let corrupt = |what: String| StoreError::new(StoreErrorKind::Corrupt, format!("span rows: {what}"));
    let (&format, body) = bytes.split_first().ok_or_else(|| corrupt("empty".into()))?;
    let inflated;
    let raw = match format {
        ROWS_V1 => body,
        ROWS_V2 => {
            let mut framed = bytes.to_vec();
            framed[0] = FORMAT_V1;
            inflated = decompress(&framed)?;
            &inflated
        }
        other => return Err(corrupt(format!("unknown format {other}"))),
    };
    let stored: Vec<StoredRow> = postcard::from_bytes(raw).map_err(|e| corrupt(e.to_string()))?;
    Ok(stored
        .into_iter()
        .map(|row| SpanRow {
            span_id: row.span_id,
            parent_span_id: row.parent_span_id,
            start_time_unix_nano: row.start,
            end_time_unix_nano: row.end,
            name: row.name,
            kind: kind_from_code(row.kind),
            status: rootspan_model::StatusCode::from_i32(row.status),
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cost_usd: row.cost,
            model: row.model,
            tool: row.tool,
            session_id: row.session_id,
            service: row.service,
        })
        .collect())
}
