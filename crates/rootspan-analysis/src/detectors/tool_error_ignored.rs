//! `tool-error-ignored`: a tool call failed and the agent went on as if it had succeeded.
//!
//! **What.** A tool span failed by its own account (ERROR status, an `exception` event,
//! `error.type`, an error object in its result, or an HTTP 4xx/5xx status in the result text), the
//! same tool never succeeded afterwards, and the run still produced a final answer that does not
//! admit the failure (no "unable", "failed", "unavailable", "sorry", ...).
//!
//! **Why.** The user is told an action happened when it did not: the most damaging silent failure
//! of tool-using agents.
//!
//! **Example.** `cancel_order` returns `HTTP 503 Service Unavailable`; the model answers "Done! Order
//! A1002 has been cancelled".
//!
//! Recorded without content (no answer text can be read): a failed tool that was not retried
//! successfully, followed by a normal end of the run (a last model call that succeeded without
//! requesting a tool, no error on the run), is reported at medium severity.
//!
//! **False positives.** An answer that mentions the failure with words outside the marker list;
//! a failed call whose result was not needed for the answer (an optional lookup); without content,
//! an answer that did admit the failure.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use std::collections::HashMap;

pub const ID: &str = "tool-error-ignored";

/// Per tool name, the step position of its last successful call (one pass over the steps).
pub fn last_successes<'v>(view: &'v TraceView) -> HashMap<Option<&'v str>, usize> {
    let mut out = HashMap::new();
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind == SpanKind::Tool && step.error.is_none() {
            out.insert(step.tool_name.as_deref(), position);
        }
    }
    out
}

/// Whether the tool step at `position` failed and the same tool never succeeded afterwards
/// (`successes` from [`last_successes`]).
pub fn unrecovered_failure(view: &TraceView, position: usize, successes: &HashMap<Option<&str>, usize>) -> bool {
    let step = &view.steps[position];
    step.kind == SpanKind::Tool
        && step.error.is_some()
        && successes.get(&step.tool_name.as_deref()).is_none_or(|last| *last < position)
}

/// Where a run whose answer text was not recorded (content capture off) ends: its last model
/// call, when that call succeeded without requesting a tool and the run did not fail (the agent
/// answered normally).
pub fn contentless_answer(view: &TraceView) -> Option<usize> {
    if view.final_answer.is_some() || view.run_failed() {
        return None;
    }
    let last = view.steps.iter().rev().find(|s| s.kind == SpanKind::Llm)?;
    let asked_for_tool =
        !last.tool_calls.is_empty() || last.finish_reasons.iter().any(|r| r.contains("tool") || r == "function_call");
    (last.error.is_none() && !asked_for_tool).then_some(last.span)
}

/// Content capture off: a tool failed, was not retried successfully, and the run went on to a
/// normal end (a later model call, no error on the run). Whether the answer admitted the failure
/// cannot be read, so the finding is reported at medium severity.
fn detect_without_content(view: &TraceView) -> Vec<Hit> {
    let Some(answer_span) = contentless_answer(view) else { return Vec::new() };
    let successes = last_successes(view);
    for (position, step) in view.steps.iter().enumerate() {
        if step.span >= answer_span || !unrecovered_failure(view, position, &successes) {
            continue;
        }
        let first_reader = view.llm_steps_after(step.span).next().map(|s| s.span);
        let mut chain: Vec<usize> = first_reader.into_iter().collect();
        chain.push(answer_span);
        let tool = step.tool_name.clone().unwrap_or_default();
        return vec![
            Hit::new(
                ID,
                step.span,
                Severity::Medium,
                format!(
                    "tool `{tool}` failed and the run ended normally without retrying it ({})",
                    if view.content_captured { "the answer text was not recorded" } else { "content not recorded" }
                ),
            )
            .chain(chain)
            .evidence(format!("error: {}", text::clip(step.error.as_deref().unwrap_or(""), 240)))
            .evidence(format!("run ended after model call `{}`", view.span_name(answer_span)))
            .confidence(0.55),
        ];
    }
    Vec::new()
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let Some((answer_span, answer)) = &view.final_answer else {
        return detect_without_content(view);
    };
    if text::admits_failure(answer) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let successes = last_successes(view);
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind != SpanKind::Tool || step.span >= *answer_span {
            continue;
        }
        let Some(error) = &step.error else { continue };
        if !unrecovered_failure(view, position, &successes) {
            continue;
        }
        let first_reader = view.llm_steps_after(step.span).next().map(|s| s.span);
        let mut chain: Vec<usize> = first_reader.into_iter().collect();
        chain.push(*answer_span);
        let tool = step.tool_name.clone().unwrap_or_default();
        hits.push(
            Hit::new(
                ID,
                step.span,
                Severity::High,
                format!("tool `{tool}` failed, but the final answer does not mention it"),
            )
            .chain(chain)
            .evidence(format!("error: {}", text::clip(error, 240)))
            .evidence(format!("final answer: {}", text::clip(answer, 240)))
            .confidence(0.9),
        );
        break;
    }
    hits
}
