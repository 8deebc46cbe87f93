//! `cascading-multi-agent`: in a multi-agent run, one agent corrupts data and downstream agents
//! consume it.
//!
//! **What.** A model output that is not supported by the tool outputs it received (a number with
//! another scale than its source, a value attributed to the wrong key), whose corrupted value then
//! reappears in a later step's input (a handoff, a tool call of another agent). This is handoff
//! validation: what one agent passes on is checked against what it was given. The first faulty span
//! is the model call that corrupted the data; the chain lists every downstream step that consumed it.
//!
//! Also: a failure relayed up from a sub-agent. A tool failed inside an agent that runs under
//! another agent (an agent span nested in an agent span: a managed agent, an agent run as a
//! tool, a delegated agent), was not retried successfully, the sub-agent reported back without
//! admitting it, and the delegating agent's final answer (outside the sub-agent) does not admit
//! it either. The first faulty span is the failed tool call. Recorded without content, the run's
//! last model call stands for the answer (medium confidence).
//!
//! **Why.** Each downstream agent behaves correctly on wrong input, so the symptom surfaces far
//! from its cause.
//!
//! **Example.** `data_agent` reads `revenue: 4210, unit: thousand_usd` and hands over "$4,210
//! million"; the writer turns it into "$4.21 billion".
//!
//! **False positives.** Unit conversions the model did on purpose and correctly but with the source
//! unit spelled elsewhere; key names that collide by accident.

use super::Hit;
use super::support::unsupported_claims;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use std::collections::{HashMap, HashSet};

pub const ID: &str = "cascading-multi-agent";

/// Identifiers seen so far in a run's sources (request, system prompt, tool outputs), indexed
/// for near-miss lookups: every identifier and each of its one-character deletions map to the
/// identifier, so two identifiers within one substitution, insertion, deletion or adjacent
/// transposition share a key (the symmetric-delete scheme). Lookups are O(length).
#[derive(Default)]
pub struct IdentifierIndex<'a> {
    exact: HashSet<&'a str>,
    near: HashMap<u64, &'a str>,
}

impl<'a> IdentifierIndex<'a> {
    pub fn add_text(&mut self, text: &'a str) {
        for token in text::id_tokens(text) {
            if !self.exact.insert(token) {
                continue;
            }
            for key in deletions(token) {
                self.near.entry(key).or_insert(token);
            }
            self.near.entry(hash_parts(token.as_bytes(), &[])).or_insert(token);
        }
    }

    /// The known identifier `token` is a near miss of (it is not itself known).
    pub fn near_miss(&self, token: &str) -> Option<&'a str> {
        if token.len() < 4 || self.exact.contains(token) {
            return None;
        }
        std::iter::once(hash_parts(token.as_bytes(), &[]))
            .chain(deletions(token))
            .filter_map(|key| self.near.get(&key).copied())
            .find(|known| known.len().abs_diff(token.len()) <= 1 && text::edit_distance(known, token) <= 2)
    }
}

/// Hashes of `token` with one character deleted, for each character.
fn deletions(token: &str) -> impl Iterator<Item = u64> + '_ {
    token.char_indices().map(move |(at, c)| hash_parts(&token.as_bytes()[..at], &token.as_bytes()[at + c.len_utf8()..]))
}

/// FNV-1a over two byte slices as if concatenated (no allocation).
fn hash_parts(head: &[u8], tail: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in head.iter().chain(tail) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Identifiers in a model's tool-call arguments that appear in none of its sources but are one or
/// two edits away from one that does (a transposed or off-by-one customer id): (corrupted, source).
pub fn corrupted_identifiers(index: &IdentifierIndex, arguments: &str) -> Vec<(String, String)> {
    text::id_tokens(arguments)
        .into_iter()
        .filter_map(|token| index.near_miss(token).map(|source| (token.to_owned(), source.to_owned())))
        .collect()
}

/// The steps after `span` in which a consumer of its output is looked for. Bounded so that a
/// diagnosis stays linear in the trace; corrupted data is consumed within the next steps.
fn later_steps<'v>(view: &'v TraceView, span: usize) -> &'v [crate::view::Step] {
    const MAX_CONSUMER_STEPS: usize = 1024;
    let start = view.steps.partition_point(|s| s.span <= span);
    let end = view.steps.len().min(start + MAX_CONSUMER_STEPS);
    &view.steps[start..end]
}

