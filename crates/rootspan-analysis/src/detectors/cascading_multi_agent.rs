//! `cascading-multi-agent`: in a multi-agent run, one agent corrupts data and downstream agents
//! consume it.
//!
//! **What.** A model output that is not supported by the tool outputs it received (a number with
//! another scale than its source, a value attributed to the wrong key), whose corrupted value then
//! reappears in a later step's input (a handoff, a tool call of another agent). This is handoff
//! validation: what one agent passes on is checked against what it was given. The first faulty span
//! is the model call that corrupted the data; the chain lists every downstream step that consumed it.
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

pub const ID: &str = "cascading-multi-agent";

/// Identifiers in a model's tool-call arguments that appear in none of its sources but are one or
/// two edits away from one that does (a transposed or off-by-one customer id): (corrupted, source).
pub fn corrupted_identifiers(view: &TraceView, span: usize, arguments: &str) -> Vec<(String, String)> {
    let mut known: Vec<&str> = text::id_tokens(&view.user_request);
    known.extend(text::id_tokens(&view.system));
    // Steps are in span order; the most recent sources are enough and keep this linear.
    const MAX_SOURCE_STEPS: usize = 256;
    let end = view.steps.partition_point(|s| s.span < span);
    for step in view.steps[..end].iter().rev().filter(|s| s.kind != SpanKind::Llm).take(MAX_SOURCE_STEPS) {
        known.extend(text::id_tokens(&step.output));
    }
    let mut out = Vec::new();
    for token in text::id_tokens(arguments) {
        if token.len() < 4 || known.contains(&token) {
            continue;
        }
        if let Some(source) =
            known.iter().find(|k| k.len().abs_diff(token.len()) <= 1 && text::edit_distance(k, token) <= 2)
        {
            out.push((token.to_owned(), (*source).to_owned()));
        }
    }
    out
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
    for step in view.steps.iter().filter(|s| s.kind == SpanKind::Llm) {
        for (tool, arguments) in &step.tool_calls {
            let Some((bad, good)) = corrupted_identifiers(view, step.span, arguments).into_iter().next() else {
                continue;
            };
            let consumers: Vec<&crate::view::Step> = later_steps(view, step.span)
                .iter()
                .filter(|later| {
                    later.arguments.as_deref().is_some_and(|a| a.contains(&bad))
                        || later.tool_calls.iter().any(|(_, a)| a.contains(&bad))
                })
                .collect();
            let lower = tool.to_lowercase();
            let handoff = lower.contains("transfer") || lower.contains("handoff") || lower.contains("delegate");
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

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    if let Some(hit) = corrupted_handoff(view) {
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
