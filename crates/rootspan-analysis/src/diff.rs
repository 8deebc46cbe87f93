//! Side-by-side trace diff: align two runs of the same agent step by step, show what changed per
//! aligned pair, and mark the first divergence.
//!
//! ```text
//! A (failed)                       B (good)
//! invoke_agent support        ~    invoke_agent support      (encloses; not the divergence)
//! chat gpt-4o                 =    chat gpt-4o
//! execute_tool get_order      =    execute_tool get_order
//! execute_tool cancel_order   ~    execute_tool cancel_order <- first divergence: status, result
//! ```
//!
//! # How
//! 1. Every span becomes a [`step::Step`]: a *fine* key (span kind, enclosing agent, tool name,
//!    normalised tool arguments; span name for structural spans) and hashes of its content
//!    fields (status, error, tool, model, arguments, input, output, result), ids masked.
//! 2. [`align::lcs_pairs`] (Myers, linear space) matches equal fine keys; inside each gap, steps
//!    are paired by similarity (same kind, tool, agent, arguments) so that a tool call whose
//!    arguments changed is one *changed* pair, not a deletion and an insertion.
//! 3. A step *differs* when a content field differs, or it exists in one run only. Latency,
//!    tokens and cost are reported but never make a step differ.
//! 4. The first divergence is the earliest differing step that does not *enclose* another
//!    differing step of its run (is not its ancestor, and — for agent, workflow and other
//!    structural spans — was not open around it), preferring model/tool/retrieval steps over
//!    agent and workflow spans: enclosing spans repeat the outcome, they are not its cause.
//!
//! Time: O((N+M)·D) for D differing steps, memory O(N+M). Pure: no IO, no clock.

mod align;
pub mod step;

use rootspan_model::{SpanKind, SpanTree, span_id_hex, trace_id_hex};
use serde::{Deserialize, Serialize};
use step::{Field, Step};

/// Longest text kept per side of a change; longer texts are cut around the first difference.
pub const MAX_CHANGE_CHARS: usize = 2000;

/// What happened to a step between the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOp {
    /// Aligned, same content.
    Same,
    /// Aligned, content differs (see `changes`).
    Changed,
    /// Only in run A (deleted in B).
    OnlyA,
    /// Only in run B (inserted).
    OnlyB,
}

/// One side of an aligned step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSide {
    pub span_id: String,
    pub name: String,
    pub kind: SpanKind,
    /// Index in the trace's canonical order (start time, parents first, longer first).
    pub index: usize,
    pub depth: u64,
    pub status: String,
    pub duration_ns: u64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// One changed field of an aligned pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// status, error, tool, model, arguments, input, output, result, latency, input_tokens,
    /// output_tokens, cost.
    pub field: String,
    pub a: Option<String>,
    pub b: Option<String>,
    /// Whether the change makes the step differ (content), or is only a measurement.
    pub material: bool,
}

/// One row of the alignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignedStep {
    pub op: StepOp,
    pub a: Option<StepSide>,
    pub b: Option<StepSide>,
    /// Whether this step differs and encloses another differing step (so is not a cause).
    pub enclosing: bool,
    pub changes: Vec<Change>,
}

/// Where the runs first part ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Index into [`TraceDiff::steps`].
    pub step: usize,
    pub a_span_id: Option<String>,
    pub b_span_id: Option<String>,
    pub a_span_name: Option<String>,
    pub b_span_name: Option<String>,
    /// One line: what differs.
    pub reason: String,
}

/// Totals of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    pub trace_id: String,
    pub root_name: String,
    pub spans: u64,
    pub duration_ns: u64,
    pub error_spans: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
}

/// Counts of the alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DiffCounts {
    pub same: u64,
    pub changed: u64,
    pub only_a: u64,
    pub only_b: u64,
}

/// The diff of run A against run B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDiff {
    pub a: RunTotals,
    pub b: RunTotals,
    /// `None` when the runs do not diverge.
    pub first_divergence: Option<Divergence>,
    pub counts: DiffCounts,
    /// The alignment, in execution order.
    pub steps: Vec<AlignedStep>,
}

