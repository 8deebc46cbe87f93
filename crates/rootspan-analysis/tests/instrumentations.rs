//! Recordings from real instrumentation libraries (`fixtures/instrumentations/`, eleven families:
//! OpenLLMetry/traceloop, smolagents under OpenInference, strands with the newest GenAI
//! conventions, OpenInference openai, the OpenAI Agents SDK and LangGraph and LlamaIndex under
//! OpenInference, pydantic-ai's native OTel, OTel's own openai-v2 with util-genai agent/tool
//! spans, AutoGen's native spans with OpenLLMetry's openai instrumentation, OpenInference
//! anthropic; with and without message content). Every recording must give the ground-truth
//! counts, the right failure mode and an accepted first faulty span; a healthy run must raise no
//! failure; every family must be present.

use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_model::{Span, SpanTree, TraceSummary};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The share of recordings that must be diagnosed right (overall).
const MIN_RIGHT: f64 = 0.95;

/// Every recorded family (the `family` of the ground truth's scenarios).
const FAMILIES: &[&str] = &[
    "traceloop",
    "smolagents",
    "strands",
    "oi_openai",
    "oai_agents",
    "langgraph",
    "pydantic_ai",
    "llamaindex",
    "otel_v2",
    "autogen",
    "oi_anthropic",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/instrumentations")
}

fn tree_of(path: &Path) -> SpanTree {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoded = rootspan_ingest::decode_traces(&bytes, rootspan_ingest::Encoding::Protobuf, None)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spans: Vec<Span> = decoded.items;
    SpanTree::build(spans)
}

fn counts_of(summary: &TraceSummary) -> BTreeMap<&'static str, u64> {
    BTreeMap::from([
        ("spans", summary.spans),
        ("max_depth", summary.max_depth),
        ("llm_calls", summary.llm_calls),
        ("tool_calls", summary.tool_calls),
        ("agent_spans", summary.agent_spans),
        ("tool_errors", summary.tool_errors),
        ("error_spans", summary.error_spans),
        ("input_tokens", summary.input_tokens),
        ("output_tokens", summary.output_tokens),
        ("total_tokens", summary.total_tokens),
    ])
}

fn accepted_spans(trace: &Value) -> Vec<String> {
    let first = trace["first_faulty_span"]["span_id"].as_str().map(str::to_owned);
    let also = trace["also_acceptable_faulty_spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|alt| alt["span_id"].as_str().map(str::to_owned));
    first.into_iter().chain(also).collect()
}

#[test]
fn instrumentation_recordings_are_counted_and_diagnosed() {
    let dir = fixtures();
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("ground_truth.json")).expect("fixtures/instrumentations/ground_truth.json"),
    )
    .expect("ground truth is JSON");
    let mut count_failures = Vec::new();
    let mut wrong = Vec::new();
    let mut false_alarms = Vec::new();
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut recordings = 0;
    for scenario in truth["scenarios"].as_array().expect("scenarios") {
        let name = scenario["scenario"].as_str().unwrap_or_default();
        let family = scenario["family"].as_str().unwrap_or_default().to_owned();
        let file = dir.join(scenario["files"]["protobuf"].as_str().expect("protobuf file"));
        let tree = tree_of(&file);
        let trace = &scenario["traces"][0];
        recordings += 1;
        let counts = counts_of(&tree.summary());
        for (key, expected) in trace["expected_counts"].as_object().into_iter().flatten() {
            let Some(got) = counts.get(key.as_str()) else { continue };
            if expected.as_u64() != Some(*got) {
                count_failures.push(format!("{name}: {key} expected {expected}, got {got}"));
            }
        }
        let diagnosis = diagnose(&tree, &DiagnoseOptions::default());
        let mode = trace["failure_mode"].as_str().unwrap_or_default();
        let root = diagnosis.root_cause.as_ref().map(|r| r.span_id.clone());
        let right = diagnosis.failure_mode == mode
            && if mode == "none" {
                root.is_none()
            } else {
                root.as_ref().is_some_and(|r| accepted_spans(trace).contains(r))
            };
        let entry = table.entry(family).or_default();
        entry.1 += 1;
        if right {
            entry.0 += 1;
            eprintln!(
                "right: {name}: {} at {} [{}]",
                diagnosis.failure_mode,
                diagnosis.root_cause.as_ref().map_or("-", |r| r.span_name.as_str()),
                diagnosis
                    .findings
                    .iter()
                    .map(|f| format!("{}@{}", f.detector, f.span_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            continue;
        }
        if mode == "none" {
            false_alarms.push(name.to_owned());
        }
        wrong.push(format!(
            "{name}: expected {mode} at {} {:?}, got {} at {:?} [{}]",
            trace["first_faulty_span"]["span_name"].as_str().unwrap_or("-"),
            accepted_spans(trace),
            diagnosis.failure_mode,
            diagnosis.root_cause.as_ref().map(|r| format!("{} {}", r.span_name, r.span_id)),
            diagnosis.findings.iter().map(|f| format!("{}@{}", f.detector, f.span_name)).collect::<Vec<_>>().join(", ")
        ));
    }
    eprintln!("{:<13} {:>5}", "family", "right");
    for (family, (right, total)) in &table {
        eprintln!("{family:<13} {right:>2}/{total:<2}");
    }
    let right: usize = table.values().map(|(r, _)| r).sum();
    eprintln!("{:<13} {right:>3}/{recordings:<3}", "all");
    for line in &wrong {
        eprintln!("wrong: {line}");
    }
    assert!(recordings > 0, "no recordings in {}", dir.display());
    for family in FAMILIES {
        let total = table.get(*family).map_or(0, |(_, total)| *total);
        assert!(total >= 13, "family {family}: {total} recordings in the ground truth, expected at least 13");
    }
    assert!(count_failures.is_empty(), "counts differ from the ground truth:\n{}", count_failures.join("\n"));
    assert!(false_alarms.is_empty(), "false alarms on healthy runs: {}", false_alarms.join(", "));
    assert!(
        right as f64 >= MIN_RIGHT * recordings as f64,
        "{right}/{recordings} recordings diagnosed right (bar {:.0}%):\n{}",
        MIN_RIGHT * 100.0,
        wrong.join("\n")
    );
}