fn corrupted_handoff(view: &TraceView) -> Option<Hit> {
    // Later steps whose arguments carry an identifier, by identifier: consumers in O(1).
    let mut carriers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (position, step) in view.steps.iter().enumerate() {
        let mut tokens: Vec<&str> = step.arguments.as_deref().map(text::id_tokens).unwrap_or_default();
        for (_, arguments) in &step.tool_calls {
            tokens.extend(text::id_tokens(arguments));
        }
        tokens.sort_unstable();
        tokens.dedup();
        for token in tokens {
            carriers.entry(token).or_default().push(position);
        }
    }
    let mut index = IdentifierIndex::default();
    index.add_text(&view.user_request);
    index.add_text(&view.system);
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind != SpanKind::Llm {
            index.add_text(&step.output);
            continue;
        }
        for (tool, arguments) in &step.tool_calls {
            let Some((bad, good)) = corrupted_identifiers(&index, arguments).into_iter().next() else {
                continue;
            };
            let lower = tool.to_lowercase();
            let handoff = lower.contains("transfer") || lower.contains("handoff") || lower.contains("delegate");
            // The execution of this very call is not a downstream consumer: whichever agent span
            // an instrumentation files it under (LangGraph runs tools in a node outside the model
            // node), running the call the model emitted is no handoff unless the call is one.
            let consumers: Vec<&crate::view::Step> = carriers
                .get(bad.as_str())
                .into_iter()
                .flatten()
                .filter(|&&later| later > position)
                .map(|&later| &view.steps[later])
                .filter(|later| handoff || !executes_call(later, tool, arguments))
                .collect();
            let other_agent = consumers.iter().any(|c| c.agent.is_some() && c.agent != step.agent);
            if consumers.is_empty() || !(handoff || other_agent) {
                continue;
            }
            let agent = step.agent.clone().unwrap_or_else(|| "an agent".to_owned());
            let answer = view.final_answer.as_ref().map(|a| a.0);
            let mut hit = Hit::new(
                ID,
                step.span,
                Severity::Critical,
                format!("{agent} handed over `{bad}` where its sources say `{good}`"),
            )
            .chain(consumers.iter().map(|c| c.span).chain(answer).collect())
            .evidence(format!("handoff {tool}: {}", text::clip(arguments, 200)))
            .evidence(format!("source value: {good}"))
            .confidence(0.85);
            for consumer in consumers.iter().take(3) {
                hit = hit.evidence(format!(
                    "consumed by {}: {}",
                    view.span_name(consumer.span),
                    text::clip(consumer.arguments.as_deref().unwrap_or(""), 160)
                ));
            }
            return Some(hit);
        }
    }
    None
}

/// Whether `step` is a tool step running the call `tool(arguments)` (same name, same arguments up
/// to key order and whitespace).
fn executes_call(step: &crate::view::Step, tool: &str, arguments: &str) -> bool {
    if step.kind != SpanKind::Tool || step.tool_name.as_deref() != Some(tool) {
        return false;
    }
    let Some(executed) = step.arguments.as_deref() else { return false };
    use serde_json::Value;
    let called = serde_json::from_str::<Value>(arguments).ok();
    // A one-parameter call may be recorded as its lone value (LangChain tools: `A1003` for
    // `{"order_id": "A1003"}`).
    if let Some(Value::Object(fields)) = &called
        && let [(_, Value::String(only))] = fields.iter().collect::<Vec<_>>().as_slice()
        && executed.trim() == only.trim()
    {
        return true;
    }
    match (serde_json::from_str::<Value>(executed).ok(), called) {
        (Some(a), Some(b)) => a == b,
        _ => executed.trim() == arguments.trim(),
    }
}

