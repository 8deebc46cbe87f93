//! Side-by-side benchmark of the two backends on one workload, through the storage contract
//! (one process = one ingest node): ingest spans/s, trace fetch latency (p50/p99), a filter query
//! and a text search (median), and bytes on disk per span.
//!
//! ```text
//! cargo run --release -p rootspan-store-clickhouse --example store_bench -- [SPANS] [clickhouse://URI]
//! ```
//! Without a URI it uses `ROOTSPAN_CLICKHOUSE_URI` or starts the test server. The workload is
//! agent-shaped: traces of 20 spans, each with a long repeated system prompt, a growing message
//! history, a completion, model and token attributes, and a tool call on every fourth span.

use rootspan_model::{AnyValue, KeyValue, Span, StatusCode, conventions};
use rootspan_store::{TraceFilter, TraceStore, WriteBatch};
use std::time::{Duration, Instant};

const SPANS_PER_TRACE: usize = 20;
const BATCH: usize = 500;
const SYSTEM_PROMPT: &str = "You are a careful support agent for an online shop. Follow the policy: verify the order \
     id, never promise refunds above the limit, call tools for facts, answer briefly and cite the order status. ";

fn rng(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn make_trace(index: usize, seed: &mut u64) -> Vec<Span> {
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&(index as u64 + 1).to_be_bytes());
    trace_id[8..].copy_from_slice(&rng(seed).to_le_bytes());
    let start = 1_780_000_000_000_000_000u64 + index as u64 * 1_000_000_000;
    let mut history = String::new();
    let models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"];
    (0..SPANS_PER_TRACE)
        .map(|i| {
            let mut span_id = [0u8; 8];
            span_id.copy_from_slice(&((i as u64 + 1) << 48 | (rng(seed) & 0xffff_ffff)).to_be_bytes());
            let mut span = Span::new(trace_id, span_id, if i == 0 { "invoke_agent support" } else { "chat" });
            if i > 0 {
                let mut parent = [0u8; 8];
                parent.copy_from_slice(&(1u64 << 48).to_be_bytes());
                span.parent_span_id = Some(parent);
            }
            span.start_time_unix_nano = start + i as u64 * 10_000_000;
            span.end_time_unix_nano = span.start_time_unix_nano + 8_000_000;
            let word = rng(seed) % 100_000;
            history.push_str(&format!("user: where is order A{word}? assistant: checking order A{word} now. "));
            span.attributes = vec![
                KeyValue::new("gen_ai.operation.name", "chat".into()),
                KeyValue::new("gen_ai.request.model", models[index % 3].into()),
                KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(400 + (rng(seed) % 400) as i64)),
                KeyValue::new("gen_ai.usage.output_tokens", AnyValue::Int(50 + (rng(seed) % 200) as i64)),
                KeyValue::new("gen_ai.prompt", format!("{}{}", SYSTEM_PROMPT.repeat(6), history).into()),
                KeyValue::new("gen_ai.completion", format!("Order A{word} ships tomorrow (token{index}x{i}).").into()),
            ];
            if i % 4 == 3 {
                span.attributes.push(KeyValue::new("gen_ai.tool.name", "lookup_order".into()));
                span.attributes
                    .push(KeyValue::new("gen_ai.tool.call.arguments", format!("{{\"order\":\"A{word}\"}}").into()));
            }
            if index.is_multiple_of(10) && i == SPANS_PER_TRACE - 1 {
                span.status.code = StatusCode::Error;
                span.status.message = "tool timeout".into();
            }
            conventions::normalize_with(
                &mut span,
                conventions::Depth::Columns,
                rootspan_model::pricing::PriceTable::active(),
            );
            span
        })
        .collect()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn median_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut samples = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let started = Instant::now();
        found = f();
        samples.push(started.elapsed());
    }
    (percentile(&mut samples, 0.5), found)
}

fn run(name: &str, store: &dyn TraceStore, traces: &[Vec<Span>]) {
    let spans: usize = traces.iter().map(Vec::len).sum();
    let raw_bytes: usize =
        traces.iter().flatten().map(|s| postcard::to_allocvec(s).map(|v| v.len()).unwrap_or(0)).sum();
    let started = Instant::now();
    for chunk in traces.chunks(BATCH / SPANS_PER_TRACE) {
        store.write(WriteBatch::spans_only(chunk.concat())).expect("write");
    }
    let ingest = started.elapsed();
    let mut fetches = Vec::new();
    let mut seed = 7u64;
    for _ in 0..200 {
        let trace = &traces[rng(&mut seed) as usize % traces.len()];
        let started = Instant::now();
        let got = store.get_trace(&trace[0].trace_id).expect("get").expect("present");
        fetches.push(started.elapsed());
        assert_eq!(got.len(), SPANS_PER_TRACE);
    }
    let p99 = percentile(&mut fetches, 0.99);
    let p50 = percentile(&mut fetches, 0.5);
    let filter = TraceFilter {
        model: Some("gpt-4o-mini".into()),
        has_error: Some(true),
        limit: Some(1_000),
        ..Default::default()
    };
    let (filtered, found) = median_of(5, || store.list_traces(&filter).expect("filter").len());
    let needle = format!("token{}x5", traces.len() / 2);
    let search = TraceFilter { text: Some(needle), ..Default::default() };
    let (searched, hits) = median_of(5, || store.list_traces(&search).expect("search").len());
    let bytes = store.size_bytes().expect("size").unwrap_or(0);
    println!(
        "{name}: {spans} spans ({:.0} B/span raw): ingest {:.0} spans/s ({:.2} s); trace fetch p50 {:.2} ms, p99 {:.2} ms; \
         filter (model + error, {found} traces) {:.1} ms; text search ({hits} trace) {:.1} ms; {:.0} bytes/span on disk",
        raw_bytes as f64 / spans as f64,
        spans as f64 / ingest.as_secs_f64(),
        ingest.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        filtered.as_secs_f64() * 1e3,
        searched.as_secs_f64() * 1e3,
        bytes as f64 / spans as f64,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let spans: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let uri = args.next();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let traces: Vec<Vec<Span>> = (0..spans.div_ceil(SPANS_PER_TRACE)).map(|i| make_trace(i, &mut seed)).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = rootspan_store_sqlite::SqliteStore::open(&dir.path().join("bench.db")).expect("sqlite");
    run("sqlite", &sqlite, &traces);
    sqlite.checkpoint().expect("checkpoint");
    println!("sqlite after checkpoint: {:.0} bytes/span", sqlite.disk_bytes() as f64 / spans as f64);
    let config = match uri {
        Some(uri) => rootspan_store_clickhouse::ClickHouseConfig::parse(&uri).expect("uri"),
        None => rootspan_store_clickhouse::test_server::fresh("bench").expect("a ClickHouse to measure"),
    };
    let store = rootspan_store_clickhouse::ClickHouseStore::open_config(config).expect("clickhouse");
    run("clickhouse", &store, &traces);
    store.optimize().expect("optimize");
    println!(
        "clickhouse after OPTIMIZE FINAL: {:.0} bytes/span",
        store.size_bytes().expect("size").unwrap_or(0) as f64 / spans as f64
    );
    if std::env::var_os("STORE_BENCH_KEEP").is_none() {
        let _ = store.drop_database();
    }
}