/// Diffs run `a` (usually the failed one) against run `b` (usually a good one).
pub fn diff_traces(a: &SpanTree, b: &SpanTree) -> TraceDiff {
    let steps_a = step::steps(a);
    let steps_b = step::steps(b);
    let pairs = align_steps(a, b, &steps_a, &steps_b);

    // Which spans differ, per run.
    let mut differs_a = vec![false; a.spans.len()];
    let mut differs_b = vec![false; b.spans.len()];
    let mut ops = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let op = match *pair {
            align::Pair::Match(i, j) | align::Pair::Paired(i, j) => {
                if steps_a[i].content == steps_b[j].content {
                    StepOp::Same
                } else {
                    differs_a[i] = true;
                    differs_b[j] = true;
                    StepOp::Changed
                }
            }
            align::Pair::OnlyA(i) => {
                differs_a[i] = true;
                StepOp::OnlyA
            }
            align::Pair::OnlyB(j) => {
                differs_b[j] = true;
                StepOp::OnlyB
            }
        };
        ops.push(op);
    }
    let encloses_a = encloses_differing(a, &differs_a);
    let encloses_b = encloses_differing(b, &differs_b);

    let mut counts = DiffCounts::default();
    let mut steps = Vec::with_capacity(pairs.len());
    for (pair, op) in pairs.iter().zip(&ops) {
        let (ia, ib) = indexes(*pair);
        match op {
            StepOp::Same => counts.same += 1,
            StepOp::Changed => counts.changed += 1,
            StepOp::OnlyA => counts.only_a += 1,
            StepOp::OnlyB => counts.only_b += 1,
        }
        let enclosing = ia.is_some_and(|i| encloses_a[i]) || ib.is_some_and(|j| encloses_b[j]);
        let changes = match (ia, ib) {
            (Some(i), Some(j)) => changes(a, b, i, j, &steps_a[i], &steps_b[j]),
            _ => Vec::new(),
        };
        steps.push(AlignedStep { op: *op, a: ia.map(|i| side(a, i)), b: ib.map(|j| side(b, j)), enclosing, changes });
    }
    let first_divergence = first_divergence(a, b, &pairs, &steps);
    TraceDiff { a: totals(a), b: totals(b), first_divergence, counts, steps }
}

/// Similarity of two runs in [0, 1]: matched fine steps over all steps (2·LCS / (N + M)).
pub fn trace_similarity(a: &SpanTree, b: &SpanTree) -> f64 {
    let fine_a: Vec<u64> = step::steps(a).iter().map(|s| s.fine).collect();
    let fine_b: Vec<u64> = step::steps(b).iter().map(|s| s.fine).collect();
    let total = fine_a.len() + fine_b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * align::lcs_pairs(&fine_a, &fine_b).len() as f64 / total as f64
}

fn align_steps(a: &SpanTree, b: &SpanTree, steps_a: &[Step], steps_b: &[Step]) -> Vec<align::Pair> {
    let fine_a: Vec<u64> = steps_a.iter().map(|s| s.fine).collect();
    let fine_b: Vec<u64> = steps_b.iter().map(|s| s.fine).collect();
    let coarse_a: Vec<u64> = steps_a.iter().map(|s| s.coarse).collect();
    let coarse_b: Vec<u64> = steps_b.iter().map(|s| s.coarse).collect();
    let similarity = |i: usize, j: usize| -> f64 {
        if a.spans[i].gen_ai.kind != b.spans[j].gen_ai.kind {
            return 0.0;
        }
        let (x, y) = (&steps_a[i], &steps_b[j]);
        let mut score = 0.4;
        score += if x.coarse == y.coarse { 0.3 } else { 0.0 };
        score += if x.agent == y.agent { 0.1 } else { 0.0 };
        let same_fields = x.content.iter().zip(&y.content).filter(|(p, q)| p == q).count();
        score + 0.2 * same_fields as f64 / x.content.len() as f64
    };
    align::align(&fine_a, &fine_b, &coarse_a, &coarse_b, &similarity)
}

