//! The OpenAI wire formats: Chat Completions (`/v1/chat/completions`, plain and streamed, with
//! tool calls) and Responses (`/v1/responses`), parsed into the neutral request and built from a
//! recorded event. Ids and timestamps come from the recording (virtualised where it has none).

use crate::compare::{LlmRequest, tool_names};
use crate::recording::Event;
use rootspan_model::{Message, ToolCall};
use serde_json::{Value, json};

/// Text of OpenAI message content: a string, or the text of its parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => {
            parts.iter().filter_map(|part| part.as_str().or_else(|| part["text"].as_str())).collect::<Vec<_>>().join("")
        }
        _ => String::new(),
    }
}

fn arguments_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A Chat Completions request in neutral form.
pub fn parse_chat(body: &Value) -> LlmRequest {
    let messages = body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| Message {
                    role: m["role"].as_str().unwrap_or("").to_owned(),
                    content: content_text(&m["content"]),
                    tool_calls: m["tool_calls"]
                        .as_array()
                        .map(|calls| {
                            calls
                                .iter()
                                .map(|c| ToolCall {
                                    id: c["id"].as_str().map(str::to_owned),
                                    name: c["function"]["name"].as_str().unwrap_or("").to_owned(),
                                    arguments: arguments_text(&c["function"]["arguments"]),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    tool_call_id: m["tool_call_id"].as_str().map(str::to_owned),
                    name: m["name"].as_str().map(str::to_owned),
                    finish_reason: None,
                })
                .collect()
        })
        .unwrap_or_default();
    LlmRequest {
        model: body["model"].as_str().unwrap_or("").to_owned(),
        messages,
        tools: tool_names(&body["tools"]),
        stream: body["stream"].as_bool().unwrap_or(false),
    }
}

/// A Responses request in neutral form: `instructions` as the system message, input items as
/// messages, function calls and their outputs as assistant tool calls and tool messages.
pub fn parse_responses(body: &Value) -> LlmRequest {
    let mut messages: Vec<Message> = Vec::new();
    if let Some(instructions) = body["instructions"].as_str().filter(|s| !s.is_empty()) {
        messages.push(Message { role: "system".into(), content: instructions.to_owned(), ..Message::default() });
    }
    match &body["input"] {
        Value::String(text) => {
            messages.push(Message { role: "user".into(), content: text.clone(), ..Message::default() })
        }
        Value::Array(items) => {
            for item in items {
                match item["type"].as_str().unwrap_or("message") {
                    "function_call" => {
                        let call = ToolCall {
                            id: item["call_id"].as_str().map(str::to_owned),
                            name: item["name"].as_str().unwrap_or("").to_owned(),
                            arguments: arguments_text(&item["arguments"]),
                        };
                        match messages.last_mut() {
                            Some(last) if last.role == "assistant" => last.tool_calls.push(call),
                            _ => messages.push(Message {
                                role: "assistant".into(),
                                tool_calls: vec![call],
                                ..Message::default()
                            }),
                        }
                    }
                    "function_call_output" => messages.push(Message {
                        role: "tool".into(),
                        content: content_text(&item["output"]),
                        tool_call_id: item["call_id"].as_str().map(str::to_owned),
                        ..Message::default()
                    }),
                    _ => messages.push(Message {
                        role: item["role"].as_str().unwrap_or("user").to_owned(),
                        content: content_text(&item["content"]),
                        ..Message::default()
                    }),
                }
            }
        }
        _ => {}
    }
    LlmRequest {
        model: body["model"].as_str().unwrap_or("").to_owned(),
        messages,
        tools: tool_names(&body["tools"]),
        stream: body["stream"].as_bool().unwrap_or(false),
    }
}

/// The recorded assistant message, finish reason and usage of an LLM event.
pub struct Answer {
    pub id: String,
    pub model: String,
    pub created: u64,
    pub message: Message,
    pub finish_reason: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Answer {
    /// The answer recorded in an event, with virtual ids and times where the recording has none.
    pub fn of(event: &Event, prefix: &str) -> Answer {
        let response = event.response.clone().unwrap_or(Value::Null);
        let mut message: Message = serde_json::from_value(response["message"].clone()).unwrap_or_default();
        message.role = "assistant".into();
        for (index, call) in message.tool_calls.iter_mut().enumerate() {
            if call.id.as_deref().is_none_or(str::is_empty) {
                call.id = Some(format!("call_{}_{index}", event.step));
            }
        }
        let finish_reason = openai_finish_reason(response["finish_reason"].as_str(), !message.tool_calls.is_empty());
        Answer {
            id: response["id"].as_str().map(str::to_owned).unwrap_or_else(|| format!("{prefix}{}", event.step)),
            model: response["model"].as_str().unwrap_or(&event.name).to_owned(),
            created: (event.start_time_unix_nano + event.duration_ns) / 1_000_000_000,
            message,
            finish_reason,
            input_tokens: response["usage"]["input_tokens"].as_u64().unwrap_or(0),
            output_tokens: response["usage"]["output_tokens"].as_u64().unwrap_or(0),
        }
    }

    fn openai_tool_calls(&self) -> Value {
        Value::Array(
            self.message
                .tool_calls
                .iter()
                .map(
                    |c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}),
                )
                .collect(),
        )
    }

    fn usage(&self) -> Value {
        json!({
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
        })
    }

    /// A `chat.completion` object.
    pub fn chat_completion(&self) -> Value {
        let mut message = json!({"role": "assistant", "content": self.message.content, "refusal": null});
        if !self.message.tool_calls.is_empty() {
            message["tool_calls"] = self.openai_tool_calls();
            if self.message.content.is_empty() {
                message["content"] = Value::Null;
            }
        }
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": self.finish_reason}],
            "usage": self.usage(),
        })
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        })
    }

    /// The `chat.completion.chunk` objects of a streamed answer (the caller frames them as SSE
    /// and ends with `[DONE]`). Text comes in pieces of a few words; each tool call starts with
    /// its id and name, then its arguments.
    pub fn chat_chunks(&self, include_usage: bool) -> Vec<Value> {
        let mut chunks = vec![self.chunk(json!({"role": "assistant", "content": ""}), None)];
        for piece in pieces(&self.message.content) {
            chunks.push(self.chunk(json!({"content": piece}), None));
        }
        for (index, call) in self.message.tool_calls.iter().enumerate() {
            chunks.push(self.chunk(
                json!({"tool_calls": [{"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}]}),
                None,
            ));
            for piece in pieces(&call.arguments) {
                chunks.push(
                    self.chunk(json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), None),
                );
            }
        }
        chunks.push(self.chunk(json!({}), Some(&self.finish_reason)));
        if include_usage {
            let mut last = self.chunk(json!({}), None);
            last["choices"] = json!([]);
            last["usage"] = self.usage();
            chunks.push(last);
        }
        chunks
    }

    /// A Responses API `response` object.
    pub fn response_object(&self) -> Value {
        let mut output = Vec::new();
        if !self.message.content.is_empty() {
            output.push(json!({
                "type": "message",
                "id": format!("msg_{}", self.id),
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": self.message.content, "annotations": []}],
            }));
        }
        for (index, call) in self.message.tool_calls.iter().enumerate() {
            output.push(json!({
                "type": "function_call",
                "id": format!("fc_{}_{index}", self.id),
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "status": "completed",
            }));
        }
        json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": "completed",
            "model": self.model,
            "output": output,
            "parallel_tool_calls": true,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "total_tokens": self.input_tokens + self.output_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        })
    }
}

