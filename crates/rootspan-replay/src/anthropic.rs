//! The Anthropic Messages wire format (`/v1/messages`, plain and streamed): parsed into the
//! neutral request and built from a recorded event.

use crate::compare::{LlmRequest, tool_names};
use crate::openai::{Answer, content_text, pieces};
use rootspan_model::{Message, ToolCall};
use serde_json::{Value, json};

/// A Messages request in neutral form: `system` first, `tool_use` blocks as assistant tool
/// calls, `tool_result` blocks as tool messages.
pub fn parse_messages(body: &Value) -> LlmRequest {
    let mut messages = Vec::new();
    let system = content_text(&body["system"]);
    if !system.is_empty() {
        messages.push(Message { role: "system".into(), content: system, ..Message::default() });
    }
    for message in body["messages"].as_array().into_iter().flatten() {
        let role = message["role"].as_str().unwrap_or("user").to_owned();
        let Value::Array(blocks) = &message["content"] else {
            messages.push(Message { role, content: content_text(&message["content"]), ..Message::default() });
            continue;
        };
        let mut text = String::new();
        let mut calls = Vec::new();
        for block in blocks {
            match block["type"].as_str().unwrap_or("") {
                "text" => text.push_str(block["text"].as_str().unwrap_or("")),
                "tool_use" => calls.push(ToolCall {
                    id: block["id"].as_str().map(str::to_owned),
                    name: block["name"].as_str().unwrap_or("").to_owned(),
                    arguments: block["input"].to_string(),
                }),
                "tool_result" => messages.push(Message {
                    role: "tool".into(),
                    content: content_text(&block["content"]),
                    tool_call_id: block["tool_use_id"].as_str().map(str::to_owned),
                    ..Message::default()
                }),
                _ => {}
            }
        }
        if !text.is_empty() || !calls.is_empty() {
            messages.push(Message { role, content: text, tool_calls: calls, ..Message::default() });
        }
    }
    LlmRequest {
        model: body["model"].as_str().unwrap_or("").to_owned(),
        messages,
        tools: tool_names(&body["tools"]),
        stream: body["stream"].as_bool().unwrap_or(false),
    }
}

fn stop_reason(finish_reason: &str) -> &'static str {
    match finish_reason {
        "tool_calls" | "tool_use" | "function_call" => "tool_use",
        "length" | "max_tokens" => "max_tokens",
        "stop_sequence" => "stop_sequence",
        _ => "end_turn",
    }
}

fn blocks(answer: &Answer) -> Vec<Value> {
    let mut content = Vec::new();
    if !answer.message.content.is_empty() {
        content.push(json!({"type": "text", "text": answer.message.content}));
    }
    for call in &answer.message.tool_calls {
        let input: Value = serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
        content.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    content
}

/// A `message` object.
pub fn message_object(answer: &Answer) -> Value {
    json!({
        "id": answer.id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": blocks(answer),
        "stop_reason": stop_reason(&answer.finish_reason),
        "stop_sequence": null,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    })
}

/// The (event name, data) pairs of a streamed answer.
pub fn stream_events(answer: &Answer) -> Vec<(&'static str, Value)> {
    let mut start = message_object(answer);
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["usage"]["output_tokens"] = json!(0);
    let mut events = vec![("message_start", json!({"type": "message_start", "message": start}))];
    for (index, block) in blocks(answer).into_iter().enumerate() {
        let (opening, deltas): (Value, Vec<Value>) = if block["type"] == "text" {
            let text = block["text"].as_str().unwrap_or("");
            (
                json!({"type": "text", "text": ""}),
                pieces(text).into_iter().map(|p| json!({"type": "text_delta", "text": p})).collect(),
            )
        } else {
            let input = block["input"].to_string();
            (
                json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                pieces(&input).into_iter().map(|p| json!({"type": "input_json_delta", "partial_json": p})).collect(),
            )
        };
        events.push((
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": opening}),
        ));
        for delta in deltas {
            events
                .push(("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": delta})));
        }
        events.push(("content_block_stop", json!({"type": "content_block_stop", "index": index})));
    }
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(&answer.finish_reason), "stop_sequence": null},
            "usage": {"output_tokens": answer.output_tokens},
        }),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    events
}
