//! `retry-loop`: identical or near-identical calls repeated without a change of strategy.
//!
//! **What.** The same tool is called three or more times with the same (or nearly the same,
//! token Jaccard >= 0.9) arguments, and the repeats do not lead to a different outcome: the results
//! stay the same or keep failing. The first faulty span is the first repeat: the moment the agent
//! should have changed strategy.
//!
//! **Why.** Loops burn tokens and time, and end in a max-retries abort or a give-up answer.
//!
//! **Example.** `search_flights(origin=SFO, destination=JFK, date=2025-02-30)` six times, each
//! timing out, until the framework aborts.
//!
//! **False positives.** Polling tools that are meant to be called repeatedly with identical
//! arguments (`wait_for_job`); parallel fan-out with identical arguments. Calls without recorded
//! arguments are never compared.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use std::collections::HashMap;

pub const ID: &str = "retry-loop";

/// Minimum number of identical calls that makes a loop.
pub const MIN_CALLS: usize = 3;

/// Canonical argument text: JSON re-serialised with sorted keys, else trimmed text.
pub fn canonical_arguments(arguments: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) => sort_keys(&value).to_string(),
        Err(_) => arguments.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn sort_keys(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sort_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    // Group tool calls by (tool, canonical arguments), in order.
    let mut groups: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind != SpanKind::Tool {
            continue;
        }
        let (Some(tool), Some(arguments)) = (&step.tool_name, &step.arguments) else { continue };
        let key = (tool.clone(), canonical_arguments(arguments));
        let entry = groups.entry(key.clone()).or_default();
        if entry.is_empty() {
            order.push(key);
        }
        entry.push(position);
    }
    // Merge near-identical groups of the same tool. Retries repeat close together, so each group
    // is compared only with the next few distinct calls of the same tool: linear in the trace.
    const MERGE_WINDOW: usize = 32;
    let token_sets: Vec<_> = order.iter().map(|key| text::token_set(&key.1)).collect();
    let mut by_tool: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, key) in order.iter().enumerate() {
        by_tool.entry(key.0.as_str()).or_default().push(index);
    }
    let mut rank = vec![0usize; order.len()];
    for indexes in by_tool.values() {
        for (position, &index) in indexes.iter().enumerate() {
            rank[index] = position;
        }
    }
    let mut merged: Vec<Vec<usize>> = Vec::new();
    let mut used = vec![false; order.len()];
    for (i, key) in order.iter().enumerate() {
        if used[i] {
            continue;
        }
        let mut members = groups[key].clone();
        let same_tool = &by_tool[key.0.as_str()];
        for &j in same_tool.iter().skip(rank[i] + 1).take(MERGE_WINDOW) {
            if !used[j] && text::jaccard(&token_sets[i], &token_sets[j]) >= 0.9 {
                used[j] = true;
                members.extend(groups[&order[j]].iter().copied());
            }
        }
        members.sort_unstable();
        merged.push(members);
    }
    let mut hits = Vec::new();
    for members in merged {
        if members.len() < MIN_CALLS {
            continue;
        }
        let steps: Vec<_> = members.iter().map(|&p| &view.steps[p]).collect();
        let failing = steps.iter().filter(|s| s.error.is_some()).count();
        let distinct_outputs: std::collections::HashSet<&str> = steps.iter().map(|s| s.output.as_str()).collect();
        let no_progress = failing * 2 >= steps.len() || distinct_outputs.len() == 1;
        if !no_progress {
            continue;
        }
        // Parallel fan-out (all calls overlap in time under one parent) is not a loop.
        let spans = &view.tree.spans;
        let sequential =
            steps.windows(2).all(|w| spans[w[1].span].start_time_unix_nano >= spans[w[0].span].end_time_unix_nano);
        if !sequential {
            continue;
        }
        let first = steps[0];
        let tool = first.tool_name.clone().unwrap_or_default();
        let mut hit = Hit::new(
            ID,
            steps[1].span,
            Severity::High,
            format!("`{tool}` called {} times with the same arguments and no change of outcome", steps.len()),
        )
        .chain(steps.iter().skip(2).map(|s| s.span).collect())
        .evidence(format!("arguments: {}", text::clip(first.arguments.as_deref().unwrap_or(""), 200)))
        .evidence(format!("result: {}", text::clip(first.error.as_deref().unwrap_or(&first.output), 200)))
        .confidence(if failing == steps.len() { 0.95 } else { 0.75 });
        if view.run_failed()
            && let Some(root) = view.tree.roots.first()
        {
            let status = &view.tree.spans[*root].status.message;
            if !status.is_empty() {
                hit = hit.evidence(format!("run error: {}", text::clip(status, 200)));
            }
            hit.chain.push(*root);
        }
        hits.push(hit);
    }
    hits.sort_by_key(|hit| hit.span);
    hits
}