/// A sub-agent's tool failed, the sub-agent reported back without admitting it, and the agent
/// that delegated to it (an agent span above it) gave the final answer on that report. Structural:
/// the failing tool's nearest agent span has an agent span above it, and the final answer lies
/// outside the sub-agent. With content capture off, the run's last model call stands for the
/// answer and the admissions cannot be checked.
fn failure_relayed_from_sub_agent(view: &TraceView) -> Option<Hit> {
    let (answer_span, answer) = match &view.final_answer {
        Some((span, text)) => (*span, Some(text.as_str())),
        None => (super::tool_error_ignored::contentless_answer(view)?, None),
    };
    if answer.is_some_and(text::admits_failure) {
        return None;
    }
    let successes = super::tool_error_ignored::last_successes(view);
    // Each sub-agent's report: its own last model call (linear, no per-failure scans).
    let mut report_of: HashMap<usize, usize> = HashMap::new();
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind == SpanKind::Llm
            && step.span < answer_span
            && let Some(agent) = view.agent_span_of[step.span]
        {
            report_of.insert(agent, position);
        }
    }
    let mut judged: HashSet<usize> = HashSet::new();
    for (position, step) in view.steps.iter().enumerate() {
        if step.span >= answer_span || !super::tool_error_ignored::unrecovered_failure(view, position, &successes) {
            continue;
        }
        let Some(sub_agent) = view.agent_span_of[step.span] else { continue };
        if !judged.insert(sub_agent) || view.parent_agent(sub_agent).is_none() || view.is_within(answer_span, sub_agent)
        {
            continue;
        }
        let report = report_of.get(&sub_agent).map(|&p| &view.steps[p]).filter(|r| r.span > step.span);
        let report_text = report.map(|r| r.answer.as_deref().unwrap_or(&r.output)).unwrap_or("");
        if text::admits_failure(report_text) {
            continue;
        }
        let sub_name = view.tree.spans[sub_agent]
            .gen_ai
            .agent_name
            .clone()
            .unwrap_or_else(|| view.span_name(sub_agent).to_owned());
        let tool = step.tool_name.clone().unwrap_or_default();
        let mut hit = Hit::new(
            ID,
            step.span,
            Severity::High,
            format!("{sub_name}'s tool `{tool}` failed, {sub_name} reported back without the failure and the delegating agent relayed it"),
        )
        .chain(report.map(|r| r.span).into_iter().chain([sub_agent, answer_span]).collect())
        .evidence(format!("error: {}", text::clip(step.error.as_deref().unwrap_or(""), 240)))
        .confidence(if answer.is_some() { 0.85 } else { 0.55 });
        if !report_text.trim().is_empty() {
            hit = hit.evidence(format!("{sub_name} reported: {}", text::clip(report_text, 200)));
        }
        if let Some(answer) = answer {
            hit = hit.evidence(format!("final answer: {}", text::clip(answer, 240)));
        }
        return Some(hit);
    }
    None
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    if let Some(hit) = corrupted_handoff(view) {
        return vec![hit];
    }
    if let Some(hit) = failure_relayed_from_sub_agent(view) {
        return vec![hit];
    }
    let answer_span = view.final_answer.as_ref().map(|a| a.0);
    for step in &view.steps {
        if step.kind != SpanKind::Llm || step.output.trim().is_empty() || Some(step.span) == answer_span {
            continue;
        }
        let claims = unsupported_claims(view, step.span, &step.output);
        let Some(claim) = claims.first() else { continue };
        // Downstream consumers: later steps whose input or arguments carry the corrupted token.
        let consumers: Vec<usize> = later_steps(view, step.span)
            .iter()
            .filter(|later| {
                later.arguments.as_deref().is_some_and(|a| a.contains(&claim.token))
                    || later.tool_calls.iter().any(|(_, a)| a.contains(&claim.token))
            })
            .map(|later| later.span)
            .collect();
        if consumers.is_empty() {
            continue;
        }
        let agent = step.agent.clone().unwrap_or_else(|| "an agent".to_owned());
        let mut hit = Hit::new(
            ID,
            step.span,
            Severity::Critical,
            format!(
                "{agent} passed on data its tools did not give it ({}), and {} later step(s) consumed it",
                claim.kind,
                consumers.len()
            ),
        )
        .chain(consumers.iter().copied().chain(answer_span).collect())
        .evidence(format!("handoff: {}", text::clip(&claim.claim, 200)))
        .evidence(format!("source: {}", claim.source))
        .confidence(0.85);
        for consumer in consumers.iter().take(3) {
            let later = view.steps[view.step_of_span[*consumer].unwrap_or(0)].arguments.clone().unwrap_or_default();
            hit = hit.evidence(format!("consumed by {}: {}", view.span_name(*consumer), text::clip(&later, 160)));
        }
        return vec![hit];
    }
    Vec::new()
}
