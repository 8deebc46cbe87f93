//! Benchmark: diagnose a synthetic 100,000-span agent trace (nested agents, model calls with tool
//! calls, tool spans with arguments and results, a few failures) and report the time per diagnosis
//! and the span count. Build with optimisations:
//!
//! `cargo run --release -p rootspan-analysis --example diagnose_bench [SPANS] [RUNS]`

use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_model::{Span, SpanTree};
use rootspan_testkit::{TraceBuilder, messages};
use std::time::Instant;

/// A trace of `count` spans: one root agent, sub-agents of 100 steps, each step a model call that
/// emits a tool call and the tool span that runs it.
pub fn synthetic_trace(count: u64) -> Vec<Span> {
    let mut trace = TraceBuilder::new([7; 16]);
    let root = trace.agent(None, "root");
    trace.times(root, 0, 900);
    let request = messages::user("Audit stock levels for the spring catalogue");
    let mut next = 2u64;
    let mut clock = 1u64;
    let mut agent = 0u64;
    while next < count {
        agent += 1;
        let agent_id = trace.agent(root, &format!("worker_{agent}"));
        trace.times(agent_id, clock, clock + 900);
        trace.span_mut(agent_id).name = "invoke_agent worker".to_owned();
        next += 1;
        for step in 0..100u64 {
            if next + 1 >= count {
                break;
            }
            clock += 1_000;
            let arguments = format!("{{\"sku\":\"S-{agent}-{step}\",\"warehouse\":\"W{}\"}}", step % 7);
            let output = messages::tool_call(&format!("c{next}"), "audit_sku", &arguments);
            let chat = trace.llm(agent_id, "gpt-4o", &request, &output, Some((1_000 + step as i64, 20)));
            trace.times(chat, clock, clock + 900);
            next += 1;
            clock += 1_000;
            let result = format!("{{\"sku\":\"S-{agent}-{step}\",\"on_hand\":{}}}", step * 3);
            let tool = trace.tool(agent_id, "audit_sku", &arguments, &result);
            trace.times(tool, clock, clock + 900);
            if step == 50 && agent.is_multiple_of(10) {
                trace.error(tool, "inventory-db timeout after 30s");
            }
            next += 1;
        }
    }
    trace.build()
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
