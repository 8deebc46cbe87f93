//! Convention normalisation: fills [`GenAi`] from the raw attributes, events and logs of a span.
//!
//! Order of preference for each field: OTel GenAI current names, OTel GenAI legacy names,
//! OpenInference, OpenLLMetry/traceloop, pydantic-ai/Logfire extras. Pure and total: any input,
//! however malformed (bad JSON in message attributes, wrong value types), yields a view without
//! panicking; what cannot be read is left empty.

use crate::genai::{Component, GenAi, Message, SpanKind, ToolCall};
use crate::keys::*;
use crate::pricing::PriceTable;
use crate::span::{Span, StatusCode};
use crate::value::AnyValue;
use serde_json::Value;

/// How much to derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Depth {
    /// Only what storage columns need: kind, model, tokens, cost, tool, agent, session, error.
    Columns,
    /// Everything, messages included.
    Full,
}

/// Fills `span.gen_ai` fully, pricing with the active table ([`PriceTable::active`]).
pub fn normalize(span: &mut Span) {
    normalize_with(span, Depth::Full, PriceTable::active());
}

/// Fills `span.gen_ai` to the given depth, pricing with `prices`.
pub fn normalize_with(span: &mut Span, depth: Depth, prices: &PriceTable) {
    let mut view = GenAi {
        operation: first_str(span, &[GEN_AI_OPERATION_NAME, "llm.request.type"]).map(str::to_owned),
        ..GenAi::default()
    };
    view.kind = classify(span, view.operation.as_deref());
    view.model = first_str(
        span,
        &[GEN_AI_RESPONSE_MODEL, GEN_AI_REQUEST_MODEL, LLM_MODEL_NAME, "llm.response.model", "llm.request.model"],
    )
    .or_else(|| {
        if view.kind == SpanKind::Llm || view.kind == SpanKind::Agent { span.attr_str("model_name") } else { None }
    })
    .map(str::to_owned);
    view.provider =
        first_str(span, &[GEN_AI_PROVIDER_NAME, GEN_AI_SYSTEM, LLM_PROVIDER, LLM_SYSTEM]).map(str::to_owned);
    view.input_tokens = first_u64(
        span,
        &[GEN_AI_USAGE_INPUT_TOKENS, GEN_AI_USAGE_PROMPT_TOKENS, LLM_TOKEN_COUNT_PROMPT, "llm.usage.prompt_tokens"],
    );
    view.output_tokens = first_u64(
        span,
        &[
            GEN_AI_USAGE_OUTPUT_TOKENS,
            GEN_AI_USAGE_COMPLETION_TOKENS,
            LLM_TOKEN_COUNT_COMPLETION,
            "llm.usage.completion_tokens",
        ],
    );
    view.cached_input_tokens = first_u64(
        span,
        &[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, LLM_TOKEN_COUNT_CACHE_READ, "gen_ai.usage.cache_read_input_tokens"],
    );
    view.tool_name = first_str(span, &[GEN_AI_TOOL_NAME, TOOL_NAME])
        .map(str::to_owned)
        .or_else(|| (view.kind == SpanKind::Tool).then(|| tool_name_from_span_name(&span.name)));
    view.tool_call_id = first_str(span, &[GEN_AI_TOOL_CALL_ID, TOOL_CALL_ID]).map(str::to_owned);
    view.agent_name = first_str(span, &[GEN_AI_AGENT_NAME, AGENT_NAME, AGENT_NAME_LOGFIRE])
        .map(str::to_owned)
        .or_else(|| (view.kind == SpanKind::Agent).then(|| agent_name_from_span_name(&span.name)));
    view.agent_id = first_str(span, &[GEN_AI_AGENT_ID, "gen_ai.agent.call.id"]).map(str::to_owned);
    view.session_id = first_str(
        span,
        &[
            SESSION_ID,
            GEN_AI_CONVERSATION_ID,
            "traceloop.association.properties.session_id",
            "langfuse.session.id",
            "session_id",
        ],
    )
    .map(str::to_owned);
    view.user_id = first_str(
        span,
        &[USER_ID, "enduser.id", "gen_ai.user.id", "traceloop.association.properties.user_id", "langfuse.user.id"],
    )
    .map(str::to_owned);
    fill_error(span, &mut view);
    view.cost_usd = first_f64(span, &[OPERATION_COST, "gen_ai.usage.cost", "llm.cost.total", "gen_ai.cost.total"])
        .or_else(|| match (&view.model, view.input_tokens, view.output_tokens) {
            (Some(model), input, output) if input.is_some() || output.is_some() => {
                prices.cost(model, input.unwrap_or(0), output.unwrap_or(0), view.cached_input_tokens.unwrap_or(0))
            }
            _ => None,
        });
    if depth == Depth::Full {
        fill_io(span, &mut view);
    }
    view.derived = Some(depth);
    span.gen_ai = view;
}