/// An OpenAI `finish_reason` for a recorded one, which may use the GenAI conventions' or
/// Anthropic's names (`tool_call`, `tool_use`, `end_turn`, `max_tokens`).
pub fn openai_finish_reason(recorded: Option<&str>, has_tool_calls: bool) -> String {
    match recorded {
        Some("tool_call" | "tool_calls" | "tool_use" | "function_call") => "tool_calls".into(),
        Some("length" | "max_tokens") => "length".into(),
        Some("content_filter") => "content_filter".into(),
        Some("stop" | "end_turn" | "stop_sequence") => "stop".into(),
        _ if has_tool_calls => "tool_calls".into(),
        _ => "stop".into(),
    }
}

impl Answer {
    /// The events of a streamed Responses answer (`response.created` ... `response.completed`),
    /// each with its `sequence_number`; the caller frames them as SSE with their `type` as the
    /// event name.
    pub fn response_events(&self) -> Vec<Value> {
        let complete = self.response_object();
        let mut started = complete.clone();
        started["status"] = json!("in_progress");
        started["output"] = json!([]);
        let mut events = vec![
            json!({"type": "response.created", "response": started}),
            json!({"type": "response.in_progress", "response": started}),
        ];
        for (output_index, item) in complete["output"].as_array().cloned().unwrap_or_default().into_iter().enumerate() {
            let item_id = item["id"].clone();
            if item["type"] == "message" {
                let text = item["content"][0]["text"].as_str().unwrap_or("").to_owned();
                let mut opening = item.clone();
                opening["status"] = json!("in_progress");
                opening["content"] = json!([]);
                events
                    .push(json!({"type": "response.output_item.added", "output_index": output_index, "item": opening}));
                events.push(
                    json!({"type": "response.content_part.added", "item_id": item_id, "output_index": output_index,
                                   "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
                );
                for piece in pieces(&text) {
                    events.push(
                        json!({"type": "response.output_text.delta", "item_id": item_id, "output_index": output_index,
                                       "content_index": 0, "delta": piece, "logprobs": []}),
                    );
                }
                events.push(
                    json!({"type": "response.output_text.done", "item_id": item_id, "output_index": output_index,
                                   "content_index": 0, "text": text, "logprobs": []}),
                );
                events.push(json!({"type": "response.content_part.done", "item_id": item_id, "output_index": output_index,
                                   "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}));
            } else {
                let arguments = item["arguments"].as_str().unwrap_or("").to_owned();
                let mut opening = item.clone();
                opening["status"] = json!("in_progress");
                opening["arguments"] = json!("");
                events
                    .push(json!({"type": "response.output_item.added", "output_index": output_index, "item": opening}));
                for piece in pieces(&arguments) {
                    events.push(json!({"type": "response.function_call_arguments.delta", "item_id": item_id,
                                       "output_index": output_index, "delta": piece}));
                }
                events.push(json!({"type": "response.function_call_arguments.done", "item_id": item_id,
                                   "output_index": output_index, "arguments": arguments}));
            }
            events.push(json!({"type": "response.output_item.done", "output_index": output_index, "item": item}));
        }
        events.push(json!({"type": "response.completed", "response": complete}));
        for (sequence, event) in events.iter_mut().enumerate() {
            event["sequence_number"] = json!(sequence);
        }
        events
    }
}

/// A text in pieces of about four words (at least one piece when not empty).
pub fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for piece in text.split_inclusive(' ') {
        current.push_str(piece);
        words += 1;
        if words == 4 {
            out.push(std::mem::take(&mut current));
            words = 0;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