fn indexes(pair: align::Pair) -> (Option<usize>, Option<usize>) {
    match pair {
        align::Pair::Match(i, j) | align::Pair::Paired(i, j) => (Some(i), Some(j)),
        align::Pair::OnlyA(i) => (Some(i), None),
        align::Pair::OnlyB(j) => (None, Some(j)),
    }
}

/// Per span: whether it differs and encloses another differing span of the same run, as an
/// ancestor or (for structural spans) by being open around it.
fn encloses_differing(tree: &SpanTree, differs: &[bool]) -> Vec<bool> {
    let count = tree.spans.len();
    let mut encloses = vec![false; count];
    // Ancestors of differing spans.
    let mut has_differing_below = vec![false; count];
    for (node, _) in differs.iter().enumerate().filter(|(_, differs)| **differs) {
        let mut up = tree.parent[node];
        while let Some(parent) = up {
            if has_differing_below[parent] {
                break;
            }
            has_differing_below[parent] = true;
            up = tree.parent[parent];
        }
    }
    // Time containment among differing spans: sort by (start, end desc, depth); a span encloses
    // another when some later span in that order ends no later than it does.
    let mut order: Vec<usize> = (0..count).filter(|&i| differs[i]).collect();
    let end = |i: usize| tree.spans[i].end_time_unix_nano.max(tree.spans[i].start_time_unix_nano);
    order.sort_by(|&x, &y| {
        tree.spans[x]
            .start_time_unix_nano
            .cmp(&tree.spans[y].start_time_unix_nano)
            .then(end(y).cmp(&end(x)))
            .then(tree.depth[x].cmp(&tree.depth[y]))
            .then(x.cmp(&y))
    });
    let mut min_end_after = u64::MAX;
    for &node in order.iter().rev() {
        let structural = matches!(tree.spans[node].gen_ai.kind, SpanKind::Agent | SpanKind::Workflow | SpanKind::Other);
        let time_encloses = structural && min_end_after <= end(node);
        encloses[node] = differs[node] && (has_differing_below[node] || time_encloses);
        min_end_after = min_end_after.min(end(node));
    }
    encloses
}

fn first_divergence(a: &SpanTree, b: &SpanTree, pairs: &[align::Pair], steps: &[AlignedStep]) -> Option<Divergence> {
    let is_candidate = |step: &AlignedStep| step.op != StepOp::Same && !step.enclosing;
    let is_work = |pair: align::Pair| {
        let (ia, ib) = indexes(pair);
        let kind = ia.map(|i| a.spans[i].gen_ai.kind).or_else(|| ib.map(|j| b.spans[j].gen_ai.kind));
        !matches!(kind, Some(SpanKind::Agent | SpanKind::Workflow))
    };
    let chosen = steps
        .iter()
        .enumerate()
        .find(|(index, step)| is_candidate(step) && is_work(pairs[*index]))
        .or_else(|| steps.iter().enumerate().find(|(_, step)| is_candidate(step)))
        .or_else(|| steps.iter().enumerate().find(|(_, step)| step.op != StepOp::Same))?;
    let (index, step) = chosen;
    let reason = match step.op {
        StepOp::OnlyA => "step only in run A".to_owned(),
        StepOp::OnlyB => "step only in run B".to_owned(),
        _ => {
            let fields: Vec<&str> =
                step.changes.iter().filter(|change| change.material).map(|change| change.field.as_str()).collect();
            format!("{} differ", fields.join(", "))
        }
    };
    Some(Divergence {
        step: index,
        a_span_id: step.a.as_ref().map(|side| side.span_id.clone()),
        b_span_id: step.b.as_ref().map(|side| side.span_id.clone()),
        a_span_name: step.a.as_ref().map(|side| side.name.clone()),
        b_span_name: step.b.as_ref().map(|side| side.name.clone()),
        reason,
    })
}

