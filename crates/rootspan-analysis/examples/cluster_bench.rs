//! Benchmark of failure clustering over 100,000 failed traces.
//!
//! `cargo run --release -p rootspan-analysis --example cluster_bench [TRACES]`
//!
//! Each synthetic trace is an agent run (agent span, model call, tool call, model call) whose tool
//! fails in one of three ways, with per-trace variants (order ids, amounts, request ids, shards,
//! timeouts). Traces are generated and analysed one at a time (as the ingest path does), so memory
//! stays flat. Reports, separately: `diagnose` per trace, `trace_signatures` per trace (what ingest
//! adds for clustering), and `cluster_signatures` over all stored signatures (what `rootspan
//! clusters` does). Deterministic (fixed linear congruential generator), no IO.

use rootspan_analysis::cluster::{cluster_signatures, trace_signatures};
use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_model::{AnyValue, Event, KeyValue, Span, SpanTree, StatusCode, conventions};
use std::time::{Duration, Instant};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn span(trace: u64, id: u64, parent: Option<u64>, name: &str, start: u64, attributes: Vec<(&str, AnyValue)>) -> Span {
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&trace.to_be_bytes());
    trace_id[8] = 0x5a;
    let mut span = Span::new(trace_id, id.to_be_bytes(), name);
    span.parent_span_id = parent.map(u64::to_be_bytes);
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = start + 1_000_000;
    span.attributes = attributes.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect();
    span
}

fn failed_trace(index: u64, random: &mut Lcg) -> SpanTree {
    let start = 1_700_000_000_000_000_000 + index * 1_000_000_000;
    let order = format!("A{}", 1000 + random.next() % 9000);
    let request = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        random.next(),
        random.next() % 0xffff,
        random.next() % 0xfff,
        random.next() % 0xfff,
        random.next()
    );
    let (tool, message) = match index % 3 {
        0 => (
            "cancel_order",
            format!(
                "orders-api POST /v2/orders/{order}/cancel -> HTTP 503 Service Unavailable: orders service unavailable (request id {request})"
            ),
        ),
        1 => (
            "charge_card",
            format!(
                "payments-api POST /v1/charges -> HTTP 401 Unauthorized: invalid API key for merchant acct_{:x}",
                random.next()
            ),
        ),
        _ => (
            "reserve_stock",
            format!(
                "inventory-db: query timed out after {} ms on shard {}",
                1000 + random.next() % 30000,
                random.next() % 32
            ),
        ),
    };
    let chat = |id: u64, at: u64| {
        span(
            index,
            id,
            Some(1),
            "chat gpt-4o",
            start + at,
            vec![
                ("gen_ai.operation.name", "chat".into()),
                ("gen_ai.request.model", "gpt-4o".into()),
                ("gen_ai.usage.input_tokens", AnyValue::Int(400)),
                ("gen_ai.usage.output_tokens", AnyValue::Int(30)),
                (
                    "gen_ai.output.messages",
                    AnyValue::from(
                        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Done! Your order is taken care of.\"}]}]",
                    ),
                ),
            ],
        )
    };
    let mut tool_span = span(
        index,
        3,
        Some(1),
        &format!("execute_tool {tool}"),
        start + 2_000_000,
        vec![
            ("gen_ai.operation.name", "execute_tool".into()),
            ("gen_ai.tool.name", AnyValue::from(tool)),
            ("gen_ai.tool.call.arguments", AnyValue::from(format!("{{\"order_id\": \"{order}\"}}"))),
        ],
    );
    tool_span.status.code = StatusCode::Error;
    tool_span.events.push(Event {
        time_unix_nano: start + 2_500_000,
        name: "exception".to_owned(),
        attributes: vec![KeyValue::new("exception.message", AnyValue::from(message))],
        dropped_attributes_count: 0,
    });
    let mut spans = vec![
        span(
            index,
            1,
            None,
            "invoke_agent support_agent",
            start,
            vec![("gen_ai.operation.name", "invoke_agent".into()), ("gen_ai.agent.name", "support_agent".into())],
        ),
        chat(2, 1_000_000),
        tool_span,
        chat(4, 3_000_000),
    ];
    spans[0].end_time_unix_nano = start + 5_000_000;
    for span in &mut spans {
        conventions::normalize(span);
    }
    SpanTree::build(spans)
}

fn main() {
    let count: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let mut random = Lcg(7);
    let options = DiagnoseOptions::default();
    let (mut diagnose_time, mut signature_time) = (Duration::ZERO, Duration::ZERO);
    let mut signatures = Vec::with_capacity(count as usize);
    for index in 0..count {
        let tree = failed_trace(index, &mut random);
        let started = Instant::now();
        let diagnosis = diagnose(&tree, &options);
        diagnose_time += started.elapsed();
        let started = Instant::now();
        signatures.extend(trace_signatures(&tree, &diagnosis));
        signature_time += started.elapsed();
    }
    let started = Instant::now();
    let clusters = cluster_signatures(&signatures);
    let cluster_time = started.elapsed();
    println!("{count} failed traces -> {} signatures -> {} clusters", signatures.len(), clusters.len());
    for cluster in &clusters {
        println!("  {:>6}  {}", cluster.count, cluster.signature);
    }
    println!("diagnose (the ingest path, per trace):          {diagnose_time:>9.1?}");
    println!("trace_signatures (the ingest path, per trace):  {signature_time:>9.1?}");
    println!("cluster_signatures (rootspan clusters, O(n)):   {cluster_time:>9.1?}");
    println!(
        "clustering total (signatures + grouping):       {:>9.1?}  ({:.1} µs per trace)",
        signature_time + cluster_time,
        (signature_time + cluster_time).as_secs_f64() * 1e6 / count as f64
    );
}
