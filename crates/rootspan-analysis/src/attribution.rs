//! Failure attribution for multi-agent message logs ("which agent, which step"): the Who&When and
//! AgentRx question, answered deterministically from the conversation.
//!
//! Steps are the spans carrying `rootspan.step` (see `rootspan_ingest::message_logs`). Messages by
//! the environment (a terminal, the human, the user, a tool or the system prompt) and empty or
//! `TERMINATE` messages are never blamed.
//!
//! Each blamable step gets general features ([`features::STEP_FEATURES`]): its position and role
//! (the first response, the opening message, the first and second worker message of an
//! orchestrated run), whether its content was executed and failed, whether it brought facts nobody
//! had stated before without a tool result to read them from, whether it hedges or declares a
//! result verified without running anything, whether it first carried the final answer, whether
//! another agent objected right after, whether it was the first state-changing tool call, and
//! whether the diagnosis put its root cause there. A linear score over them, with one weight
//! vector per conversation shape (orchestrated, group chat, tool use), picks the step; a second
//! score over the agents' features (share of content, of code, of messages, who answered first,
//! who spoke at the chosen step) picks the agent.
//!
//! The weights are fitted from labelled logs ([`model::AttributionModel::fit`]); `rootspan
//! benchmark` re-fits them on the training folds of its cross-validation, so the figures it
//! reports were scored on logs the weights had not seen.

pub mod features;
pub mod model;
mod weights;

pub use features::{AgentCandidate, Shape, StepCandidate, StepLog, is_environment, step_log};
pub use model::{AttributionModel, Example, ShapeWeights, same_agent};

use crate::diagnosis::Diagnosis;
use rootspan_model::SpanTree;
use serde::Serialize;

/// Which agent and which step (in the dataset's own numbering) caused the failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepAttribution {
    pub agent: String,
    pub step: i64,
    pub span_id: String,
    /// `orchestrated`, `group_chat` or `tool_use`.
    pub shape: &'static str,
}

/// Whether a tool name is a state-changing action (by its leading verb).
pub fn is_write_action(tool: &str) -> bool {
    const VERBS: &[&str] = &[
        "cancel", "modify", "exchange", "return", "update", "transfer", "book", "create", "delete", "place", "refund",
        "change", "set", "add", "remove", "send", "issue", "submit", "pay", "charge", "write",
    ];
    let lower = tool.to_lowercase();
    let first = lower.split(['_', '-', '.']).next().unwrap_or("");
    VERBS.contains(&first)
}

/// Attributes the failure of a message-log trace with the shipped weights. `None` when the trace
/// has no blamable message steps.
pub fn attribute(tree: &SpanTree, diagnosis: Option<&Diagnosis>) -> Option<StepAttribution> {
    attribute_with(tree, diagnosis, &AttributionModel::DEFAULT)
}

/// [`attribute`] with the given weights.
pub fn attribute_with(
    tree: &SpanTree,
    diagnosis: Option<&Diagnosis>,
    model: &AttributionModel,
) -> Option<StepAttribution> {
    let log = step_log(tree, diagnosis)?;
    attribute_log(&log, model)
}