fn classify(span: &Span, operation: Option<&str>) -> SpanKind {
    if let Some(kind) = span.attr_str(OPENINFERENCE_SPAN_KIND) {
        match kind.to_ascii_uppercase().as_str() {
            "LLM" => return SpanKind::Llm,
            "TOOL" => return SpanKind::Tool,
            "AGENT" => return SpanKind::Agent,
            "CHAIN" => return SpanKind::Workflow,
            "RETRIEVER" | "RERANKER" => return SpanKind::Retrieval,
            "EMBEDDING" => return SpanKind::Embedding,
            "GUARDRAIL" | "EVALUATOR" => return SpanKind::Guardrail,
            _ => {}
        }
    }
    if let Some(operation) = operation {
        match operation {
            "chat" | "text_completion" | "generate_content" | "completion" | "generate" => return SpanKind::Llm,
            "embeddings" | "embedding" => return SpanKind::Embedding,
            "execute_tool" => return SpanKind::Tool,
            "invoke_agent" | "create_agent" => return SpanKind::Agent,
            "invoke_workflow" => return SpanKind::Workflow,
            "retrieve" | "retrieval" => return SpanKind::Retrieval,
            "handoff" => return SpanKind::Handoff,
            _ => {}
        }
    }
    if let Some(kind) = span.attr_str(TRACELOOP_SPAN_KIND) {
        match kind {
            "workflow" | "task" => return SpanKind::Workflow,
            "agent" => return SpanKind::Agent,
            "tool" => return SpanKind::Tool,
            _ => {}
        }
    }
    let lower = span.name.to_ascii_lowercase();
    if lower.contains("handoff") || lower.starts_with("transfer_to_") {
        return SpanKind::Handoff;
    }
    if lower.contains("guardrail") {
        return SpanKind::Guardrail;
    }
    if span.attr(GEN_AI_SYSTEM).is_some()
        && (span.attr(GEN_AI_REQUEST_MODEL).is_some() || span.attr(GEN_AI_USAGE_PROMPT_TOKENS).is_some())
    {
        return SpanKind::Llm;
    }
    SpanKind::Other
}

fn tool_name_from_span_name(name: &str) -> String {
    name.strip_prefix("execute_tool ").unwrap_or(name).to_owned()
}

fn agent_name_from_span_name(name: &str) -> String {
    name.strip_prefix("invoke_agent ").or_else(|| name.strip_suffix(" run")).unwrap_or(name).to_owned()
}

fn first_str<'a>(span: &'a Span, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| span.attr_str(key)).filter(|text| !text.is_empty())
}

fn first_u64(span: &Span, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|key| span.attr(key).and_then(AnyValue::as_i64)).map(|n| n.max(0) as u64)
}

fn first_f64(span: &Span, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| span.attr(key).and_then(AnyValue::as_f64)).filter(|n| n.is_finite())
}