fn side(tree: &SpanTree, index: usize) -> StepSide {
    let span = &tree.spans[index];
    StepSide {
        span_id: span_id_hex(&span.span_id),
        name: span.name.clone(),
        kind: span.gen_ai.kind,
        index,
        depth: tree.depth[index],
        status: span.status.code.as_str().to_owned(),
        duration_ns: span.duration_ns(),
        input_tokens: span.gen_ai.input_tokens,
        output_tokens: span.gen_ai.output_tokens,
        cost_usd: span.gen_ai.cost_usd,
    }
}

fn changes(a: &SpanTree, b: &SpanTree, i: usize, j: usize, x: &Step, y: &Step) -> Vec<Change> {
    let (span_a, span_b) = (&a.spans[i], &b.spans[j]);
    let mut out = Vec::new();
    for (position, field) in Field::ALL.iter().enumerate() {
        if x.content[position] == y.content[position] {
            continue;
        }
        let text_a = step::render(span_a, *field);
        let text_b = step::render(span_b, *field);
        let (text_a, text_b) = excerpts(text_a, text_b);
        out.push(Change { field: field.as_str().to_owned(), a: text_a, b: text_b, material: true });
    }
    let mut measure = |field: &str, p: Option<String>, q: Option<String>| {
        if p != q {
            out.push(Change { field: field.to_owned(), a: p, b: q, material: false });
        }
    };
    let (ga, gb) = (&span_a.gen_ai, &span_b.gen_ai);
    measure("input_tokens", ga.input_tokens.map(|n| n.to_string()), gb.input_tokens.map(|n| n.to_string()));
    measure("output_tokens", ga.output_tokens.map(|n| n.to_string()), gb.output_tokens.map(|n| n.to_string()));
    measure("cost", ga.cost_usd.map(|c| format!("{c:.6}")), gb.cost_usd.map(|c| format!("{c:.6}")));
    let (da, db) = (span_a.duration_ns(), span_b.duration_ns());
    // Latency counts as changed beyond ±20% and 1 ms, so scheduling noise stays quiet.
    let gap = da.abs_diff(db);
    if gap > 1_000_000 && gap * 5 > da.max(db) {
        out.push(Change {
            field: "latency".to_owned(),
            a: Some(da.to_string()),
            b: Some(db.to_string()),
            material: false,
        });
    }
    out
}

/// Both texts, cut to [`MAX_CHANGE_CHARS`] around their first difference.
fn excerpts(a: Option<String>, b: Option<String>) -> (Option<String>, Option<String>) {
    let (Some(a), Some(b)) = (a.clone(), b.clone()) else {
        return (a.map(|t| cut_from(&t, 0)), b.map(|t| cut_from(&t, 0)));
    };
    let first = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let start = first.saturating_sub(MAX_CHANGE_CHARS / 4);
    (Some(cut_from(&a, start)), Some(cut_from(&b, start)))
}

fn cut_from(text: &str, start: usize) -> String {
    let total = text.chars().count();
    if total <= MAX_CHANGE_CHARS && start == 0 {
        return text.to_owned();
    }
    let start = start.min(total.saturating_sub(MAX_CHANGE_CHARS));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(text.chars().skip(start).take(MAX_CHANGE_CHARS));
    if start + MAX_CHANGE_CHARS < total {
        out.push('…');
    }
    out
}

fn totals(tree: &SpanTree) -> RunTotals {
    let summary = tree.summary();
    let start = tree.spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
    let end = tree.spans.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(0);
    RunTotals {
        trace_id: tree.spans.first().map(|s| trace_id_hex(&s.trace_id)).unwrap_or_default(),
        root_name: tree.root().map(|s| s.name.clone()).unwrap_or_default(),
        spans: summary.spans,
        duration_ns: end.saturating_sub(start),
        error_spans: summary.error_spans,
        total_tokens: summary.total_tokens,
        cost_usd: summary.cost_usd,
    }
}
