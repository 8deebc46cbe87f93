//! What the attribution scorer sees of a message log: the conversation's shape, every step that
//! can be blamed with its features, and every agent that can be blamed with its features.
//!
//! Every feature is a property of conversations in general (who spoke, in which order, whether a
//! message was executed and failed, whether it brought facts nobody had stated before, whether a
//! later speaker objected, whether it first carried the final answer). None names an agent, a
//! framework or a data set.

use crate::Diagnosis;
use crate::attribution::is_write_action;
use crate::text::{admits_failure, content_tokens, fold};
use rootspan_model::{SpanTree, span_id_hex};
use std::collections::{BTreeMap, HashSet};

/// How the conversation is organised; each shape has its own weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// The run starts with a request from the environment and one agent writes most messages,
    /// delegating to workers.
    Orchestrated,
    /// Peers take turns after the opening message states the task.
    GroupChat,
    /// One assistant calls tools (some of them state-changing) for a user.
    ToolUse,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Orchestrated, Shape::GroupChat, Shape::ToolUse];

    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Orchestrated => "orchestrated",
            Shape::GroupChat => "group_chat",
            Shape::ToolUse => "tool_use",
        }
    }
}

/// The step features, in weight order.
pub const STEP_FEATURES: [&str; 20] = [
    // Position and role.
    "first_response",        // the first message after the opening one
    "opening",               // the opening message itself (it may carry the plan or code to run)
    "relative_position",     // index / (messages - 1)
    "worker",                // orchestrated runs: written by an agent other than the orchestrator
    "first_worker_message",  // the first such message
    "second_worker_message", // the second one
    // Actions and their outcome.
    "code",               // carries a code block
    "executed",           // the next message is environment output (its content was run)
    "execution_failed",   // and that output reports a failure
    "tool_call",          // emits tool calls
    "first_write_action", // the first state-changing tool call of the run
    // Claims.
    "new_facts_unbacked",  // log(1 + words nobody said before), not right after environment output
    "new_facts_backed",    // the same, right after environment output (read off a tool)
    "hedged",              // assumes, simulates, uses placeholders or recalls from memory
    "unbacked_conclusion", // declares a result verified or final without running anything
    "answer_origin",       // the first message that carries the run's final answer
    "challenged",          // another agent reports a problem within the next two messages
    "detector_root_cause", // the diagnosis localised its root cause on this step
    "delegates",           // addressed to another agent of the log (its role names one)
    "length",              // log(1 + characters) / 10
];

/// The agent features, in weight order.
pub const AGENT_FEATURES: [&str; 4] = [
    "content_share", // share of the conversation's characters the agent wrote
    "code_share",    // share of the code blocks
    "first_worker",  // orchestrated runs: the first worker to act
    "step_blame",    // the share of the step scorer's blame on the agent's steps
];

pub const STEP_DIMENSIONS: usize = STEP_FEATURES.len();
pub const AGENT_DIMENSIONS: usize = AGENT_FEATURES.len();

/// One step that may be blamed.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCandidate {
    /// The step number in the data set's own numbering (`rootspan.step`).
    pub step: i64,
    /// Index of the span in `SpanTree::spans`.
    pub span: usize,
    pub span_id: String,
    pub agent: String,
    pub features: [f64; STEP_DIMENSIONS],
}

/// One agent that may be blamed (its `step_blame` feature is filled in from the step weights).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentCandidate {
    pub agent: String,
    pub features: [f64; AGENT_DIMENSIONS],
}

/// A message log prepared for attribution.
#[derive(Debug, Clone, PartialEq)]
pub struct StepLog {
    pub shape: Shape,
    pub steps: Vec<StepCandidate>,
    pub agents: Vec<AgentCandidate>,
    /// Every step of the log with its speaker, blamable or not (the trivial baselines use them).
    pub speakers: BTreeMap<i64, String>,
}

impl StepLog {
    pub fn first_step(&self) -> Option<i64> {
        self.speakers.keys().next().copied()
    }

    pub fn last_step(&self) -> Option<i64> {
        self.speakers.keys().next_back().copied()
    }
}

/// Speakers that are the environment: a terminal, the human, the user, a tool, the system.
/// Whole names only: agents such as `SystemDesign_Expert` or `ToolBuilder` are agents.
pub fn is_environment(agent: &str) -> bool {
    let lower = agent.trim().to_lowercase();
    lower.contains("terminal")
        || ["human", "user", "system", "tool", "environment", "computer", "executor"].contains(&lower.as_str())
}

