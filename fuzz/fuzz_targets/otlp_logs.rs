//! Fuzzes OTLP log decoding, protobuf and JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{Encoding, decode_logs};

fuzz_target!(|data: &[u8]| {
    let _ = decode_logs(data, Encoding::Protobuf, None);
    let _ = decode_logs(data, Encoding::Json, None);
});
