//! Fuzzes OTLP/JSON trace decoding (including the tolerant retry); decoded spans must survive
//! a write as OTLP/JSON and a re-read with the same span count, and a span tree with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{Encoding, decode_traces, spans_to_otlp_json};
use rootspan_model::SpanTree;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_traces(data, Encoding::Json, Some("fuzz")) {
        let text = spans_to_otlp_json(&decoded.items);
        let again = decode_traces(text.as_bytes(), Encoding::Json, None).map(|d| d.items.len()).unwrap_or(0);
        assert_eq!(again, decoded.items.len());
        let _ = SpanTree::build(decoded.items).summary();
    }
});
