//! A stored trace as a recording (`rootspan record export`): every LLM call, tool call,
//! retrieval and handoff of the trace becomes one event, in start order. Content the trace did
//! not capture is named per step, with the reason, in the header's `missing` list.
//!
//! One call is one event even when several instrumentations recorded it: an LLM span with an LLM
//! span below it (a framework's model span around the client library's span) yields only the
//! innermost, the one closest to the wire; a tool span inside a tool span yields only the
//! outermost, the one the agent called.

use crate::recording::{Event, EventKind, Header, MissingStep, RecordedError, Recording};
use rootspan_model::{Message, Span, SpanKind, SpanTree, StatusCode, span_id_hex, trace_id_hex};
use serde_json::{Value, json};

/// Attribute keys that carry the provider's response id, by convention.
const RESPONSE_ID_KEYS: &[&str] = &["gen_ai.response.id", "llm.response.id", "openai.response.id"];
/// Attribute keys that carry the model that answered.
const RESPONSE_MODEL_KEYS: &[&str] = &["gen_ai.response.model", "llm.response.model"];

/// JSON text as a value; anything else as a string.
pub fn json_or_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn first_attr(span: &Span, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| span.attr_str(key)).map(str::to_owned)
}

fn has_descendant(tree: &SpanTree, index: usize, kind: SpanKind) -> bool {
    let mut stack: Vec<usize> = tree.children[index].clone();
    while let Some(next) = stack.pop() {
        if tree.spans[next].gen_ai.kind == kind {
            return true;
        }
        stack.extend(tree.children[next].iter().copied());
    }
    false
}

fn has_ancestor(tree: &SpanTree, index: usize, kind: SpanKind) -> bool {
    let mut at = tree.parent[index];
    while let Some(parent) = at {
        if tree.spans[parent].gen_ai.kind == kind {
            return true;
        }
        at = tree.parent[parent];
    }
    false
}

fn recorded_error(span: &Span) -> Option<RecordedError> {
    if span.status.code != StatusCode::Error && span.gen_ai.error_type.is_none() {
        return None;
    }
    let message = span
        .gen_ai
        .error_message
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| (!span.status.message.is_empty()).then(|| span.status.message.clone()))
        .unwrap_or_else(|| "the call failed".to_owned());
    let type_name = span.gen_ai.error_type.clone();
    let lowered = format!("{} {}", type_name.as_deref().unwrap_or(""), message).to_ascii_lowercase();
    let status = ["http.response.status_code", "http.status_code"]
        .iter()
        .find_map(|key| span.attr(key).and_then(|v| v.as_i64()))
        .and_then(|code| u16::try_from(code).ok());
    Some(RecordedError {
        message,
        r#type: type_name,
        status,
        timed_out: lowered.contains("timeout") || lowered.contains("timed out"),
    })
}

/// The request messages of an LLM span: the system instructions first (when recorded apart),
/// then the input messages.
fn request_messages(span: &Span) -> Vec<Message> {
    let mut messages = Vec::new();
    if let Some(system) = span.gen_ai.system_instructions.as_deref().filter(|s| !s.trim().is_empty())
        && !span.gen_ai.input_messages.iter().any(|m| m.role == "system")
    {
        messages.push(Message { role: "system".into(), content: system.to_owned(), ..Message::default() });
    }
    messages.extend(span.gen_ai.input_messages.iter().cloned());
    if messages.is_empty()
        && let Some(text) = span.gen_ai.input_text.as_deref().filter(|t| !t.trim().is_empty())
    {
        messages.push(Message { role: "user".into(), content: text.to_owned(), ..Message::default() });
    }
    messages
}

/// The one assistant message of an LLM response: the output messages merged (text joined, tool
/// calls in order).
fn response_message(span: &Span) -> Option<Message> {
    let outputs = &span.gen_ai.output_messages;
    if outputs.is_empty() {
        let text = span.gen_ai.output_text.as_deref()?;
        return Some(Message { role: "assistant".into(), content: text.to_owned(), ..Message::default() });
    }
    let mut merged = Message { role: "assistant".into(), ..Message::default() };
    for message in outputs {
        if !message.content.is_empty() {
            if !merged.content.is_empty() {
                merged.content.push('\n');
            }
            merged.content.push_str(&message.content);
        }
        merged.tool_calls.extend(message.tool_calls.iter().cloned());
        if merged.finish_reason.is_none() {
            merged.finish_reason.clone_from(&message.finish_reason);
        }
    }
    Some(merged)
}

fn llm_event(span: &Span, step: u64) -> Event {
    let genai = &span.gen_ai;
    let messages = request_messages(span);
    let model = genai.model.clone().unwrap_or_default();
    let mut request = json!({"model": model, "messages": messages});
    if let Some(tools) = genai.tool_definitions.as_deref() {
        request["tools"] = json_or_text(tools);
    }
    let error = recorded_error(span);
    let message = response_message(span);
    let response = message.map(|mut message| {
        let finish_reason =
            message.finish_reason.take().or_else(|| genai.finish_reasons.first().cloned()).unwrap_or_else(|| {
                if message.tool_calls.is_empty() { "stop".to_owned() } else { "tool_calls".to_owned() }
            });
        json!({
            "id": first_attr(span, RESPONSE_ID_KEYS),
            "model": first_attr(span, RESPONSE_MODEL_KEYS).unwrap_or_else(|| model.clone()),
            "message": message,
            "finish_reason": finish_reason,
            "usage": {"input_tokens": genai.input_tokens, "output_tokens": genai.output_tokens},
        })
    });
    let missing = if messages.is_empty() {
        Some("the LLM span carries no input messages (message content was not captured)".to_owned())
    } else if response.is_none() && error.is_none() {
        Some("the LLM span carries no output message (message content was not captured)".to_owned())
    } else {
        None
    };
    Event {
        step,
        kind: EventKind::LlmCall,
        name: if model.is_empty() { span.name.clone() } else { model },
        span_id: Some(span_id_hex(&span.span_id)),
        caused_by: None,
        start_time_unix_nano: span.start_time_unix_nano,
        duration_ns: span.duration_ns(),
        request,
        response: if missing.is_some() { None } else { response },
        error,
        missing,
    }
}

