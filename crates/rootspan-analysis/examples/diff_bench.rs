//! Benchmark of `rootspan diff` on two synthetic 10,000-span runs of one agent.
//!
//! `cargo run --release -p rootspan-analysis --example diff_bench`
//!
//! Run A is an agent span over 5,000 model-call/tool-call turns (20 tools, JSON arguments and
//! results, token usage); run B repeats it with ~2% of the turns changed (other arguments, a failed
//! tool, a removed turn, an inserted turn). Reports the median of several diffs, plus the worst
//! case of two runs that share nothing but their shape. Deterministic (a fixed linear
//! congruential generator), no IO.

use rootspan_analysis::diff::diff_traces;
use rootspan_model::SpanTree;
use rootspan_testkit::TraceBuilder;
use std::time::{Duration, Instant};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// One run: `turns` model+tool turns; `mutate(turn)` returns how this run differs at a turn.
fn run(trace_byte: u8, turns: u64, seed: u64, mutate: &dyn Fn(u64) -> Option<u8>) -> SpanTree {
    let mut random = Lcg(seed);
    let mut trace = TraceBuilder::new([trace_byte; 16]);
    let root = trace.agent(None, "planner");
    let mut clock = 10;
    for turn in 0..turns {
        let tool = format!("tool_{}", random.next() % 20);
        let value = random.next() % 1000;
        let change = mutate(turn);
        if change == Some(2) {
            continue; // removed turn
        }
        let value = if change == Some(1) { value + 1 } else { value };
        let extra = usize::from(change == Some(3)) + 1; // inserted turn: the turn twice
        for _ in 0..extra {
            let chat = trace.llm(root, "gpt-4o", "", "", Some((100 + (turn % 50) as i64, 20)));
            trace.times(chat, clock, clock + 900);
            clock += 1000;
            let arguments = format!("{{\"item\": \"I-{value}\", \"count\": {}}}", value % 7);
            let result = format!("{{\"ok\": true, \"price\": {}.{:02}}}", value, value % 100);
            let tool_span = trace.tool(root, &tool, &arguments, &result);
            trace.times(tool_span, clock, clock + 900);
            if change == Some(4) {
                trace.error(tool_span, "upstream returned HTTP 503");
            }
            clock += 1000;
        }
    }
    trace.times(root, 0, clock);
    trace.tree()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let turns = 5_000 - 1; // 1 agent span + 2 spans per turn = 9,999 spans
    let a = run(1, turns, 42, &|_| None);
    let b = run(2, turns, 42, &|turn| match turn % 97 {
        13 => Some(1),
        41 => Some(2),
        67 => Some(3),
        _ if turn == 2_500 => Some(4),
        _ => None,
    });
    let unrelated = run(3, turns, 4242, &|_| None);
    println!("run A: {} spans, run B: {} spans", a.spans.len(), b.spans.len());

    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let started = Instant::now();
        last = Some(diff_traces(&a, &b));
        samples.push(started.elapsed());
    }
    let diff = last.expect("ran");
    println!(
        "similar runs:   median {:>8.1?} over 7 diffs ({} same, {} changed, {} only in A, {} only in B)",
        median(samples),
        diff.counts.same,
        diff.counts.changed,
        diff.counts.only_a,
        diff.counts.only_b
    );
    let mut samples = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let diff = diff_traces(&a, &unrelated);
        samples.push(started.elapsed());
        std::hint::black_box(diff);
    }
    println!("unrelated runs: median {:>8.1?} over 3 diffs (worst case: almost nothing in common)", median(samples));
    let started = Instant::now();
    std::hint::black_box((rootspan_analysis::diff::step::steps(&a), rootspan_analysis::diff::step::steps(&b)));
    println!("of which step extraction (keys, content hashes) of both runs: {:>8.1?}", started.elapsed());
}
