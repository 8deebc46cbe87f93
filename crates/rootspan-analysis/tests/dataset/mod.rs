//! Shared helpers of the analysis tests: load the evaluation data sets from /work/shared/data
//! (read in place, never copied into the repository).

#![allow(dead_code)]

use rootspan_model::{Span, SpanTree, trace_id_hex};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Root of the shared evaluation data (override with `ROOTSPAN_DATA`).
pub fn data_dir() -> PathBuf {
    std::env::var_os("ROOTSPAN_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/work/shared/data"))
}

/// Whether the data set is present (tests skip with a note when it is not).
pub fn have(relative: &str) -> bool {
    let present = data_dir().join(relative).exists();
    if !present {
        eprintln!("skipping: {} not found", data_dir().join(relative).display());
    }
    present
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