/// Attribution of a prepared log.
pub fn attribute_log(log: &StepLog, model: &AttributionModel) -> Option<StepAttribution> {
    let chosen = model.choose_step(log)?;
    let agent = model.choose_agent(log).unwrap_or(&chosen.agent).to_owned();
    Some(StepAttribution { agent, step: chosen.step, span_id: chosen.span_id.clone(), shape: log.shape.as_str() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::{AnyValue, KeyValue, Span, conventions};

    fn message(position: u8, agent: &str, text: &str, step: i64) -> Span {
        let mut span = Span::new([1; 16], [position + 1; 8], agent);
        span.start_time_unix_nano = u64::from(position);
        span.attributes.push(KeyValue::new("gen_ai.agent.name", AnyValue::from(agent)));
        span.attributes.push(KeyValue::new("rootspan.step", AnyValue::Int(step)));
        span.attributes.push(KeyValue::new("output.value", AnyValue::from(text)));
        conventions::normalize(&mut span);
        span
    }

    #[test]
    fn shapes_and_candidates_follow_the_conversation() {
        let orchestrated = SpanTree::build(vec![
            message(0, "human", "find x", 0),
            message(1, "Orchestrator", "plan", 1),
            message(2, "Orchestrator", "ask the surfer", 2),
            message(3, "WebSurfer", "I typed x", 3),
            message(4, "Orchestrator", "done", 4),
        ]);
        let log = step_log(&orchestrated, None).unwrap();
        assert_eq!(log.shape, Shape::Orchestrated);
        assert_eq!(log.steps.iter().map(|c| c.step).collect::<Vec<_>>(), vec![1, 2, 3, 4], "the human is never blamed");
        let worker = log.steps.iter().find(|c| c.step == 3).unwrap();
        assert_eq!(worker.features[4], 1.0, "first worker message");
        assert_eq!((log.first_step(), log.last_step()), (Some(0), Some(4)));

        let group = SpanTree::build(vec![
            message(0, "Planner_Expert", "You are given a task", 0),
            message(1, "Solver_Expert", "a long solution text ```python\nprint(1)\n```", 1),
            message(2, "Computer_terminal", "exitcode: 1 (execution failed)\nTraceback", 2),
            message(3, "Planner_Expert", "TERMINATE", 3),
        ]);
        let log = step_log(&group, None).unwrap();
        assert_eq!(log.shape, Shape::GroupChat);
        assert_eq!(log.steps.iter().map(|c| c.step).collect::<Vec<_>>(), vec![0, 1]);
        let solver = &log.steps[1];
        assert_eq!(
            (solver.features[0], solver.features[6], solver.features[7], solver.features[8]),
            (1.0, 1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn the_weights_decide_the_step_and_agent() {
        let tree = SpanTree::build(vec![
            message(0, "Planner_Expert", "You are given a task", 0),
            message(1, "Solver_Expert", "a long solution text that carries the run", 1),
            message(2, "Computer_terminal", "exitcode: 0", 2),
            message(3, "Planner_Expert", "ok then", 3),
        ]);
        let mut model = AttributionModel::DEFAULT;
        model.group_chat = ShapeWeights::ZERO;
        model.group_chat.step[0] = 1.0; // first response
        model.group_chat.agent[0] = 1.0; // content share
        let found = attribute_with(&tree, None, &model).unwrap();
        assert_eq!((found.agent.as_str(), found.step, found.shape), ("Solver_Expert", 1, "group_chat"));
        model.group_chat.step[0] = 0.0;
        model.group_chat.step[2] = 1.0; // late steps
        assert_eq!(attribute_with(&tree, None, &model).unwrap().step, 3);
    }

    #[test]
    fn fitting_recovers_a_consistent_labelling() {
        // Every log blames its first response: fitted weights must reproduce that on a new log.
        let logs: Vec<StepLog> = (0..6)
            .map(|i| {
                let filler = "word ".repeat(i + 1);
                step_log(
                    &SpanTree::build(vec![
                        message(0, "A_Expert", "You are given a task", 0),
                        message(1, "B_Expert", &format!("first answer {filler}"), 1),
                        message(2, "A_Expert", &format!("second thought {filler} more"), 2),
                        message(3, "B_Expert", "a third remark", 3),
                    ]),
                    None,
                )
                .unwrap()
            })
            .collect();
        let examples: Vec<Example> = logs.iter().map(|log| Example { log, step: 1, agent: "B_Expert" }).collect();
        let model = AttributionModel::fit(&examples, &AttributionModel::DEFAULT);
        for log in &logs {
            let found = attribute_log(log, &model).unwrap();
            assert_eq!((found.step, found.agent.as_str()), (1, "B_Expert"));
        }
    }
}
