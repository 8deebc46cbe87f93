//! Fuzzes capped gzip/deflate decompression: output never exceeds the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{decompress_deflate, decompress_gzip};

const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = decompress_gzip(data, CAP) {
        assert!(out.len() <= CAP);
    }
    if let Ok(out) = decompress_deflate(data, CAP) {
        assert!(out.len() <= CAP);
    }
});