const HEDGES: &[&str] = &[
    "assume",
    "assuming",
    "assumption",
    "hypothetical",
    "placeholder",
    "simulate",
    "simulated",
    "simulation",
    "mock",
    "suppose",
    "my knowledge",
    "i recall",
    "typically",
    "probably",
    "illustrative",
    "dummy",
    "sample data",
    "example data",
];

const CONCLUSIONS: &[&str] =
    &["verified", "confirmed", "accurate", "final answer", "the answer is", "conclude", "conclusion"];

fn contains_phrase(lower: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|phrase| {
        lower.match_indices(phrase).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + phrase.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

fn words(text: &str) -> Vec<String> {
    content_tokens(text)
        .into_iter()
        .filter(|t| t.len() > 2 || t.chars().all(|c| c.is_ascii_digit()))
        .map(|t| fold(&t))
        .collect()
}

/// The text after the last `FINAL ANSWER:` marker of the log (first line), as content tokens.
fn final_answer(texts: &[&str]) -> Vec<String> {
    for text in texts.iter().rev() {
        if let Some(at) = text.rfind("FINAL ANSWER:") {
            let rest = text[at + "FINAL ANSWER:".len()..].lines().next().unwrap_or("");
            return content_tokens(rest);
        }
    }
    Vec::new()
}

/// Whether `needle` occurs in `haystack` as a contiguous run of tokens.
fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

struct Message<'a> {
    step: i64,
    span: usize,
    agent: String,
    text: &'a str,
    role: String,
    tool_calls: Vec<&'a str>,
    environment: bool,
    blamable: bool,
}

/// Prepares a message log: `None` when the trace has no message steps (`rootspan.step`).
pub fn step_log(tree: &SpanTree, diagnosis: Option<&Diagnosis>) -> Option<StepLog> {
    let mut ordered: Vec<(i64, usize)> = tree
        .spans
        .iter()
        .enumerate()
        .filter_map(|(index, span)| span.attr("rootspan.step").and_then(|v| v.as_i64()).map(|step| (step, index)))
        .collect();
    ordered.sort_unstable();
    if ordered.is_empty() {
        return None;
    }
    let messages: Vec<Message> = ordered
        .iter()
        .map(|&(step, span)| {
            let view = &tree.spans[span].gen_ai;
            let agent = view.agent_name.clone().unwrap_or_default();
            let role = tree.spans[span].attr_str("rootspan.message.role").unwrap_or("").to_owned();
            let text = view.output_text.as_deref().unwrap_or("");
            let tool_calls: Vec<&str> =
                view.output_messages.iter().flat_map(|m| &m.tool_calls).map(|call| call.name.as_str()).collect();
            let environment = is_environment(&agent);
            let trimmed = text.trim();
            let blamable = !environment && (!tool_calls.is_empty() || !(trimmed.is_empty() || trimmed == "TERMINATE"));
            Message { step, span, agent, text, role, tool_calls, environment, blamable }
        })
        .collect();
    let speakers: BTreeMap<i64, String> = messages.iter().map(|m| (m.step, m.agent.clone())).collect();

    // Shape.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for message in messages.iter().filter(|m| m.blamable) {
        *counts.entry(&message.agent).or_default() += 1;
    }
    let blamable_total = counts.values().sum::<usize>();
    let top =
        counts.iter().max_by_key(|(agent, n)| (**n, std::cmp::Reverse(**agent))).map(|(a, n)| ((*a).to_owned(), *n));
    let any_write = messages.iter().any(|m| m.tool_calls.iter().any(|name| is_write_action(name)));
    let any_tool_calls = messages.iter().any(|m| !m.tool_calls.is_empty());
    let shape = if any_tool_calls && (any_write || counts.len() <= 1) {
        Shape::ToolUse
    } else if messages[0].environment
        && counts.len() >= 2
        && top.as_ref().is_some_and(|(_, n)| *n as f64 > 0.5 * blamable_total as f64)
    {
        Shape::Orchestrated
    } else {
        Shape::GroupChat
    };
    let orchestrator = if shape == Shape::Orchestrated { top.as_ref().map(|(a, _)| a.as_str()) } else { None };

    let root_cause = diagnosis.and_then(|d| d.root_cause.as_ref()).map(|r| r.span_id.as_str());
    let texts: Vec<&str> = messages.iter().map(|m| m.text).collect();
    let answer = final_answer(&texts);
    let request = tree.root().and_then(|r| r.gen_ai.input_text.as_deref()).unwrap_or("");
    let mut seen: HashSet<String> = words(request).into_iter().collect();
    let last_index = messages.len().saturating_sub(1).max(1) as f64;
    let mut steps = Vec::new();
    let mut first_response_taken = false;
    let mut workers_seen = 0usize;
    let mut answer_seen = false;
    let mut write_seen = false;
    for (position, message) in messages.iter().enumerate() {
        let lower = message.text.to_lowercase();
        let message_words = words(message.text);
        let new_words = message_words.iter().filter(|w| !seen.contains(*w)).collect::<HashSet<_>>().len();
        let mut x = [0.0; STEP_DIMENSIONS];
        if message.blamable {
            if position > 0 && !first_response_taken {
                x[0] = 1.0;
                first_response_taken = true;
            }
            x[1] = f64::from(u8::from(position == 0));
            x[2] = position as f64 / last_index;
            if orchestrator.is_some_and(|o| o != message.agent) {
                x[3] = 1.0;
                workers_seen += 1;
                x[4] = f64::from(u8::from(workers_seen == 1));
                x[5] = f64::from(u8::from(workers_seen == 2));
            }
            let code = message.text.contains("```");
            x[6] = f64::from(u8::from(code));
            if let Some(next) = messages.get(position + 1).filter(|next| next.environment) {
                x[7] = 1.0;
                let head: String = next.text.chars().take(600).collect();
                x[8] = f64::from(u8::from(
                    admits_failure(&head) || head.contains("exitcode: 1") || head.contains("Traceback"),
                ));
            }
            x[9] = f64::from(u8::from(!message.tool_calls.is_empty()));
            if !write_seen && message.tool_calls.iter().any(|name| is_write_action(name)) {
                x[10] = 1.0;
                write_seen = true;
            }
            // Backed: right after environment output other than the opening request.
            let backed = position > 1 && messages[position - 1].environment;
            let novelty = (new_words as f64).ln_1p();
            if backed {
                x[12] = novelty;
            } else {
                x[11] = novelty;
            }
            x[13] = f64::from(u8::from(contains_phrase(&lower, HEDGES)));
            x[14] = f64::from(u8::from(
                !code && !backed && message.tool_calls.is_empty() && contains_phrase(&lower, CONCLUSIONS),
            ));
            if !answer_seen && position > 0 && !message.text.contains("FINAL ANSWER:") {
                let tokens = content_tokens(message.text);
                if contains_run(&tokens, &answer) {
                    x[15] = 1.0;
                    answer_seen = true;
                }
            }
            x[16] = f64::from(u8::from(messages.iter().skip(position + 1).take(2).any(|later| {
                !later.environment && later.agent != message.agent && {
                    let head: String = later.text.chars().take(800).collect();
                    admits_failure(&head) || contains_phrase(&head.to_lowercase(), &["incorrect", "wrong", "mistake"])
                }
            })));
            let span_id = span_id_hex(&tree.spans[message.span].span_id);
            x[17] = f64::from(u8::from(root_cause == Some(span_id.as_str())));
            // The role with the speaker's own name taken out must name another agent.
            let addressed = message.role.replacen(message.agent.as_str(), "", 1);
            x[18] = f64::from(u8::from(
                counts.keys().any(|other| *other != message.agent && !other.is_empty() && addressed.contains(other)),
            ));
            x[19] = (message.text.chars().count() as f64).ln_1p() / 10.0;
            steps.push(StepCandidate {
                step: message.step,
                span: message.span,
                span_id,
                agent: message.agent.clone(),
                features: x,
            });
        }
        seen.extend(message_words);
    }

    // Agents.
    let mut volume: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for message in messages.iter().filter(|m| m.blamable) {
        let entry = volume.entry(&message.agent).or_default();
        entry.0 += message.text.chars().count();
        entry.1 += usize::from(message.text.contains("```"));
    }
    let totals = volume.values().fold((0, 0), |t, v| (t.0 + v.0, t.1 + v.1));
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    let first_worker = orchestrator
        .and_then(|o| messages.iter().skip(1).find(|m| m.blamable && m.agent != o))
        .map(|m| m.agent.as_str());
    let agents = volume
        .iter()
        .map(|(agent, (chars, code))| {
            let mut x = [0.0; AGENT_DIMENSIONS];
            x[0] = share(*chars, totals.0);
            x[1] = share(*code, totals.1);
            x[2] = f64::from(u8::from(first_worker == Some(*agent)));
            AgentCandidate { agent: (*agent).to_owned(), features: x }
        })
        .collect();
    Some(StepLog { shape, steps, agents, speakers })
}
