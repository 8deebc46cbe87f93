//! Failure attribution for multi-agent message logs ("which agent, which step"): the Who&When and
//! AgentRx question, answered deterministically from the shape of the conversation.
//!
//! Steps are the spans carrying `rootspan.step` (see `rootspan_ingest::message_logs`). Messages by
//! the environment (a terminal, the human, the user, a tool or the system prompt) and empty or
//! `TERMINATE` messages are never blamed. Two conversation shapes are told apart:
//!
//! - **orchestrated** (the run starts with a human request and one agent writes most of the
//!   messages, as Magentic-One's Orchestrator does): the decisive step is the first action of a
//!   worker agent, because the orchestrator's plan is only as good as what the first worker brings
//!   back; the blamed agent is that worker.
//! - **peer group chat** (the first agent restates the task, then peers take turns): the decisive
//!   step is the first response after the task statement, where the solution path is chosen; the
//!   blamed agent is the one that wrote most of the conversation's content (it carried the solution).

use crate::diagnosis::Diagnosis;
use rootspan_model::{SpanTree, span_id_hex};
use serde::Serialize;
use std::collections::BTreeMap;

/// Which agent and which step (in the dataset's own numbering) caused the failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepAttribution {
    pub agent: String,
    pub step: i64,
    pub span_id: String,
    /// `orchestrated` or `group_chat`.
    pub shape: &'static str,
}

struct Message {
    span: usize,
    step: i64,
    agent: String,
    chars: usize,
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

fn is_environment(agent: &str) -> bool {
    // Whole names only: agents such as `SystemDesign_Expert` or `ToolBuilder` are agents.
    let lower = agent.trim().to_lowercase();
    lower.contains("terminal")
        || ["human", "user", "system", "tool", "environment", "computer", "executor"].contains(&lower.as_str())
}

/// Attributes the failure of a message-log trace. `None` when the trace has no message steps.
/// When a detector already localised a root cause on a step span, that step wins.
pub fn attribute(tree: &SpanTree, diagnosis: Option<&Diagnosis>) -> Option<StepAttribution> {
    let mut all: Vec<(i64, usize)> = tree
        .spans
        .iter()
        .enumerate()
        .filter_map(|(index, span)| span.attr("rootspan.step").and_then(|v| v.as_i64()).map(|step| (step, index)))
        .collect();
    all.sort_unstable();
    let first = all.first().copied()?;
    let agent_of = |index: usize| tree.spans[index].gen_ai.agent_name.clone().unwrap_or_default();
    if let Some(root) = diagnosis.and_then(|d| d.root_cause.as_ref())
        && let Some(&(step, index)) = all.iter().find(|(_, i)| span_id_hex(&tree.spans[*i].span_id) == root.span_id)
    {
        return Some(StepAttribution {
            agent: agent_of(index),
            step,
            span_id: root.span_id.clone(),
            shape: "detector",
        });
    }
    // Tool-using single-agent runs: the first irreversible action (a write call such as cancel,
    // modify, exchange, refund) is where an unrecovered mistake becomes real.
    let writes = all.iter().find(|(_, index)| {
        tree.spans[*index]
            .gen_ai
            .output_messages
            .iter()
            .flat_map(|m| &m.tool_calls)
            .any(|call| is_write_action(&call.name))
    });
    if let Some(&(step, index)) = writes {
        return Some(StepAttribution {
            agent: agent_of(index),
            step,
            span_id: span_id_hex(&tree.spans[index].span_id),
            shape: "first_write_action",
        });
    }
    let messages: Vec<Message> = all
        .iter()
        .filter_map(|&(step, index)| {
            let agent = agent_of(index);
            let text = tree.spans[index].gen_ai.output_text.as_deref().unwrap_or("").trim();
            if is_environment(&agent) || text.is_empty() || text == "TERMINATE" {
                return None;
            }
            Some(Message { span: index, step, agent, chars: text.chars().count() })
        })
        .collect();
    let fallback = messages.first().map(|m| (m.span, m.step)).unwrap_or((first.1, first.0));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut volume: BTreeMap<&str, usize> = BTreeMap::new();
    for message in &messages {
        *counts.entry(&message.agent).or_default() += 1;
        *volume.entry(&message.agent).or_default() += message.chars;
    }
    let top = counts.iter().max_by_key(|(agent, n)| (**n, std::cmp::Reverse(**agent))).map(|(a, n)| (*a, *n));
    let starts_with_human = is_environment(&agent_of(first.1));
    let orchestrated =
        starts_with_human && counts.len() >= 2 && top.is_some_and(|(_, n)| n as f64 > 0.5 * messages.len() as f64);
    let after_first = |m: &&Message| m.step > first.0;
    if orchestrated {
        let orchestrator = top.map(|t| t.0).unwrap_or_default();
        let worker = messages.iter().filter(after_first).find(|m| m.agent != orchestrator);
        let (span, step, agent) =
            worker.map(|m| (m.span, m.step, m.agent.clone())).unwrap_or((fallback.0, fallback.1, agent_of(fallback.0)));
        return Some(StepAttribution {
            agent,
            step,
            span_id: span_id_hex(&tree.spans[span].span_id),
            shape: "orchestrated",
        });
    }
    let decisive = messages.iter().find(after_first).map(|m| (m.span, m.step)).unwrap_or(fallback);
    let carrier = volume
        .iter()
        .max_by_key(|(agent, chars)| (**chars, std::cmp::Reverse(**agent)))
        .map(|(agent, _)| (*agent).to_owned())
        .unwrap_or_else(|| agent_of(decisive.0));
    Some(StepAttribution {
        agent: carrier,
        step: decisive.1,
        span_id: span_id_hex(&tree.spans[decisive.0].span_id),
        shape: "group_chat",
    })
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
    fn orchestrated_runs_blame_the_first_worker() {
        let spans = vec![
            message(0, "human", "find x", 0),
            message(1, "Orchestrator", "plan", 1),
            message(2, "Orchestrator", "ask WebSurfer", 2),
            message(3, "WebSurfer", "I typed x", 3),
            message(4, "Orchestrator", "done", 4),
        ];
        let attribution = attribute(&SpanTree::build(spans), None).unwrap();
        assert_eq!((attribution.agent.as_str(), attribution.step), ("WebSurfer", 3));
    }

    #[test]
    fn group_chats_blame_the_first_response() {
        let spans = vec![
            message(0, "Planner_Expert", "You are given a task", 0),
            message(1, "Solver_Expert", "a long solution text that carries the run", 1),
            message(2, "Computer_terminal", "exitcode: 0", 2),
            message(3, "Planner_Expert", "ok", 3),
        ];
        let attribution = attribute(&SpanTree::build(spans), None).unwrap();
        assert_eq!((attribution.agent.as_str(), attribution.step), ("Solver_Expert", 1));
    }
}