fn tool_event(span: &Span, step: u64, caused_by: Option<u64>) -> Event {
    let genai = &span.gen_ai;
    let name = genai.tool_name.clone().unwrap_or_else(|| span.name.clone());
    let arguments = genai.tool_arguments.as_deref().map(json_or_text);
    let error = recorded_error(span);
    let response = genai.tool_result.as_deref().map(|result| json!({"result": json_or_text(result)}));
    let missing = if arguments.is_none() && genai.tool_result.is_none() && error.is_none() {
        Some("the tool span carries neither arguments nor result (content was not captured)".to_owned())
    } else if response.is_none() && error.is_none() {
        Some("the tool span carries no result (content was not captured)".to_owned())
    } else {
        None
    };
    Event {
        step,
        kind: EventKind::ToolCall,
        name: name.clone(),
        span_id: Some(span_id_hex(&span.span_id)),
        caused_by,
        start_time_unix_nano: span.start_time_unix_nano,
        duration_ns: span.duration_ns(),
        request: json!({"name": name, "arguments": arguments, "call_id": genai.tool_call_id}),
        response: if missing.is_some() { None } else { response },
        error,
        missing,
    }
}

fn retrieval_event(span: &Span, step: u64) -> Event {
    let genai = &span.gen_ai;
    let response =
        genai.output_text.as_deref().or(genai.tool_result.as_deref()).map(|t| json!({"documents": json_or_text(t)}));
    let error = recorded_error(span);
    let missing = (response.is_none() && error.is_none())
        .then(|| "the retrieval span carries no documents (content was not captured)".to_owned());
    Event {
        step,
        kind: EventKind::Retrieval,
        name: span.name.clone(),
        span_id: Some(span_id_hex(&span.span_id)),
        caused_by: None,
        start_time_unix_nano: span.start_time_unix_nano,
        duration_ns: span.duration_ns(),
        request: json!({"query": genai.input_text}),
        response,
        error,
        missing,
    }
}

fn decision_event(span: &Span, step: u64) -> Event {
    Event {
        step,
        kind: EventKind::Decision,
        name: span.name.clone(),
        span_id: Some(span_id_hex(&span.span_id)),
        caused_by: None,
        start_time_unix_nano: span.start_time_unix_nano,
        duration_ns: span.duration_ns(),
        request: json!({"agent": span.gen_ai.agent_name, "input": span.gen_ai.input_text}),
        response: Some(json!({"output": span.gen_ai.output_text})),
        error: recorded_error(span),
        missing: None,
    }
}

/// The recording of a trace. Spans must have their full view derived (as the store's
/// `get_trace` returns them).
pub fn recording_from_trace(tree: &SpanTree) -> Recording {
    let mut header = Header::new();
    if let Some(root) = tree.root() {
        header.trace_id = Some(trace_id_hex(&root.trace_id));
        header.service = Some(root.service_name().to_owned());
        header.start_time_unix_nano = root.start_time_unix_nano;
        header.input = root.gen_ai.input_text.clone();
        header.output = root.gen_ai.output_text.clone();
    }
    let mut order: Vec<usize> = (0..tree.spans.len()).collect();
    order.sort_by_key(|&i| (tree.spans[i].start_time_unix_nano, tree.depth[i]));
    let mut events = Vec::new();
    let mut last_llm: Option<u64> = None;
    for index in order {
        let span = &tree.spans[index];
        let step = events.len() as u64 + 1;
        let event = match span.gen_ai.kind {
            SpanKind::Llm if !has_descendant(tree, index, SpanKind::Llm) => {
                last_llm = Some(step);
                llm_event(span, step)
            }
            SpanKind::Tool if !has_ancestor(tree, index, SpanKind::Tool) => tool_event(span, step, last_llm),
            SpanKind::Retrieval if !has_ancestor(tree, index, SpanKind::Retrieval) => retrieval_event(span, step),
            SpanKind::Handoff => decision_event(span, step),
            _ => continue,
        };
        if let Some(reason) = &event.missing {
            header.missing.push(MissingStep {
                step,
                kind: event.kind,
                span_id: event.span_id.clone(),
                name: event.name.clone(),
                reason: reason.clone(),
            });
        }
        events.push(event);
    }
    // The user's request and the final answer, from the model calls when the root lacks them.
    if header.input.is_none() {
        header.input = events.iter().find(|e| e.kind == EventKind::LlmCall).and_then(|e| last_user_text(&e.request));
    }
    if header.output.is_none() {
        header.output = events
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::LlmCall)
            .and_then(|e| e.response.as_ref())
            .and_then(|r| r["message"]["content"].as_str())
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
    }
    Recording { header, events }
}

fn last_user_text(request: &Value) -> Option<String> {
    request["messages"]
        .as_array()?
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .map(str::to_owned)
}
