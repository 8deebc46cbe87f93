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
//! **False positives.** An answer that mentions the failure with words outside the marker list;
//! a failed call whose result was not needed for the answer (an optional lookup).

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;

pub const ID: &str = "tool-error-ignored";

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let Some((answer_span, answer)) = &view.final_answer else {
        return Vec::new();
    };
    if text::admits_failure(answer) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (position, step) in view.steps.iter().enumerate() {
        if step.kind != SpanKind::Tool || step.span >= *answer_span {
            continue;
        }
        let Some(error) = &step.error else { continue };
        let recovered = view.steps[position + 1..]
            .iter()
            .any(|later| later.kind == SpanKind::Tool && later.tool_name == step.tool_name && later.error.is_none());
        if recovered {
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
