//! Fuzzes OTLP protobuf trace decoding; whatever decodes must survive a re-encode with the same
//! span count, and a span tree (hostile parent links included) with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use rootspan_ingest::{Encoding, decode_traces, spans_to_request};
use rootspan_model::SpanTree;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_traces(data, Encoding::Protobuf, None) {
        let bytes = spans_to_request(&decoded.items).encode_to_vec();
        let again = decode_traces(&bytes, Encoding::Protobuf, None).map(|d| d.items.len()).unwrap_or(0);
        assert_eq!(again, decoded.items.len());
        let _ = SpanTree::build(decoded.items).summary();
    }
});
