//! `retry-loop`: identical or near-identical calls repeated without a change of strategy.
//!
//! **What.** The same tool is called three or more times with the same (or nearly the same,
//! token Jaccard >= 0.9) arguments, and the repeats do not lead to a different outcome: the results
//! stay the same or keep failing (failures that end in a successful call are a retry that worked,
//! not a loop). The first faulty span is the first repeat: the moment the agent should have
//! changed strategy.
//!
//! **Why.** Loops burn tokens and time, and end in a max-retries abort or a give-up answer.
//!
//! **Example.** `search_flights(origin=SFO, destination=JFK, date=2025-02-30)` six times, each
//! timing out, until the framework aborts.
//!
//! **False positives.** Polling tools that are meant to be called repeatedly with identical
//! arguments (`wait_for_job`); parallel fan-out with identical arguments. Calls without recorded
//! arguments (content capture off) are compared by their error text only: the same tool failing
//! with the same error three times counts as a loop.

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

pub use crate::text::canonical_arguments;

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    // Candidate loops: (a) calls of one tool with identical canonical arguments anywhere in the
    // run; (b) runs of consecutive calls of one tool whose arguments are near-identical (token
    // Jaccard >= 0.9 with the run's first call). Both are linear in the trace.
    let mut identical: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut order: Vec<(&str, &str)> = Vec::new();
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut open_run: HashMap<&str, (&str, Vec<u64>, Vec<usize>)> = HashMap::new();
    // Calls whose arguments were not recorded (content capture off) are compared by their error:
    // the same tool failing with the same error text again and again.
    let by_error: Vec<Option<String>> = view
        .steps
        .iter()
        .map(|s| match (&s.canonical_arguments, &s.error) {
            (None, Some(error)) => Some(format!("error: {error}")),
            _ => None,
        })
        .collect();
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind != SpanKind::Tool {
            continue;
        }
        let canonical = step.canonical_arguments.as_ref().or(by_error[position].as_ref());
        let (Some(tool), Some(canonical)) = (&step.tool_name, canonical) else { continue };
        let key = (tool.as_str(), canonical.as_str());
        let entry = identical.entry(key).or_default();
        if entry.is_empty() {
            order.push(key);
        }
        entry.push(position);
        match open_run.get_mut(tool.as_str()) {
            Some((first, _, members)) if *first == canonical.as_str() => members.push(position),
            Some((_, first_tokens, members))
                if text::jaccard_sorted(first_tokens, &text::token_hashes(canonical)) >= 0.9 =>
            {
                members.push(position)
            }
            _ => {
                let opened = (canonical.as_str(), text::token_hashes(canonical), vec![position]);
                if let Some((_, _, members)) = open_run.insert(tool.as_str(), opened) {
                    runs.push(members);
                }
            }
        }
    }
    runs.extend(open_run.into_values().map(|(_, _, members)| members));
    let mut merged: Vec<Vec<usize>> = order.iter().map(|key| identical[key].clone()).collect();
    // A near-identical run adds a candidate only when it is not already one identical group.
    for run in runs {
        if run.len() >= MIN_CALLS && !merged.iter().any(|group| run.iter().all(|p| group.contains(p))) {
            merged.push(run);
        }
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
        // Failures that end in a success are a retry that worked (the outcome did change).
        let recovered = failing > 0 && steps.last().is_some_and(|s| s.error.is_none());
        if !no_progress || recovered {
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
