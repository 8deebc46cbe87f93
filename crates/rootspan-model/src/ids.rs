//! Trace and span identifiers: fixed-size byte arrays, shown as lowercase hex.

/// A 16-byte OTLP trace id.
pub type TraceId = [u8; 16];
/// An 8-byte OTLP span id.
pub type SpanId = [u8; 8];

/// Lowercase hex of a trace id.
pub fn trace_id_hex(id: &TraceId) -> String {
    hex::encode(id)
}

/// Lowercase hex of a span id.
pub fn span_id_hex(id: &SpanId) -> String {
    hex::encode(id)
}

/// Errors from parsing an id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("{what} must be {expected} hex digits, got {got} characters")]
    Length { what: &'static str, expected: usize, got: usize },
    #[error("{what} is not hex: {text:?}")]
    NotHex { what: &'static str, text: String },
}

fn parse_fixed<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N], IdError> {
    let text = text.trim();
    if text.len() != N * 2 {
        return Err(IdError::Length { what, expected: N * 2, got: text.len() });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| IdError::NotHex { what, text: text.chars().take(64).collect() })?;
    Ok(out)
}

/// Parses 32 hex digits into a trace id.
pub fn parse_trace_id(text: &str) -> Result<TraceId, IdError> {
    parse_fixed::<16>("trace id", text)
}

/// Parses 16 hex digits into a span id.
pub fn parse_span_id(text: &str) -> Result<SpanId, IdError> {
    parse_fixed::<8>("span id", text)
}

/// Trace ids of foreign formats (TRAIL uses 32-hex; others use UUIDs or arbitrary strings)
/// map deterministically to 16 bytes: hex when it is hex, otherwise a stable FNV-1a based hash.
pub fn trace_id_from_text(text: &str) -> TraceId {
    let cleaned: String = text.chars().filter(|c| *c != '-').collect();
    if let Ok(id) = parse_trace_id(&cleaned) {
        return id;
    }
    let a = fnv1a64(text.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv1a64(text.as_bytes(), 0x8422_2325_cbf2_9ce4);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_be_bytes());
    out[8..].copy_from_slice(&b.to_be_bytes());
    out
}

/// Span ids of foreign formats: hex when it is 16 hex digits (or `0x`-prefixed), otherwise hashed.
pub fn span_id_from_text(text: &str) -> SpanId {
    let cleaned = text.trim_start_matches("0x");
    if let Ok(id) = parse_span_id(cleaned) {
        return id;
    }
    fnv1a64(text.as_bytes(), 0xcbf2_9ce4_8422_2325).to_be_bytes()
}

/// FNV-1a, 64 bit, with a chosen offset basis. Deterministic across platforms and releases.
pub fn fnv1a64(bytes: &[u8], basis: u64) -> u64 {
    let mut hash = basis;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let id = parse_trace_id("68138cc8ffd2d577d1209a555bb4d510").unwrap();
        assert_eq!(trace_id_hex(&id), "68138cc8ffd2d577d1209a555bb4d510");
        assert!(matches!(parse_trace_id("abc"), Err(IdError::Length { .. })));
        assert!(matches!(parse_span_id("zzzzzzzzzzzzzzzz"), Err(IdError::NotHex { .. })));
        assert_eq!(span_id_from_text("0x00000000000000ff"), [0, 0, 0, 0, 0, 0, 0, 0xff]);
        assert_ne!(trace_id_from_text("run-1"), trace_id_from_text("run-2"));
    }
}
