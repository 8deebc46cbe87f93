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
use rootspan_model::SpanTree;
use rootspan_testkit::{TraceBuilder, messages};
use std::time::{Duration, Instant};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
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
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&index.to_be_bytes());
    trace_id[8] = 0x5a;
    let answer = messages::assistant("Done! Your order is taken care of.");
    let mut trace = TraceBuilder::new(trace_id).start_at(start);
    let root = trace.agent(None, "support_agent");
    trace.times(root, start, start + 5_000_000);
    trace.llm(root, "gpt-4o", "", &answer, Some((400, 30)));
    let tool_span = trace.tool(root, tool, &format!("{{\"order_id\": \"{order}\"}}"), "");
    trace.error(tool_span, "").exception(tool_span, "", &message);
    trace.llm(root, "gpt-4o", "", &answer, Some((400, 30)));
    trace.tree()
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
