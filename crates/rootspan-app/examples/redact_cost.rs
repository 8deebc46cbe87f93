//! What redaction costs per span, in process, on one thread: `cargo run --release -p rootspan-app
//! --example redact_cost -- [SPANS]`. The spans are shaped like `rootspan bench`'s (about 1 KB
//! of prompt, completion or tool text each, from a small vocabulary, no secrets), in batches of
//! 5,000 sharing one resource; every tenth span also carries an e-mail address and an API key,
//! so the replacing path is timed too. Prints spans/s and ns per span, redaction on.

use rootspan_app::redact::Redactor;
use rootspan_model::{AnyValue, KeyValue, Resource, Span};
use std::sync::Arc;
use std::time::Instant;

const WORDS: &[&str] = &[
    "order",
    "refund",
    "customer",
    "the",
    "tool",
    "returned",
    "status",
    "shipped",
    "please",
    "check",
    "account",
    "invoice",
    "2024-11-22",
    "amount",
    "42.50",
    "USD",
    "agent",
    "answer",
    "policy",
    "days",
    "within",
    "30",
];

fn text(seed: usize, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 16);
    let mut index = seed;
    while out.len() < bytes {
        out.push_str(WORDS[index % WORDS.len()]);
        out.push(' ');
        index = index.wrapping_mul(31).wrapping_add(7);
    }
    out
}

fn batch(first: usize, count: usize) -> Vec<Span> {
    let resource = Arc::new(Resource {
        attributes: vec![KeyValue::new("service.name", AnyValue::String("bench-agent".into()))],
        ..Default::default()
    });
    (first..first + count)
        .map(|n| {
            let mut span = Span::new([(n % 251) as u8; 16], (n as u64).to_be_bytes(), "chat gpt-4o");
            let mut prompt = text(n, 700);
            if n % 10 == 0 {
                prompt.push_str(" mail jane.doe@example.com key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD");
            }
            span.attributes = vec![
                KeyValue::new("gen_ai.operation.name", AnyValue::String("chat".into())),
                KeyValue::new("gen_ai.request.model", AnyValue::String("gpt-4o".into())),
                KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(812)),
                KeyValue::new("gen_ai.input.messages", AnyValue::String(prompt)),
                KeyValue::new("gen_ai.output.messages", AnyValue::String(text(n + 3, 300))),
            ];
            span.resource = resource.clone();
            span
        })
        .collect()
}

fn main() {
    let spans: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let redactor = Redactor::builtin();
    let batches: Vec<Vec<Span>> = (0..spans.div_ceil(5_000)).map(|b| batch(b * 5_000, 5_000)).collect();
    let bytes: usize = batches
        .iter()
        .flatten()
        .flat_map(|s| &s.attributes)
        .map(|a| match &a.value {
            AnyValue::String(text) => text.len(),
            _ => 0,
        })
        .sum();
    let started = Instant::now();
    let mut changed = 0;
    for mut spans in batches {
        changed += usize::from(redactor.redact_batch(&mut spans, &mut []));
    }
    let seconds = started.elapsed().as_secs_f64();
    let total = spans.div_ceil(5_000) * 5_000;
    println!(
        "{total} spans ({:.0} MB of string values) redacted in {seconds:.3} s: {:.0} spans/s, {:.0} ns per span, {:.0} MB/s; {changed} batches changed",
        bytes as f64 / 1e6,
        total as f64 / seconds,
        seconds * 1e9 / total as f64,
        bytes as f64 / 1e6 / seconds
    );
}