fn fill_error(span: &Span, view: &mut GenAi) {
    let exception = span.events.iter().find(|event| event.name == "exception");
    let exception_attr =
        |key: &str| exception.and_then(|event| crate::value::find(&event.attributes, key)).and_then(AnyValue::as_str);
    view.error_type = span.attr_str(ERROR_TYPE).or_else(|| exception_attr(EXCEPTION_TYPE)).map(str::to_owned);
    if span.status.code == StatusCode::Error || exception.is_some() {
        let message = if span.status.message.is_empty() {
            exception_attr(EXCEPTION_MESSAGE).map(str::to_owned)
        } else {
            Some(span.status.message.clone())
        };
        view.error_message = message.or_else(|| view.error_type.clone());
    }
}

fn fill_io(span: &Span, view: &mut GenAi) {
    view.tool_arguments = first_str(span, &[GEN_AI_TOOL_CALL_ARGUMENTS]).map(str::to_owned);
    view.tool_result = first_str(span, &[GEN_AI_TOOL_CALL_RESULT]).map(str::to_owned);
    view.tool_definitions = first_str(span, &[GEN_AI_TOOL_DEFINITIONS, TOOL_PARAMETERS]).map(str::to_owned);
    view.system_instructions = span
        .attr_str(GEN_AI_SYSTEM_INSTRUCTIONS)
        .map(|text| parts_text_from_json(text).unwrap_or_else(|| text.to_owned()));
    view.input_text = first_str(span, &[INPUT_VALUE, TRACELOOP_ENTITY_INPUT]).map(str::to_owned);
    view.output_text = first_str(span, &[OUTPUT_VALUE, TRACELOOP_ENTITY_OUTPUT, FINAL_RESULT]).map(str::to_owned);
    if view.kind == SpanKind::Tool {
        if view.tool_arguments.is_none() {
            view.tool_arguments = view.input_text.clone();
        }
        if view.tool_result.is_none() {
            view.tool_result = view.output_text.clone();
        }
    }
    if let Some(text) = span.attr_str(GEN_AI_INPUT_MESSAGES) {
        view.input_messages = messages_from_json(text);
    } else if has_prefix(span, LLM_INPUT_MESSAGES_PREFIX) {
        view.input_messages = flattened_messages(span, LLM_INPUT_MESSAGES_PREFIX);
    } else if has_prefix(span, GEN_AI_PROMPT_PREFIX) {
        view.input_messages = flattened_messages(span, GEN_AI_PROMPT_PREFIX);
    } else if let Some(text) = span.attr_str(PYDANTIC_AI_ALL_MESSAGES) {
        view.input_messages = messages_from_json(text);
    }
    if let Some(text) = span.attr_str(GEN_AI_OUTPUT_MESSAGES) {
        view.output_messages = messages_from_json(text);
    } else if has_prefix(span, LLM_OUTPUT_MESSAGES_PREFIX) {
        view.output_messages = flattened_messages(span, LLM_OUTPUT_MESSAGES_PREFIX);
    } else if has_prefix(span, GEN_AI_COMPLETION_PREFIX) {
        view.output_messages = flattened_messages(span, GEN_AI_COMPLETION_PREFIX);
    }
    messages_from_events(span, view);
    if let Some(AnyValue::Array(reasons)) = span.attr(GEN_AI_RESPONSE_FINISH_REASONS) {
        view.finish_reasons = reasons.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect();
    } else if let Some(reason) = span.attr_str("llm.finish_reason") {
        view.finish_reasons = vec![reason.to_owned()];
    }
    fill_components(span, view);
}

fn has_prefix(span: &Span, prefix: &str) -> bool {
    span.attributes.iter().any(|kv| kv.key.starts_with(prefix))
}

