//! Every scenario of otel-clients/ground_truth.json, decoded from protobuf AND OTLP/JSON,
//! reproduces every expected count through `SpanTree::summary()`; pairs/ and population*/ decode.

mod common;

use rootspan_ingest::{Encoding, decode_traces};
use rootspan_model::{Span, SpanTree, trace_id_hex};
use serde_json::Value;
use std::collections::BTreeMap;

const COUNTS: [&str; 9] = [
    "spans",
    "max_depth",
    "llm_calls",
    "tool_calls",
    "tool_errors",
    "error_spans",
    "input_tokens",
    "output_tokens",
    "total_tokens",
];

fn by_trace(spans: Vec<Span>) -> BTreeMap<String, Vec<Span>> {
    let mut traces: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for span in spans {
        traces.entry(trace_id_hex(&span.trace_id)).or_default().push(span);
    }
    traces
}

#[test]
fn ground_truth_counts_match() {
    let Some(dir) = common::data_dir("otel-clients") else { return };
    let truth: Value =
        serde_json::from_slice(&common::read(&dir.join("ground_truth.json"))).expect("ground truth json");
    let scenarios = truth["scenarios"].as_array().expect("scenarios");
    let mut mismatches = Vec::new();
    let (mut traces_checked, mut scenarios_checked) = (0, 0);
    for scenario in scenarios {
        let name = scenario["scenario"].as_str().unwrap_or("?");
        for (key, encoding) in [("protobuf", Encoding::Protobuf), ("json", Encoding::Json)] {
            let file = scenario["files"][key].as_str().expect("file name");
            let decoded =
                decode_traces(&common::read(&dir.join(file)), encoding, None).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(decoded.rejected, 0, "{file}: {:?}", decoded.rejection_messages);
            let traces = by_trace(decoded.items);
            let expected_traces = scenario["traces"].as_array().expect("traces");
            assert_eq!(traces.len(), expected_traces.len(), "{file}: trace count");
            for expected in expected_traces {
                let trace_id = expected["trace_id"].as_str().expect("trace_id");
                let spans = traces.get(trace_id).cloned().unwrap_or_default();
                let summary = serde_json::to_value(SpanTree::build(spans).summary()).expect("summary");
                for count in COUNTS {
                    let want = &expected["expected_counts"][count];
                    if want.is_null() {
                        continue;
                    }
                    if summary[count].as_u64() != want.as_u64() {
                        mismatches.push(format!("{file} {trace_id} {count}: got {} want {want}", summary[count]));
                    }
                }
                traces_checked += 1;
            }
        }
        scenarios_checked += 1;
        let _ = name;
    }
    println!("checked {scenarios_checked} scenarios, {traces_checked} trace decodings (pb + json)");
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[test]
fn pairs_and_populations_decode() {
    let Some(dir) = common::data_dir("otel-clients") else { return };
    let mut files = 0;
    for sub in ["pairs", "population", "population2"] {
        for (ext, encoding) in [("pb", Encoding::Protobuf), ("json", Encoding::Json)] {
            for path in common::files_with_ext(&dir.join(sub), ext) {
                if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("ground_truth")) {
                    continue;
                }
                let decoded = decode_traces(&common::read(&path), encoding, None)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(decoded.rejected, 0, "{}: {:?}", path.display(), decoded.rejection_messages);
                assert!(!decoded.items.is_empty(), "{}: no spans", path.display());
                files += 1;
            }
        }
    }
    println!("decoded {files} pairs/population files");
    assert!(files > 0);
}
