//! Temporal performance profiling: the critical path (the chain of spans that determined the
//! trace's end-to-end duration), the slowest segments by self time (time not covered by any
//! child), and waterfall rows for a timeline view. Iterative throughout (no recursion): traces
//! can hold 100,000 spans and be deeply nested.
//!
//! Critical path: start at the root; at each span, the path continues into the child that
//! finished last (the one the parent waited for), then into the child that finished last before
//! that child started, and so on; time not covered by a child is the span's own.

use rootspan_model::{SpanTree, span_id_hex};
use serde::Serialize;

/// One segment of the critical path: a span and the time it spent on the path itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSegment {
    pub span_id: String,
    pub span_name: String,
    /// Nanoseconds of this span's own work on the critical path.
    pub self_ns: u64,
}

/// One waterfall row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallRow {
    pub span_id: String,
    pub span_name: String,
    pub depth: u64,
    /// Start relative to the trace start.
    pub offset_ns: u64,
    pub duration_ns: u64,
    pub self_ns: u64,
    pub on_critical_path: bool,
}

/// The profile of one trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub duration_ns: u64,
    pub critical_path: Vec<PathSegment>,
    /// The `top` spans with the most self time, largest first: (span id, name, self ns).
    pub slowest: Vec<(String, String, u64)>,
    /// Rows in pre-order.
    pub waterfall: Vec<WaterfallRow>,
}

/// Self time per span: its duration minus the union of its children's intervals (clipped to it).
pub fn self_times(tree: &SpanTree) -> Vec<u64> {
    let mut out = vec![0; tree.spans.len()];
    for (index, span) in tree.spans.iter().enumerate() {
        let (start, end) = (span.start_time_unix_nano, span.end_time_unix_nano.max(span.start_time_unix_nano));
        let mut intervals: Vec<(u64, u64)> = tree.children[index]
            .iter()
            .map(|&c| {
                let child = &tree.spans[c];
                (child.start_time_unix_nano.clamp(start, end), child.end_time_unix_nano.clamp(start, end))
            })
            .filter(|(s, e)| e > s)
            .collect();
        intervals.sort_unstable();
        let mut covered = 0;
        let mut cursor = start;
        for (s, e) in intervals {
            let s = s.max(cursor);
            if e > s {
                covered += e - s;
                cursor = e;
            }
        }
        out[index] = (end - start).saturating_sub(covered);
    }
    out
}

/// The critical path from the first root, iterative. Each entry: (span index, ns on the path).
pub fn critical_path(tree: &SpanTree) -> Vec<(usize, u64)> {
    let Some(&root) = tree.roots.first() else { return Vec::new() };
    let mut path = Vec::new();
    // Work list of (span, window end): the span's part of the path ends at `window end`.
    let mut stack = vec![(root, tree.spans[root].end_time_unix_nano)];
    while let Some((node, window_end)) = stack.pop() {
        let span = &tree.spans[node];
        let start = span.start_time_unix_nano;
        let mut cursor = window_end.min(span.end_time_unix_nano).max(start);
        let mut own = 0;
        let mut children: Vec<usize> = tree.children[node].clone();
        children.sort_by_key(|&c| std::cmp::Reverse(tree.spans[c].end_time_unix_nano));
        let mut chosen = Vec::new();
        for child in children {
            let child_span = &tree.spans[child];
            if child_span.end_time_unix_nano > cursor || child_span.end_time_unix_nano <= start {
                continue;
            }
            own += cursor - child_span.end_time_unix_nano;
            chosen.push((child, child_span.end_time_unix_nano));
            cursor = child_span.start_time_unix_nano.max(start);
        }
        own += cursor - start;
        path.push((node, own));
        // Children were collected latest first; visit them in time order after this span.
        for entry in chosen.into_iter() {
            stack.push(entry);
        }
    }
    path
}

/// Profiles a trace; `top` slowest segments are reported.
pub fn profile(tree: &SpanTree, top: usize) -> Profile {
    let own = self_times(tree);
    let trace_start = tree.spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
    let trace_end = tree.spans.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(trace_start);
    let path = critical_path(tree);
    let mut on_path = vec![false; tree.spans.len()];
    for (index, _) in &path {
        on_path[*index] = true;
    }
    let mut slowest: Vec<usize> = (0..tree.spans.len()).collect();
    slowest.sort_by_key(|&i| (std::cmp::Reverse(own[i]), i));
    slowest.truncate(top);
    Profile {
        duration_ns: trace_end.saturating_sub(trace_start),
        critical_path: path
            .iter()
            .map(|&(index, ns)| PathSegment {
                span_id: span_id_hex(&tree.spans[index].span_id),
                span_name: tree.spans[index].name.clone(),
                self_ns: ns,
            })
            .collect(),
        slowest: slowest
            .into_iter()
            .map(|i| (span_id_hex(&tree.spans[i].span_id), tree.spans[i].name.clone(), own[i]))
            .collect(),
        waterfall: tree
            .preorder()
            .into_iter()
            .map(|i| {
                let span = &tree.spans[i];
                WaterfallRow {
                    span_id: span_id_hex(&span.span_id),
                    span_name: span.name.clone(),
                    depth: tree.depth[i],
                    offset_ns: span.start_time_unix_nano.saturating_sub(trace_start),
                    duration_ns: span.duration_ns(),
                    self_ns: own[i],
                    on_critical_path: on_path[i],
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;
    use rootspan_model::Span;

    #[test]
    fn critical_path_follows_the_last_finishing_children() {
        let tree = fixture::tree();
        let result = profile(&tree, 2);
        let names: Vec<&str> = result.critical_path.iter().map(|s| s.span_name.as_str()).collect();
        assert_eq!(names[0], "invoke_agent support");
        assert_eq!(result.critical_path.len(), 6);
        let total: u64 = result.critical_path.iter().map(|s| s.self_ns).sum();
        assert_eq!(total, 100);
        assert_eq!(result.slowest[0].2, 39);
        assert_eq!(result.waterfall.len(), 6);
    }

    #[test]
    fn deep_chains_do_not_overflow_the_stack() {
        let spans: Vec<Span> = (0..100_000u64)
            .map(|i| {
                let mut s = Span::new([1; 16], (i + 1).to_be_bytes(), "n");
                s.parent_span_id = (i > 0).then(|| i.to_be_bytes());
                s.start_time_unix_nano = i;
                s.end_time_unix_nano = 200_000 - i;
                s
            })
            .collect();
        let tree = SpanTree::build(spans);
        assert_eq!(critical_path(&tree).len(), 100_000);
    }
}
