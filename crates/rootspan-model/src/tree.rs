//! The span tree of one trace, and the trace summary (the counts of the ground truth).
//!
//! Robust by construction: spans may come in any order; duplicate span ids keep the last
//! delivery; a span whose parent is absent is an orphan and becomes a root (shown, not dropped);
//! parent links that form a cycle are cut at the span where the cycle is detected, which then
//! becomes a root. Building is O(n log n) and never recurses, so deep or hostile traces cannot
//! overflow the stack.

use crate::genai::SpanKind;
use crate::ids::SpanId;
use crate::span::{Span, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The counts that describe a trace (names as in the ground truth of the test data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TraceSummary {
    pub spans: u64,
    /// Depth of the deepest span; a root has depth 0.
    pub max_depth: u64,
    pub llm_calls: u64,
    pub tool_calls: u64,
    /// Tool spans whose status is ERROR.
    pub tool_errors: u64,
    /// Spans whose status is ERROR.
    pub error_spans: u64,
    pub agent_spans: u64,
    /// Tokens, counted once: a span's usage counts only when no descendant reports usage
    /// (agent spans that repeat their children's totals are not added again).
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    /// Spans whose parent is not in the trace.
    pub orphans: u64,
}

/// A trace as a tree over its spans.
#[derive(Debug, Clone)]
pub struct SpanTree {
    /// The spans, ordered: start time, then depth (parents first), then longer first.
    pub spans: Vec<Span>,
    /// Parent index per span (`None` for roots and orphans).
    pub parent: Vec<Option<usize>>,
    /// Child indexes per span, in order.
    pub children: Vec<Vec<usize>>,
    /// Depth per span; roots are 0.
    pub depth: Vec<u64>,
    /// Root indexes (true roots first, then orphans), in order.
    pub roots: Vec<usize>,
    /// Whether a span's parent id names a span that is not in the trace.
    pub orphan: Vec<bool>,
}

impl SpanTree {
    /// Builds the tree. Duplicate span ids keep the last one given.
    pub fn build(spans: Vec<Span>) -> SpanTree {
        // Spans are large: they are moved a fixed number of times, never sorted in place (a sort
        // of 100,000 spans moved gigabytes). Every order below is an order of indexes.
        let mut last_of: HashMap<SpanId, usize> = HashMap::with_capacity(spans.len());
        for (position, span) in spans.iter().enumerate() {
            last_of.insert(span.span_id, position);
        }
        let spans: Vec<Span> = if last_of.len() == spans.len() {
            spans
        } else {
            spans
                .into_iter()
                .enumerate()
                .filter(|(position, span)| last_of[&span.span_id] == *position)
                .map(|(_, span)| span)
                .collect()
        };
        let index_of: HashMap<SpanId, usize> = spans.iter().enumerate().map(|(i, s)| (s.span_id, i)).collect();
        let count = spans.len();
        let mut parent: Vec<Option<usize>> =
            spans.iter().map(|span| span.parent_span_id.and_then(|id| index_of.get(&id).copied())).collect();
        let orphan_flags: Vec<bool> =
            spans.iter().zip(&parent).map(|(span, parent)| span.parent_span_id.is_some() && parent.is_none()).collect();
        // Depth by walking up with memoisation; cut cycles. state: 0 unvisited, 1 on stack, 2 done.
        let mut depth = vec![0u64; count];
        let mut state = vec![0u8; count];
        // Visit in (start time, span id) order, so that which link of a cycle is cut does not
        // depend on the order the spans arrived in.
        let mut visit: Vec<usize> = (0..count).collect();
        visit.sort_by(|&a, &b| {
            (spans[a].start_time_unix_nano, spans[a].span_id).cmp(&(spans[b].start_time_unix_nano, spans[b].span_id))
        });
        for start in visit {
            if state[start] == 2 {
                continue;
            }
            let mut path = Vec::new();
            let mut current = start;
            loop {
                if state[current] == 2 {
                    break;
                }
                if state[current] == 1 {
                    // Cycle: cut the link of `current`, which becomes a root.
                    parent[current] = None;
                    depth[current] = 0;
                    state[current] = 2;
                    path.pop_if(|last| *last == current);
                    break;
                }
                state[current] = 1;
                path.push(current);
                match parent[current] {
                    Some(up) => current = up,
                    None => {
                        depth[current] = 0;
                        state[current] = 2;
                        path.pop();
                        break;
                    }
                }
            }
            while let Some(node) = path.pop() {
                if state[node] == 2 {
                    continue;
                }
                depth[node] = parent[node].map(|up| depth[up] + 1).unwrap_or(0);
                state[node] = 2;
            }
        }
        // Canonical order: start time, depth, longer first.
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by(|&a, &b| {
            spans[a]
                .start_time_unix_nano
                .cmp(&spans[b].start_time_unix_nano)
                .then(depth[a].cmp(&depth[b]))
                .then(spans[b].duration_ns().cmp(&spans[a].duration_ns()))
                .then(spans[a].span_id.cmp(&spans[b].span_id))
        });
        let mut new_index = vec![0usize; count];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut slots: Vec<Option<Span>> = spans.into_iter().map(Some).collect();
        let spans: Vec<Span> = order.iter().map(|&old| slots[old].take().unwrap_or_else(unreachable_span)).collect();
        let parent: Vec<Option<usize>> = order.iter().map(|&old| parent[old].map(|p| new_index[p])).collect();
        let depth: Vec<u64> = order.iter().map(|&old| depth[old]).collect();
        let orphan: Vec<bool> = order.iter().map(|&old| orphan_flags[old]).collect();
        let mut children = vec![Vec::new(); count];
        let mut roots = Vec::new();
        for (index, up) in parent.iter().enumerate() {
            match up {
                Some(up) => children[*up].push(index),
                None => roots.push(index),
            }
        }
        roots.sort_by_key(|&index| (orphan[index], index));
        SpanTree { spans, parent, children, depth, roots, orphan }
    }

    /// The first true root (no parent id), else the first orphan.
    pub fn root(&self) -> Option<&Span> {
        self.roots.first().map(|&index| &self.spans[index])
    }

    /// Indexes in depth-first pre-order (roots in order, children in order). Iterative.
    pub fn preorder(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.spans.len());
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(node) = stack.pop() {
            out.push(node);
            stack.extend(self.children[node].iter().rev());
        }
        out
    }

    /// Index of a span id.
    pub fn index_of(&self, span_id: &SpanId) -> Option<usize> {
        self.spans.iter().position(|span| &span.span_id == span_id)
    }

    /// Whether any descendant of each span reports token usage (computed bottom-up).
    fn descendant_has_usage(&self) -> Vec<bool> {
        let mut has = vec![false; self.spans.len()];
        for node in self.preorder().into_iter().rev() {
            let own = self.spans[node].gen_ai.input_tokens.is_some() || self.spans[node].gen_ai.output_tokens.is_some();
            if (own || has[node])
                && let Some(up) = self.parent[node]
            {
                has[up] = true;
            }
        }
        has
    }

    /// Which spans' token usage counts towards the trace total.
    pub fn counted_usage(&self) -> Vec<bool> {
        let below = self.descendant_has_usage();
        self.spans
            .iter()
            .enumerate()
            .map(|(i, span)| (span.gen_ai.input_tokens.is_some() || span.gen_ai.output_tokens.is_some()) && !below[i])
            .collect()
    }

    /// The summary counts.
    pub fn summary(&self) -> TraceSummary {
        let counted = self.counted_usage();
        let mut summary = TraceSummary { spans: self.spans.len() as u64, ..TraceSummary::default() };
        for (index, span) in self.spans.iter().enumerate() {
            summary.max_depth = summary.max_depth.max(self.depth[index]);
            let is_error = span.status.code == StatusCode::Error;
            match span.gen_ai.kind {
                SpanKind::Llm => summary.llm_calls += 1,
                SpanKind::Tool => {
                    summary.tool_calls += 1;
                    summary.tool_errors += u64::from(is_error);
                }
                SpanKind::Agent => summary.agent_spans += 1,
                _ => {}
            }
            summary.error_spans += u64::from(is_error);
            summary.orphans += u64::from(self.orphan[index]);
            if counted[index] {
                // Hostile token counts saturate instead of overflowing.
                summary.input_tokens = summary.input_tokens.saturating_add(span.gen_ai.input_tokens.unwrap_or(0));
                summary.output_tokens = summary.output_tokens.saturating_add(span.gen_ai.output_tokens.unwrap_or(0));
                summary.cost_usd += span.gen_ai.cost_usd.unwrap_or(0.0);
            }
        }
        summary.total_tokens = summary.input_tokens.saturating_add(summary.output_tokens);
        summary
    }
}

fn unreachable_span() -> Span {
    Span::new([0; 16], [0; 8], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: u8, parent: Option<u8>, start: u64) -> Span {
        let mut span = Span::new([7; 16], [id; 8], format!("s{id}"));
        span.parent_span_id = parent.map(|p| [p; 8]);
        span.start_time_unix_nano = start;
        span.end_time_unix_nano = start + 10;
        span
    }

    #[test]
    fn orphans_cycles_and_duplicates() {
        let spans = vec![
            span(1, None, 0),
            span(2, Some(1), 1),
            span(2, Some(1), 1),
            span(3, Some(9), 2),
            span(4, Some(5), 3),
            span(5, Some(4), 4),
        ];
        let tree = SpanTree::build(spans);
        assert_eq!(tree.spans.len(), 5);
        let summary = tree.summary();
        assert_eq!(summary.spans, 5);
        assert_eq!(summary.orphans, 1);
        assert_eq!(tree.root().unwrap().name, "s1");
        assert_eq!(tree.preorder().len(), 5);
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let spans: Vec<Span> = (0..200_000u32)
            .map(|i| {
                let mut s = Span::new([1; 16], u64::from(i).to_be_bytes(), "n");
                s.parent_span_id = i.checked_sub(1).map(|p| u64::from(p).to_be_bytes());
                s.start_time_unix_nano = u64::from(i);
                s
            })
            .collect();
        let tree = SpanTree::build(spans);
        assert_eq!(tree.summary().max_depth, 199_999);
    }
}
