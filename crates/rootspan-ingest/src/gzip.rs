//! Size-capped decompression of request bodies and files (gzip, and zlib/raw deflate).
//!
//! The output is read through a hard cap, so a small "gzip bomb" can never allocate more than
//! `max_out + 1` bytes: over the cap is [`IngestErrorKind::TooLarge`](crate::IngestErrorKind),
//! truncated or corrupt input is [`IngestErrorKind::Malformed`](crate::IngestErrorKind).

use crate::error::IngestError;
use std::io::Read;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses gzip (all members of a multi-member stream) into at most `max_out` bytes.
pub fn decompress_gzip(bytes: &[u8], max_out: usize) -> Result<Vec<u8>, IngestError> {
    if !is_gzip(bytes) {
        return Err(IngestError::malformed(format!(
            "gzip: missing gzip header (first bytes {:02x?}, expected [1f, 8b])",
            bytes.get(..bytes.len().min(2)).unwrap_or_default()
        )));
    }
    read_capped(flate2::read::MultiGzDecoder::new(bytes), "gzip", max_out)
}

/// Decompresses HTTP `deflate` (zlib-wrapped, or raw deflate as some clients send) into at most
/// `max_out` bytes.
pub fn decompress_deflate(bytes: &[u8], max_out: usize) -> Result<Vec<u8>, IngestError> {
    let zlib_header = matches!(bytes, [a, b, ..] if a & 0x0f == 8 && u16::from_be_bytes([*a, *b]) % 31 == 0);
    if zlib_header {
        read_capped(flate2::read::ZlibDecoder::new(bytes), "deflate (zlib)", max_out)
    } else {
        read_capped(flate2::read::DeflateDecoder::new(bytes), "deflate", max_out)
    }
}

fn read_capped(reader: impl Read, what: &str, max_out: usize) -> Result<Vec<u8>, IngestError> {
    let limit = u64::try_from(max_out).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader.take(limit).read_to_end(&mut out).map_err(|error| {
        IngestError::malformed(format!("{what}: corrupt or truncated stream after {} output bytes: {error}", out.len()))
    })?;
    if out.len() > max_out {
        return Err(IngestError::too_large(format!("{what}: decompressed size exceeds the limit of {max_out} bytes")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IngestErrorKind;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap_or_default();
        encoder.finish().unwrap_or_default()
    }

    #[test]
    fn round_trip_cap_and_truncation() {
        let body = gzip(b"hello world");
        assert_eq!(decompress_gzip(&body, 100).ok(), Some(b"hello world".to_vec()));
        assert_eq!(decompress_gzip(&body, 11).ok(), Some(b"hello world".to_vec()));
        assert_eq!(decompress_gzip(&body, 10).map_err(|e| e.kind), Err(IngestErrorKind::TooLarge));
        let cut = &body[..body.len() - 5];
        assert_eq!(decompress_gzip(cut, 100).map_err(|e| e.kind), Err(IngestErrorKind::Malformed));
        assert_eq!(decompress_gzip(b"", 100).map_err(|e| e.kind), Err(IngestErrorKind::Malformed));
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"abc").unwrap_or_default();
        assert_eq!(decompress_deflate(&zlib.finish().unwrap_or_default(), 10).ok(), Some(b"abc".to_vec()));
    }
}
