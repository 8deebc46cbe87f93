//! One recorded LLM step in isolation (`rootspan replay step`): the same prompt and tool
//! results, optionally with overrides, as an OpenAI Chat Completions request for a configured
//! endpoint, and the old and new answers side by side.

use crate::compare::{self, canonical_arguments};
use crate::openai::{Answer, parse_chat};
use crate::recording::{Event, EventKind, Recording};
use rootspan_model::Message;
use serde::Serialize;
use serde_json::{Value, json};

/// Changes to the recorded request, to test a fix hypothesis.
#[derive(Debug, Clone, Default)]
pub struct StepOverrides {
    /// Replaces the system message (or adds one).
    pub system: Option<String>,
    /// Appended to the system message.
    pub append_system: Option<String>,
    /// Replaces the model.
    pub model: Option<String>,
    /// Replaces the text of message N (0-based).
    pub messages: Vec<(usize, String)>,
    pub temperature: Option<f64>,
}

/// Why a step cannot be re-run.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("step {0} is not in the recording (its steps are 1 to {1})")]
    NoSuchStep(u64, u64),
    #[error("step {step} is a {kind} step; only llm_call steps can be re-run")]
    NotAnLlmStep { step: u64, kind: EventKind },
    #[error("step {0} cannot be re-run: {1}")]
    NotCaptured(u64, String),
    #[error("override of message {0}: the recorded request has {1} messages")]
    NoSuchMessage(usize, usize),
}

fn openai_messages(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .map(|m| {
            let mut out = json!({"role": m.role, "content": m.content});
            if !m.tool_calls.is_empty() {
                out["tool_calls"] = m
                    .tool_calls
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        json!({"id": c.id.clone().unwrap_or_else(|| format!("call_{i}")), "type": "function",
                                         "function": {"name": c.name, "arguments": c.arguments}})
                    })
                    .collect();
            }
            if let Some(id) = &m.tool_call_id {
                out["tool_call_id"] = json!(id);
            }
            out
        })
        .collect()
}

fn openai_tools(tools: &Value) -> Option<Value> {
    let tools = match tools {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    let items = tools.as_array()?;
    let converted: Vec<Value> = items
        .iter()
        .filter_map(|tool| {
            if tool["function"].is_object() {
                return Some(json!({"type": "function", "function": tool["function"]}));
            }
            let name = tool["name"].as_str()?;
            let parameters = tool.get("parameters").or_else(|| tool.get("input_schema")).cloned().unwrap_or(json!({"type": "object"}));
            Some(json!({"type": "function", "function": {"name": name, "description": tool["description"], "parameters": parameters}}))
        })
        .collect();
    (!converted.is_empty()).then_some(Value::Array(converted))
}

/// The recorded LLM step of a recording.
pub fn llm_step(recording: &Recording, step: u64) -> Result<&Event, StepError> {
    let last = recording.events.last().map_or(0, |e| e.step);
    let event = recording.event(step).ok_or(StepError::NoSuchStep(step, last))?;
    if event.kind != EventKind::LlmCall {
        return Err(StepError::NotAnLlmStep { step, kind: event.kind });
    }
    if let Some(reason) = &event.missing {
        return Err(StepError::NotCaptured(step, reason.clone()));
    }
    Ok(event)
}

/// The Chat Completions request that re-runs a step, with the overrides applied.
pub fn step_request(event: &Event, overrides: &StepOverrides) -> Result<Value, StepError> {
    let recorded = compare::recorded_llm_request(&event.request);
    let mut messages = recorded.messages;
    for (index, text) in &overrides.messages {
        let count = messages.len();
        messages.get_mut(*index).ok_or(StepError::NoSuchMessage(*index, count))?.content.clone_from(text);
    }
    let system_at = messages.iter().position(|m| m.role == "system");
    if let Some(system) = &overrides.system {
        match system_at {
            Some(i) => messages[i].content.clone_from(system),
            None => {
                messages.insert(0, Message { role: "system".into(), content: system.clone(), ..Message::default() })
            }
        }
    }
    if let Some(extra) = &overrides.append_system {
        match messages.iter().position(|m| m.role == "system") {
            Some(i) => {
                messages[i].content.push('\n');
                messages[i].content.push_str(extra);
            }
            None => messages.insert(0, Message { role: "system".into(), content: extra.clone(), ..Message::default() }),
        }
    }
    let model = overrides.model.clone().unwrap_or(recorded.model);
    let mut request = json!({"model": model, "messages": openai_messages(&messages)});
    if let Some(tools) = openai_tools(&event.request["tools"]) {
        request["tools"] = tools;
    }
    if let Some(temperature) = overrides.temperature {
        request["temperature"] = json!(temperature);
    }
    Ok(request)
}

/// The old and the new answer of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepComparison {
    pub step: u64,
    pub model: String,
    pub old: Message,
    pub new: Message,
    /// Same text (whitespace collapsed) and same tool calls with the same arguments.
    pub same: bool,
    pub same_tool_calls: bool,
    /// Share of the text that differs (0 equal, 1 entirely different).
    pub text_difference: f64,
}

/// Compares the recorded answer of a step with a new Chat Completions answer.
pub fn compare_answers(event: &Event, model: &str, new_completion: &Value) -> StepComparison {
    let old = Answer::of(event, "").message;
    let message = &new_completion["choices"][0]["message"];
    let parsed = parse_chat(&json!({"messages": [message]}));
    let mut new = parsed.messages.into_iter().next().unwrap_or_default();
    new.role = "assistant".into();
    let calls = |m: &Message| -> Vec<(String, String)> {
        m.tool_calls.iter().map(|c| (c.name.clone(), canonical_arguments(&c.arguments))).collect()
    };
    let collapse = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let text_difference = compare::difference_share(&collapse(&old.content), &collapse(&new.content));
    let same_tool_calls = calls(&old) == calls(&new);
    StepComparison {
        step: event.step,
        model: model.to_owned(),
        same: same_tool_calls && text_difference == 0.0,
        same_tool_calls,
        text_difference,
        old,
        new,
    }
}
