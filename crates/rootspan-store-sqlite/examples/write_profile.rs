//! Times store writes of generated agent-shaped spans (~1 KB of text each), then text searches
//! right after the burst (nothing indexed yet: the Bloom-filter tail) and once indexed:
//! `cargo run --release -p rootspan-store-sqlite --example write_profile -- [SPANS] [BATCH] [SPANS_PER_TRACE]`.

use rootspan_model::{AnyValue, KeyValue, Span, conventions};
use rootspan_store::{TraceStore, WriteBatch};
use std::time::Instant;

fn words(seed: &mut u64, bytes: usize) -> String {
    const WORDS: &[&str] =
        &["order", "refund", "shipping", "the", "a", "customer", "status", "delivery", "agent", "tool"];
    let mut out = String::new();
    while out.len() < bytes {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.push_str(WORDS[(*seed % WORDS.len() as u64) as usize]);
        out.push(' ');
        if (*seed).is_multiple_of(7) {
            out.push_str(&(*seed % 100_000).to_string());
            out.push(' ');
        }
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let per_trace: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20).max(1);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut spans = Vec::with_capacity(total);
    for i in 0..total {
        let trace = (i / per_trace) as u64;
        let mut trace_id = [0u8; 16];
        trace_id[8..].copy_from_slice(&trace.to_be_bytes());
        let mut span = Span::new(
            trace_id,
            (i as u64 + 1).to_be_bytes(),
            if i % 2 == 0 { "chat gpt-4o" } else { "execute_tool get_order" },
        );
        span.parent_span_id = (i % per_trace != 0).then(|| (trace * per_trace as u64 + 1).to_be_bytes());
        span.start_time_unix_nano = 1_760_000_000_000_000_000 + i as u64 * 1000;
        span.end_time_unix_nano = span.start_time_unix_nano + 900;
        span.attributes = vec![
            KeyValue::new("gen_ai.operation.name", if i % 2 == 0 { "chat" } else { "execute_tool" }.into()),
            KeyValue::new("gen_ai.request.model", "gpt-4o".into()),
            KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(100)),
            KeyValue::new("gen_ai.input.messages", words(&mut seed, 600).into()),
            KeyValue::new("gen_ai.output.messages", words(&mut seed, 400).into()),
        ];
        conventions::normalize_with(
            &mut span,
            conventions::Depth::Columns,
            rootspan_model::pricing::PriceTable::active(),
        );
        spans.push(span);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // ROOTSPAN_PROFILE_DB keeps the store at that path, for looking at its layout afterwards.
    let path = std::env::var_os("ROOTSPAN_PROFILE_DB").map(std::path::PathBuf::from).unwrap_or(dir.path().join("w.db"));
    let store = rootspan_store_sqlite::SqliteStore::open(&path).expect("open");
    let started = Instant::now();
    for chunk in spans.chunks(batch) {
        store.write(WriteBatch::spans_only(chunk.to_vec())).expect("write");
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{total} spans in {elapsed:.2} s: {:.0} spans/s; {} bytes on disk",
        total as f64 / elapsed,
        store.disk_bytes()
    );
    let search = |label: &str, word: &str| {
        let filter = rootspan_store::TraceFilter { text: Some(word.into()), limit: Some(50), ..Default::default() };
        let started = Instant::now();
        let found = store.list_traces(&filter).expect("search").len();
        println!("{label}: search {word:?}: {found} traces in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    };
    search("right after the burst", "refund");
    search("right after the burst", "99999");
    search("right after the burst", "zebracorn");
    let started = Instant::now();
    while store.background_work().expect("indexing") {}
    println!("indexing the burst: {:.2} s", started.elapsed().as_secs_f64());
    search("indexed", "refund");
    search("indexed", "99999");
    search("indexed", "zebracorn");
}
