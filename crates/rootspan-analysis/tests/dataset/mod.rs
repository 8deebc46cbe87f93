//! Shared helpers of the analysis tests: load the evaluation data sets from the shared data
//! directory (`rootspan_testkit::shared_data`; read in place, never copied into the repository).

#![allow(dead_code)]

use rootspan_model::{Span, SpanTree, trace_id_hex};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `relative` under the shared evaluation data when present (see `rootspan_testkit::require_data`:
/// skipped with a note locally, a failure under CI).
pub fn require(relative: &str) -> Option<PathBuf> {
    rootspan_testkit::require_data(relative)
}

/// Decodes an OTLP protobuf file and groups its spans into trees by trace id.
pub fn trees_from_otlp(path: &Path) -> BTreeMap<String, SpanTree> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoded = rootspan_ingest::decode_traces(&bytes, rootspan_ingest::Encoding::Protobuf, None)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut by_trace: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for span in decoded.items {
        by_trace.entry(trace_id_hex(&span.trace_id)).or_default().push(span);
    }
    by_trace.into_iter().map(|(id, spans)| (id, SpanTree::build(spans))).collect()
}

/// Reads a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
