//! Benchmark: diagnose a synthetic 100,000-span agent trace (nested agents, model calls with tool
//! calls, tool spans with arguments and results, a few failures) and report the time per diagnosis
//! and the span count. Build with optimisations:
//!
//! `cargo run --release -p rootspan-analysis --example diagnose_bench [SPANS] [RUNS]`

use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_model::{AnyValue, KeyValue, Span, SpanTree, StatusCode, conventions};
use std::time::Instant;

fn span(id: u64, parent: Option<u64>, start: u64, name: &str, attributes: Vec<(&str, AnyValue)>) -> Span {
    let mut span = Span::new([7; 16], id.to_be_bytes(), name);
    span.parent_span_id = parent.map(u64::to_be_bytes);
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = start + 900;
    span.attributes = attributes.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect();
    conventions::normalize(&mut span);
    span
}

/// A trace of `count` spans: one root agent, sub-agents of 100 steps, each step a model call that
/// emits a tool call and the tool span that runs it.
pub fn synthetic_trace(count: u64) -> Vec<Span> {
    let mut spans = Vec::with_capacity(count as usize);
    spans.push(span(
        1,
        None,
        0,
        "invoke_agent root",
        vec![("gen_ai.operation.name", "invoke_agent".into()), ("gen_ai.agent.name", "root".into())],
    ));
    let mut next = 2u64;
    let mut clock = 1u64;
    let mut agent = 0u64;
    while next < count {
        agent += 1;
        let agent_id = next;
        spans.push(span(
            agent_id,
            Some(1),
            clock,
            "invoke_agent worker",
            vec![
                ("gen_ai.operation.name", "invoke_agent".into()),
                ("gen_ai.agent.name", AnyValue::from(format!("worker_{agent}"))),
            ],
        ));
        next += 1;
        for step in 0..100u64 {
            if next + 1 >= count {
                break;
            }
            clock += 1_000;
            let arguments = format!("{{\"sku\":\"S-{agent}-{step}\",\"warehouse\":\"W{}\"}}", step % 7);
            let output = format!(
                "[{{\"role\":\"assistant\",\"parts\":[{{\"type\":\"tool_call\",\"id\":\"c{next}\",\"name\":\"audit_sku\",\"arguments\":{arguments}}}]}}]"
            );
            spans.push(span(next, Some(agent_id), clock, "chat gpt-4o", vec![
                ("gen_ai.operation.name", "chat".into()),
                ("gen_ai.request.model", "gpt-4o".into()),
                ("gen_ai.usage.input_tokens", AnyValue::Int(1_000 + step as i64)),
                ("gen_ai.usage.output_tokens", AnyValue::Int(20)),
                ("gen_ai.input.messages", AnyValue::from("[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Audit stock levels for the spring catalogue\"}]}]")),
                ("gen_ai.output.messages", AnyValue::from(output)),
            ]));
            next += 1;
            clock += 1_000;
            let mut tool = span(
                next,
                Some(agent_id),
                clock,
                "execute_tool audit_sku",
                vec![
                    ("gen_ai.operation.name", "execute_tool".into()),
                    ("gen_ai.tool.name", "audit_sku".into()),
                    ("gen_ai.tool.call.arguments", AnyValue::from(arguments)),
                    (
                        "gen_ai.tool.call.result",
                        AnyValue::from(format!("{{\"sku\":\"S-{agent}-{step}\",\"on_hand\":{}}}", step * 3)),
                    ),
                ],
            );
            if step == 50 && agent.is_multiple_of(10) {
                tool.status.code = StatusCode::Error;
                tool.status.message = "inventory-db timeout after 30s".to_owned();
                conventions::normalize(&mut tool);
            }
            spans.push(tool);
            next += 1;
        }
    }
    spans
}

fn main() {
    let count: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: u32 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let spans = synthetic_trace(count);
    let tree = SpanTree::build(spans);
    let options = DiagnoseOptions::default();
    let mut best = f64::MAX;
    let mut total = 0.0;
    let mut findings = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let diagnosis = diagnose(&tree, &options);
        let elapsed = start.elapsed().as_secs_f64();
        findings = diagnosis.findings.len();
        best = best.min(elapsed);
        total += elapsed;
    }
    if let Some(only) = std::env::var_os("LOOP_DETECTOR") {
        // Profiling aid: run one detector (or `view`) 20 times.
        let only = only.to_string_lossy().into_owned();
        let view = rootspan_analysis::view::TraceView::new(&tree);
        for _ in 0..20 {
            if only == "view" {
                std::hint::black_box(rootspan_analysis::view::TraceView::new(&tree));
            } else if let Some(info) = rootspan_analysis::detectors::by_id(&only) {
                std::hint::black_box((info.run)(&view, &options));
            }
        }
        return;
    }
    if std::env::var_os("PER_DETECTOR").is_some() {
        let start = Instant::now();
        let view = rootspan_analysis::view::TraceView::new(&tree);
        println!("  view: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
        for info in rootspan_analysis::detectors::all() {
            let start = Instant::now();
            let hits = (info.run)(&view, &options);
            println!("  {}: {:.1} ms ({} hits)", info.id, start.elapsed().as_secs_f64() * 1e3, hits.len());
        }
    }
    println!(
        "diagnose: {} spans, {runs} runs, best {:.1} ms, mean {:.1} ms, {findings} findings",
        tree.spans.len(),
        best * 1e3,
        total / f64::from(runs) * 1e3
    );
}