/// Text of a JSON array of parts (`[{"type":"text","content":"..."}]`).
fn parts_text_from_json(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let parts = value.as_array()?;
    Some(parts.iter().filter_map(|part| part.get("content").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"))
}

fn json_to_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Parses GenAI JSON messages: `[{"role", "parts": [...]}]`, and the OpenAI shape `[{"role", "content", "tool_calls"}]`.
pub fn messages_from_json(text: &str) -> Vec<Message> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    items.iter().filter_map(message_from_json).collect()
}

fn message_from_json(item: &Value) -> Option<Message> {
    let object = item.as_object()?;
    let mut message = Message {
        role: object.get("role").and_then(Value::as_str).unwrap_or("").to_owned(),
        finish_reason: object.get("finish_reason").and_then(Value::as_str).map(str::to_owned),
        name: object.get("name").and_then(Value::as_str).map(str::to_owned),
        tool_call_id: object.get("tool_call_id").and_then(Value::as_str).map(str::to_owned),
        ..Message::default()
    };
    let mut texts = Vec::new();
    if let Some(parts) = object.get("parts").and_then(Value::as_array) {
        for part in parts {
            let kind = part.get("type").and_then(Value::as_str).unwrap_or("text");
            match kind {
                "tool_call" => message.tool_calls.push(ToolCall {
                    id: part.get("id").and_then(Value::as_str).map(str::to_owned),
                    name: part.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                    arguments: part.get("arguments").map(json_to_text).unwrap_or_default(),
                }),
                "tool_call_response" => {
                    if message.tool_call_id.is_none() {
                        message.tool_call_id = part.get("id").and_then(Value::as_str).map(str::to_owned);
                    }
                    if let Some(name) = part.get("name").and_then(Value::as_str) {
                        message.name.get_or_insert_with(|| name.to_owned());
                    }
                    let response = part.get("response").or_else(|| part.get("result")).or_else(|| part.get("content"));
                    texts.push(response.map(json_to_text).unwrap_or_default());
                }
                _ => {
                    if let Some(content) = part.get("content").or_else(|| part.get("text")) {
                        texts.push(json_to_text(content));
                    }
                }
            }
        }
    }
    match object.get("content") {
        Some(Value::String(text)) => texts.push(text.clone()),
        Some(Value::Array(parts)) => {
            for part in parts {
                if let Some(text) = part.get("text").or_else(|| part.get("content")) {
                    texts.push(json_to_text(text));
                }
            }
        }
        _ => {}
    }
    if let Some(calls) = object.get("tool_calls").and_then(Value::as_array) {
        for call in calls {
            let function = call.get("function").unwrap_or(call);
            message.tool_calls.push(ToolCall {
                id: call.get("id").and_then(Value::as_str).map(str::to_owned),
                name: function.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                arguments: function.get("arguments").map(json_to_text).unwrap_or_default(),
            });
        }
    }
    message.content = texts.join("\n");
    Some(message)
}

/// Reads flattened messages: `<prefix>{i}.message.role` (OpenInference) or `<prefix>{i}.role` (traceloop).
fn flattened_messages(span: &Span, prefix: &str) -> Vec<Message> {
    let mut messages: Vec<(usize, Message)> = Vec::new();
    for kv in &span.attributes {
        let Some(rest) = kv.key.strip_prefix(prefix) else { continue };
        let Some((index, field)) = rest.split_once('.') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        if index > 100_000 {
            continue;
        }
        let field = field.strip_prefix("message.").unwrap_or(field);
        let position = match messages.iter().position(|(i, _)| *i == index) {
            Some(position) => position,
            None => {
                messages.push((index, Message::default()));
                messages.len() - 1
            }
        };
        let message = &mut messages[position].1;
        let text = kv.value.to_text();
        match field {
            "role" => message.role = text,
            "content" => message.content = text,
            "name" => message.name = Some(text),
            "tool_call_id" => message.tool_call_id = Some(text),
            "finish_reason" => message.finish_reason = Some(text),
            _ => {
                if let Some(call_rest) = field.strip_prefix("tool_calls.") {
                    let Some((call_index, call_field)) = call_rest.split_once('.') else { continue };
                    let Ok(call_index) = call_index.parse::<usize>() else { continue };
                    if call_index > 10_000 {
                        continue;
                    }
                    while message.tool_calls.len() <= call_index {
                        message.tool_calls.push(ToolCall::default());
                    }
                    let call = &mut message.tool_calls[call_index];
                    match call_field.strip_prefix("tool_call.").unwrap_or(call_field) {
                        "id" => call.id = Some(text),
                        "function.name" | "name" => call.name = text,
                        "function.arguments" | "arguments" => call.arguments = text,
                        _ => {}
                    }
                } else if field.starts_with("contents.") && field.ends_with(".text") {
                    if !message.content.is_empty() {
                        message.content.push('\n');
                    }
                    message.content.push_str(&text);
                }
            }
        }
    }
    messages.sort_by_key(|(index, _)| *index);
    messages
        .into_iter()
        .map(|(_, mut message)| {
            message.tool_calls.retain(|call| !call.name.is_empty() || call.id.is_some());
            message
        })
        .collect()
}

/// Legacy GenAI prompt/completion events (`gen_ai.user.message`, `gen_ai.choice`, ...) on the span
/// or as attached log records; used only when attributes held no messages.
fn messages_from_events(span: &Span, view: &mut GenAi) {
    let from_attributes = view.input_messages.is_empty() && view.output_messages.is_empty();
    if !from_attributes {
        return;
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for event in &span.events {
        take_event_message(&event.name, None, &event.attributes, &mut inputs, &mut outputs);
    }
    for log in &span.logs {
        let name = if log.event_name.is_empty() {
            crate::value::find(&log.attributes, "event.name").and_then(AnyValue::as_str).unwrap_or("")
        } else {
            &log.event_name
        };
        if name == "gen_ai.client.inference.operation.details" {
            if let Some(text) = crate::value::find(&log.attributes, GEN_AI_INPUT_MESSAGES).and_then(AnyValue::as_str) {
                inputs.extend(messages_from_json(text));
            }
            if let Some(text) = crate::value::find(&log.attributes, GEN_AI_OUTPUT_MESSAGES).and_then(AnyValue::as_str) {
                outputs.extend(messages_from_json(text));
            }
            continue;
        }
        take_event_message(name, Some(&log.body), &log.attributes, &mut inputs, &mut outputs);
    }
    view.input_messages = inputs;
    view.output_messages = outputs;
}

fn take_event_message(
    name: &str,
    body: Option<&AnyValue>,
    attributes: &[crate::value::KeyValue],
    inputs: &mut Vec<Message>,
    outputs: &mut Vec<Message>,
) {
    {
        let Some(role) = name.strip_prefix("gen_ai.") else { return };
        let body_json = body.map(AnyValue::to_json);
        let attribute_json = || AnyValue::KvList(attributes.to_vec()).to_json();
        let object = body_json.filter(|value| value.is_object()).unwrap_or_else(attribute_json);
        if role == "choice" {
            let message = object.get("message").cloned().unwrap_or_else(|| object.clone());
            if let Some(mut message) = message_from_json(&message) {
                if message.role.is_empty() {
                    message.role = "assistant".into();
                }
                message.finish_reason = object.get("finish_reason").and_then(Value::as_str).map(str::to_owned);
                outputs.push(message);
            }
        } else if let Some(role) = role.strip_suffix(".message")
            && let Some(mut message) = message_from_json(&object)
        {
            if message.role.is_empty() {
                message.role = role.to_owned();
            }
            if message.tool_call_id.is_none() {
                message.tool_call_id = object.get("id").and_then(Value::as_str).map(str::to_owned);
            }
            inputs.push(message);
        }
    }
}

fn fill_components(span: &Span, view: &mut GenAi) {
    if let Some(attempt) = span.attr(PYDANTIC_AI_RETRY_ATTEMPT).and_then(AnyValue::as_i64) {
        let cause = span.attr_str(PYDANTIC_AI_RETRY_CAUSE).unwrap_or("").to_owned();
        view.components.push(Component::Retry { attempt, cause });
    }
    if let Some(text) = span.attr_str(GEN_AI_OUTPUT_MESSAGES)
        && let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text)
    {
        for part in items.iter().filter_map(|m| m.get("parts")).filter_map(Value::as_array).flatten() {
            let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
            if kind == "thinking" || kind == "reasoning" {
                let text = part.get("content").map(json_to_text).unwrap_or_default();
                view.components.push(Component::Reasoning { text });
            }
        }
    }
    if view.kind == SpanKind::Guardrail {
        let passed = span.attr("guardrail.passed").and_then(AnyValue::as_bool).or(match span.status.code {
            StatusCode::Error => Some(false),
            StatusCode::Ok => Some(true),
            StatusCode::Unset => None,
        });
        view.components.push(Component::Validation {
            name: span.name.clone(),
            passed,
            detail: view.output_text.clone().unwrap_or_default(),
        });
    }
    for event in &span.events {
        let lower = event.name.to_ascii_lowercase();
        let detail = AnyValue::KvList(event.attributes.clone()).to_text();
        if lower.contains("approval") {
            let approved = crate::value::find(&event.attributes, "approved").and_then(AnyValue::as_bool);
            view.components.push(Component::Approval { approved, detail });
        } else if lower.contains("guardrail") || lower.contains("validation") {
            let passed = crate::value::find(&event.attributes, "passed").and_then(AnyValue::as_bool);
            view.components.push(Component::Validation { name: event.name.clone(), passed, detail });
        } else if lower.contains("state") && lower.contains("snapshot") {
            view.components.push(Component::StateSnapshot { text: detail });
        } else if lower.contains("reasoning") || lower.contains("thought") {
            view.components.push(Component::Reasoning { text: detail });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::KeyValue;

    fn span_with(attributes: Vec<(&str, AnyValue)>) -> Span {
        let mut span = Span::new([1; 16], [2; 8], "x");
        span.attributes = attributes.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect();
        normalize(&mut span);
        span
    }

    #[test]
    fn legacy_genai_names() {
        let span = span_with(vec![
            ("gen_ai.system", "openai".into()),
            ("gen_ai.request.model", "gpt-4o".into()),
            ("gen_ai.usage.prompt_tokens", AnyValue::Int(10)),
            ("gen_ai.usage.completion_tokens", AnyValue::String("5".into())),
        ]);
        assert_eq!(span.gen_ai.kind, SpanKind::Llm);
        assert_eq!(span.gen_ai.provider.as_deref(), Some("openai"));
        assert_eq!(span.gen_ai.total_tokens(), Some(15));
        assert!(span.gen_ai.cost_usd.unwrap() > 0.0);
    }

    #[test]
    fn openinference_flattened_messages() {
        let span = span_with(vec![
            ("openinference.span.kind", "LLM".into()),
            ("llm.input_messages.1.message.role", "user".into()),
            ("llm.input_messages.1.message.content", "hi".into()),
            ("llm.input_messages.0.message.role", "system".into()),
            ("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "get".into()),
            ("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", "{}".into()),
        ]);
        assert_eq!(span.gen_ai.input_messages.len(), 2);
        assert_eq!(span.gen_ai.input_messages[0].role, "system");
        assert_eq!(span.gen_ai.output_messages[0].tool_calls[0].name, "get");
    }

    #[test]
    fn genai_parts_messages_and_bad_json() {
        let span = span_with(vec![
            ("gen_ai.operation.name", "chat".into()),
            ("gen_ai.input.messages", r#"[{"role":"user","parts":[{"type":"text","content":"hello"}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"a":1}}]}]"#.into()),
            ("gen_ai.output.messages", "not json".into()),
        ]);
        assert_eq!(span.gen_ai.input_messages[0].content, "hello");
        assert_eq!(span.gen_ai.input_messages[1].tool_call_id.as_deref(), Some("c1"));
        assert!(span.gen_ai.output_messages.is_empty());
    }
}
