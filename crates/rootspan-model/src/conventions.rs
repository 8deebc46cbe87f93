//! Convention normalisation: fills [`GenAi`] from the raw attributes, events and logs of a span.
//!
//! Order of preference for each field: OTel GenAI current names, OTel GenAI legacy names,
//! OpenInference, OpenLLMetry/traceloop, pydantic-ai/Logfire extras, then the Vercel AI SDK,
//! Google ADK, MLflow and Langfuse names. Content is read wherever instrumentations put it: span
//! attributes (JSON messages, indexed `llm.input_messages.N.*` / `gen_ai.prompt.N.*` /
//! `gen_ai.completion.N.*`), span events and attached log records (the current
//! `gen_ai.client.inference.operation.details` event, the v1.26 `gen_ai.content.*` events and the
//! legacy per-message events), content blocks (`[{"text": ...}]`, `toolUse`/`toolResult`,
//! `tool_use`/`tool_result`, Gemini `function_call`/`function_response`), captured Python calls
//! (`{"args", "kwargs"}`). Redaction placeholders (`[REDACTED]`, `__REDACTED__`) count as no
//! content. Pure and total: any input,
//! however malformed (bad JSON in message attributes, wrong value types), yields a view without
//! panicking; what cannot be read is left empty.

use crate::genai::{Component, GenAi, Message, SpanKind, ToolCall};
use crate::keys::*;
use crate::pricing::PriceTable;
use crate::span::{Span, StatusCode};
use crate::value::AnyValue;
use serde_json::Value;

#[path = "conventions_shapes.rs"]
mod shapes;

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
    view.tool_name = first_str(span, &[GEN_AI_TOOL_NAME, TOOL_NAME, AI_SDK_TOOL_CALL_NAME])
        .or_else(|| if view.kind == SpanKind::Tool { first_str(span, &[TRACELOOP_ENTITY_NAME]) } else { None })
        .map(str::to_owned)
        .or_else(|| (view.kind == SpanKind::Tool).then(|| tool_name_from_span_name(&span.name)));
    view.tool_call_id = first_str(span, &[GEN_AI_TOOL_CALL_ID, TOOL_CALL_ID, AI_SDK_TOOL_CALL_ID]).map(str::to_owned);
    view.agent_name = first_str(span, &[GEN_AI_AGENT_NAME, AGENT_NAME, AGENT_NAME_LOGFIRE])
        .or_else(|| if view.kind == SpanKind::Agent { first_str(span, &[TRACELOOP_ENTITY_NAME]) } else { None })
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
    // Other vocabularies that name the kind outright: Vercel AI SDK `ai.operationId`, MLflow
    // `mlflow.spanType`, Langfuse `langfuse.observation.type`.
    if let Some(operation) = span.attr_str(AI_SDK_OPERATION_ID) {
        if operation == "ai.toolCall" {
            return SpanKind::Tool;
        }
        if operation.ends_with(".doGenerate") || operation.ends_with(".doStream") {
            return SpanKind::Llm;
        }
        if operation.ends_with(".doEmbed") {
            return SpanKind::Embedding;
        }
    }
    if let Some(kind) = span.attr_str(MLFLOW_SPAN_TYPE).or_else(|| span.attr_str(LANGFUSE_OBSERVATION_TYPE)) {
        match kind.to_ascii_uppercase().as_str() {
            "LLM" | "CHAT_MODEL" | "GENERATION" => return SpanKind::Llm,
            "TOOL" => return SpanKind::Tool,
            "AGENT" => return SpanKind::Agent,
            "RETRIEVER" => return SpanKind::Retrieval,
            "EMBEDDING" => return SpanKind::Embedding,
            "CHAIN" => return SpanKind::Workflow,
            "GUARDRAIL" | "EVALUATOR" => return SpanKind::Guardrail,
            _ => {}
        }
    }
    if let Some(operation) = operation {
        match operation {
            "chat" | "text_completion" | "generate_content" | "completion" | "generate" => return SpanKind::Llm,
            "embeddings" | "embedding" => return SpanKind::Embedding,
            "execute_tool" => return SpanKind::Tool,
            // `create_agent` sets an agent up (AutoGen, remote agent services): not a run of it.
            "invoke_agent" => return SpanKind::Agent,
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
    name.strip_prefix("invoke_agent ")
        .or_else(|| name.strip_suffix(" run"))
        .or_else(|| name.strip_suffix(".run"))
        .unwrap_or(name)
        .to_owned()
}

/// Whether a value is a redaction placeholder that instrumentations write instead of content
/// when content capture is off (`[REDACTED]`, `__REDACTED__`, `<redacted>`, `REDACTED`).
pub fn is_redacted(text: &str) -> bool {
    let trimmed = text.trim().trim_matches(|c: char| matches!(c, '[' | ']' | '_' | '<' | '>' | '*' | '"'));
    trimmed.len() == 8 && trimmed.eq_ignore_ascii_case("redacted")
}

/// The first present, non-empty, non-redacted string attribute among `keys`.
fn first_str<'a>(span: &'a Span, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| span.attr_str(key).filter(|text| !text.is_empty() && !is_redacted(text)))
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
    view.tool_arguments =
        first_str(span, &[GEN_AI_TOOL_CALL_ARGUMENTS, AI_SDK_TOOL_CALL_ARGS, ADK_TOOL_CALL_ARGS]).map(str::to_owned);
    view.tool_result = first_str(span, &[GEN_AI_TOOL_CALL_RESULT, AI_SDK_TOOL_CALL_RESULT, ADK_TOOL_RESPONSE])
        .map(content_text_of_str);
    view.tool_definitions = first_str(span, &[GEN_AI_TOOL_DEFINITIONS, TOOL_PARAMETERS, GEN_AI_TOOL_JSON_SCHEMA])
        .map(str::to_owned)
        .or_else(|| indexed_tool_definitions(span));
    view.system_instructions = first_str(span, &[GEN_AI_SYSTEM_INSTRUCTIONS]).map(system_text);
    view.input_text = first_str(span, &[INPUT_VALUE, TRACELOOP_ENTITY_INPUT, MLFLOW_SPAN_INPUTS, LANGFUSE_INPUT])
        .map(|text| call_arguments(text).unwrap_or_else(|| text.to_owned()));
    view.output_text =
        first_str(span, &[OUTPUT_VALUE, TRACELOOP_ENTITY_OUTPUT, FINAL_RESULT, MLFLOW_SPAN_OUTPUTS, LANGFUSE_OUTPUT])
            .map(unquote_json_string);
    if view.kind == SpanKind::Tool {
        if view.tool_arguments.is_none() {
            view.tool_arguments = view.input_text.clone();
        }
        if view.tool_result.is_none() {
            view.tool_result = view.output_text.as_deref().map(content_text_of_str);
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
    } else if let Some(text) = first_str(span, &[AI_SDK_PROMPT_MESSAGES]) {
        view.input_messages = messages_from_json(text);
    } else if let Some(text) = first_str(span, &[ADK_LLM_REQUEST]) {
        let (messages, system) = gemini_request(text);
        view.input_messages = messages;
        if view.system_instructions.is_none() {
            view.system_instructions = system;
        }
    }
    if let Some(text) = span.attr_str(GEN_AI_OUTPUT_MESSAGES) {
        view.output_messages = messages_from_json(text);
    } else if has_prefix(span, LLM_OUTPUT_MESSAGES_PREFIX) {
        view.output_messages = flattened_messages(span, LLM_OUTPUT_MESSAGES_PREFIX);
    } else if has_prefix(span, GEN_AI_COMPLETION_PREFIX) {
        view.output_messages = flattened_messages(span, GEN_AI_COMPLETION_PREFIX);
    } else if let Some(message) = ai_sdk_response(span) {
        view.output_messages = vec![message];
    } else if let Some(text) = first_str(span, &[ADK_LLM_RESPONSE]) {
        view.output_messages = gemini_response(text).into_iter().collect();
    }
    messages_from_events(span, view);
    for message in view.input_messages.iter_mut().chain(view.output_messages.iter_mut()) {
        if is_redacted(&message.content) {
            message.content.clear();
        }
    }
    if view.kind == SpanKind::Tool {
        // Tool spans that carry their call and result as messages (GenAI events, legacy
        // `gen_ai.tool.message` / `gen_ai.choice`).
        if view.tool_arguments.is_none() {
            view.tool_arguments = view
                .input_messages
                .iter()
                .flat_map(|m| &m.tool_calls)
                .map(|call| call.arguments.clone())
                .find(|arguments| !arguments.is_empty())
                .or_else(|| {
                    view.input_messages.iter().map(|m| m.content.clone()).find(|content| !content.trim().is_empty())
                });
        }
        if view.tool_result.is_none() {
            let texts: Vec<&str> = view.output_messages.iter().map(|m| m.content.as_str()).collect();
            if !view.output_messages.is_empty() {
                view.tool_result = Some(texts.join("\n"));
            }
        }
    }
    if let Some(AnyValue::Array(reasons)) = span.attr(GEN_AI_RESPONSE_FINISH_REASONS) {
        view.finish_reasons = reasons.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect();
    } else if let Some(reason) = first_str(span, &["llm.finish_reason", AI_SDK_RESPONSE_FINISH_REASON]) {
        view.finish_reasons = vec![reason.to_owned()];
    } else {
        view.finish_reasons = view.output_messages.iter().filter_map(|m| m.finish_reason.clone()).collect();
    }
    fill_components(span, view);
}

/// Vercel AI SDK model call output: `ai.response.text` and `ai.response.toolCalls`
/// (`[{"toolCallId", "toolName", "args"}]`).
fn ai_sdk_response(span: &Span) -> Option<Message> {
    let text = first_str(span, &[AI_SDK_RESPONSE_TEXT]);
    let calls = first_str(span, &[AI_SDK_RESPONSE_TOOL_CALLS]);
    if text.is_none() && calls.is_none() {
        return None;
    }
    let mut message =
        Message { role: "assistant".into(), content: text.unwrap_or("").to_owned(), ..Message::default() };
    if let Some(Ok(Value::Array(items))) = calls.map(serde_json::from_str::<Value>) {
        for item in &items {
            let arguments = item.get("args").or_else(|| item.get("input")).map(json_to_text).unwrap_or_default();
            message.tool_calls.push(ToolCall {
                id: item.get("toolCallId").and_then(Value::as_str).map(str::to_owned),
                name: item.get("toolName").and_then(Value::as_str).unwrap_or("").to_owned(),
                arguments,
            });
        }
    }
    Some(message)
}

/// A Gemini request (Google ADK `gcp.vertex.agent.llm_request`): `contents` as messages and
/// `config.system_instruction` as the system instructions.
fn gemini_request(text: &str) -> (Vec<Message>, Option<String>) {
    let Ok(value) = serde_json::from_str::<Value>(text) else { return (Vec::new(), None) };
    let messages = value
        .get("contents")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(message_from_json).collect())
        .unwrap_or_default();
    let system = value
        .get("config")
        .and_then(|config| config.get("system_instruction").or_else(|| config.get("systemInstruction")))
        .map(|instruction| match instruction {
            Value::Object(_) => message_from_json(instruction).map(|m| m.content).unwrap_or_default(),
            other => content_text(other),
        })
        .filter(|text| !text.is_empty());
    (messages, system)
}

/// A Gemini response (Google ADK `gcp.vertex.agent.llm_response`): `content` as the message.
fn gemini_response(text: &str) -> Option<Message> {
    let value = serde_json::from_str::<Value>(text).ok()?;
    let content = value.get("content")?;
    let mut message = message_from_json(content)?;
    if message.role.is_empty() {
        message.role = "assistant".into();
    }
    message.finish_reason = value.get("finish_reason").and_then(Value::as_str).map(str::to_owned);
    Some(message)
}

/// Tool definitions recorded as indexed attributes: OpenLLMetry `llm.request.functions.{i}.name /
/// description / parameters`, OpenInference `llm.tools.{i}.tool.json_schema`; as a JSON array.
fn indexed_tool_definitions(span: &Span) -> Option<String> {
    let mut functions: Vec<(usize, serde_json::Map<String, Value>)> = Vec::new();
    for kv in &span.attributes {
        let (rest, schema_form) = if let Some(rest) = kv.key.strip_prefix(LLM_REQUEST_FUNCTIONS_PREFIX) {
            (rest, false)
        } else if let Some(rest) = kv.key.strip_prefix(LLM_TOOLS_PREFIX) {
            (rest, true)
        } else {
            continue;
        };
        let Some((index, field)) = rest.split_once('.') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        let Some(text) = kv.value.as_str() else { continue };
        let position = match functions.iter().position(|(i, _)| *i == index) {
            Some(position) => position,
            None => {
                if functions.len() >= 1_000 {
                    continue;
                }
                functions.push((index, serde_json::Map::new()));
                functions.len() - 1
            }
        };
        let entry = &mut functions[position].1;
        match (schema_form, field) {
            (true, "tool.json_schema") => {
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
                    entry.extend(map);
                }
            }
            (false, "name" | "description") => {
                entry.insert(field.to_owned(), Value::String(text.to_owned()));
            }
            (false, "parameters") => {
                let value = serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()));
                entry.insert(field.to_owned(), value);
            }
            _ => {}
        }
    }
    if functions.is_empty() {
        return None;
    }
    functions.sort_by_key(|(index, _)| *index);
    let items: Vec<Value> = functions
        .into_iter()
        .map(|(_, map)| Value::Object(map))
        .filter(|v| v != &Value::Object(serde_json::Map::new()))
        .collect();
    (!items.is_empty()).then(|| Value::Array(items).to_string())
}

/// The arguments of a captured Python call (`{"args": [...], "kwargs": {...}}`, as OpenLLMetry's
/// decorators and OpenInference's smolagents tools record them): the keyword arguments as JSON for
/// a tool, or the single positional argument as text.
fn call_arguments(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') || !trimmed.contains("\"kwargs\"") {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) else { return None };
    // `args` may be left out when there are none (LlamaIndex's `{"kwargs": {...}}`).
    let no_args = Vec::new();
    let args = match map.get("args") {
        Some(args) => args.as_array()?,
        None => &no_args,
    };
    let kwargs = map.get("kwargs")?.as_object()?;
    // Only call envelopes: nothing but args, kwargs and boolean call flags.
    if map.iter().any(|(key, value)| key != "args" && key != "kwargs" && !value.is_boolean()) {
        return None;
    }
    match (args.as_slice(), kwargs.is_empty()) {
        ([], _) => Some(Value::Object(kwargs.clone()).to_string()),
        ([single], true) => Some(json_to_text(single)),
        _ => None,
    }
}

/// A JSON string literal (`"Done!"`, as OpenLLMetry serialises returned strings) as its text.
fn unquote_json_string(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.len() >= 2
        && trimmed.starts_with('"')
        && trimmed.ends_with('"')
        && let Ok(Value::String(inner)) = serde_json::from_str::<Value>(trimmed)
    {
        return inner;
    }
    text.to_owned()
}

/// System instructions as text: a JSON array of parts (`[{"type":"text","content":...}]`,
/// `[{"text": ...}]`) or plain text.
fn system_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Array(_)) => blocks_text(&value).unwrap_or_else(|| text.to_owned()),
        _ => text.to_owned(),
    }
}

/// The text of a JSON array of content blocks (`[{"text": "..."}]`, `[{"type":"text","text":...}]`,
/// `[{"type":"text","content":...}]`); `None` when the value is not such an array (an empty array
/// or an array of data objects stays data).
pub fn blocks_text(value: &Value) -> Option<String> {
    let items = value.as_array()?;
    if items.is_empty() {
        return None;
    }
    let mut texts = Vec::new();
    for item in items {
        let object = item.as_object()?;
        let kind = object.get("type").and_then(Value::as_str);
        let text = match kind {
            Some("text") | Some("output_text") | Some("input_text") | None => {
                object.get("text").or_else(|| object.get("content").filter(|_| kind.is_some()))
            }
            _ => None,
        }?;
        // A block has its text and block metadata only; an object with other fields (a search hit
        // with `title`, `url`, `text`) is data.
        const BLOCK_KEYS: &[&str] =
            &["type", "text", "content", "annotations", "citations", "cache_control", "logprobs"];
        if object.keys().any(|key| !BLOCK_KEYS.contains(&key.as_str())) {
            return None;
        }
        texts.push(json_to_text(text));
    }
    Some(texts.join("\n"))
}

/// A tool result or content string: the text of its content blocks when it is a JSON array of
/// blocks or a result envelope around one (see [`shapes::envelope_text`]), else the string itself.
fn content_text_of_str(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[')
        && let Ok(value) = serde_json::from_str::<Value>(trimmed)
        && let Some(joined) = blocks_text(&value)
    {
        return joined;
    }
    shapes::envelope_text(trimmed).unwrap_or_else(|| text.to_owned())
}

fn has_prefix(span: &Span, prefix: &str) -> bool {
    span.attributes.iter().any(|kv| kv.key.starts_with(prefix))
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
                    texts.push(response.map(content_text).unwrap_or_default());
                }
                _ => {
                    // Gemini parts (Google ADK, Vertex): `function_call` / `function_response`.
                    if let Some(call) = part.get("function_call").or_else(|| part.get("functionCall")) {
                        message.tool_calls.push(ToolCall {
                            id: call.get("id").and_then(Value::as_str).map(str::to_owned),
                            name: call.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                            arguments: call.get("args").map(json_to_text).unwrap_or_default(),
                        });
                    } else if let Some(response) =
                        part.get("function_response").or_else(|| part.get("functionResponse"))
                    {
                        if message.tool_call_id.is_none() {
                            message.tool_call_id = response.get("id").and_then(Value::as_str).map(str::to_owned);
                        }
                        texts.push(response.get("response").map(content_text).unwrap_or_default());
                    } else if let Some(content) = part.get("content").or_else(|| part.get("text")) {
                        texts.push(json_to_text(content));
                    }
                }
            }
        }
    }
    if message.role == "model" {
        message.role = "assistant".into();
    }
    match object.get("content") {
        Some(Value::String(text)) => {
            // Legacy GenAI events carry content blocks as a JSON string.
            let blocks = text
                .trim_start()
                .starts_with("[{")
                .then(|| serde_json::from_str::<Value>(text).ok())
                .flatten()
                .filter(|value| value.as_array().is_some_and(|items| items.iter().all(is_content_block)));
            match blocks {
                Some(Value::Array(parts)) => take_content_blocks(&parts, &mut message, &mut texts),
                _ => texts.push(text.clone()),
            }
        }
        Some(Value::Array(parts)) => take_content_blocks(parts, &mut message, &mut texts),
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

/// Whether a JSON value is one content block: text (`{"text"}`, `{"type":"text", ...}`), a tool use
/// (`{"toolUse": {...}}`, `{"type":"tool_use"}`) or a tool result (`{"toolResult": {...}}`,
/// `{"type":"tool_result"}`).
fn is_content_block(value: &Value) -> bool {
    let Some(object) = value.as_object() else { return false };
    object.contains_key("toolUse")
        || object.contains_key("toolResult")
        || object.get("text").is_some_and(Value::is_string)
        || object
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|kind| matches!(kind, "text" | "tool_use" | "tool_result" | "tool-call" | "tool-result"))
}

/// Reads content blocks into a message: texts, tool uses as tool calls, tool results as the
/// message's text and call id (Bedrock Converse `toolUse`/`toolResult`, Anthropic `tool_use`/
/// `tool_result`, plain text blocks).
fn take_content_blocks(parts: &[Value], message: &mut Message, texts: &mut Vec<String>) {
    for part in parts {
        let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
        let is_use = matches!(kind, "tool_use" | "tool-call");
        let is_result = matches!(kind, "tool_result" | "tool-result");
        if let Some(tool_use) = part.get("toolUse").or_else(|| is_use.then_some(part)) {
            let id = ["toolUseId", "toolCallId", "id"].iter().find_map(|key| tool_use.get(*key));
            let name = tool_use.get("name").or_else(|| tool_use.get("toolName"));
            let arguments = ["input", "args", "arguments"].iter().find_map(|key| tool_use.get(*key));
            message.tool_calls.push(ToolCall {
                id: id.and_then(Value::as_str).map(str::to_owned),
                name: name.and_then(Value::as_str).unwrap_or("").to_owned(),
                arguments: arguments.map(json_to_text).unwrap_or_default(),
            });
        } else if let Some(result) = part.get("toolResult").or_else(|| is_result.then_some(part)) {
            if message.tool_call_id.is_none() {
                message.tool_call_id = ["toolUseId", "tool_use_id", "toolCallId"]
                    .iter()
                    .find_map(|key| result.get(*key))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            let content = ["content", "result", "output"].iter().find_map(|key| result.get(*key));
            texts.push(content.map(content_text).unwrap_or_default());
        } else if let Some(text) = part.get("text").or_else(|| part.get("content")) {
            texts.push(content_text(text));
        }
    }
}

/// Text of a content value: a string, the joined text of content blocks, else its JSON.
fn content_text(value: &Value) -> String {
    match value {
        Value::Array(_) => blocks_text(value).unwrap_or_else(|| json_to_text(value)),
        other => json_to_text(other),
    }
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
            "content" => {
                // OpenLLMetry writes list content (Anthropic, Bedrock) as a JSON string of blocks.
                let blocks = text
                    .trim_start()
                    .starts_with("[{")
                    .then(|| serde_json::from_str::<Value>(&text).ok())
                    .flatten()
                    .filter(|value| value.as_array().is_some_and(|items| items.iter().all(is_content_block)));
                match blocks {
                    Some(Value::Array(parts)) => {
                        let mut texts = Vec::new();
                        take_content_blocks(&parts, message, &mut texts);
                        message.content = texts.join("\n");
                    }
                    _ => message.content = text,
                }
            }
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

/// GenAI content recorded as events on the span or as attached log records: the current
/// `gen_ai.client.inference.operation.details` event (`gen_ai.input.messages`,
/// `gen_ai.output.messages`, `gen_ai.system_instructions` as event attributes; one span may carry
/// several) and the legacy per-message events (`gen_ai.system.message`, `gen_ai.user.message`,
/// `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice`). Messages are used only
/// when attributes held none.
fn messages_from_events(span: &Span, view: &mut GenAi) {
    let from_attributes = view.input_messages.is_empty() && view.output_messages.is_empty();
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut system: Option<String> = None;
    for event in &span.events {
        if event.name == GEN_AI_INFERENCE_DETAILS_EVENT {
            take_details(&event.attributes, &mut inputs, &mut outputs, &mut system);
            continue;
        }
        if from_attributes {
            take_event_message(&event.name, None, &event.attributes, &mut inputs, &mut outputs);
        }
    }
    // OTel GenAI v1.26 content events (Semantic Kernel, Azure AI Inference): `gen_ai.content.prompt`
    // with `gen_ai.prompt`, `gen_ai.content.completion` with `gen_ai.completion` (JSON messages).
    if from_attributes {
        for event in &span.events {
            let (key, target) = match event.name.as_str() {
                "gen_ai.content.prompt" => ("gen_ai.prompt", &mut inputs),
                "gen_ai.content.completion" => ("gen_ai.completion", &mut outputs),
                _ => continue,
            };
            if let Some(text) = crate::value::find(&event.attributes, key).and_then(AnyValue::as_str) {
                target.extend(messages_from_json(text));
            }
        }
    }
    for log in &span.logs {
        let name = if log.event_name.is_empty() {
            crate::value::find(&log.attributes, "event.name").and_then(AnyValue::as_str).unwrap_or("")
        } else {
            &log.event_name
        };
        if name == GEN_AI_INFERENCE_DETAILS_EVENT {
            take_details(&log.attributes, &mut inputs, &mut outputs, &mut system);
            continue;
        }
        if from_attributes {
            take_event_message(name, Some(&log.body), &log.attributes, &mut inputs, &mut outputs);
        }
    }
    if view.system_instructions.is_none() {
        view.system_instructions = system;
    }
    if from_attributes {
        view.input_messages = inputs;
        view.output_messages = outputs;
    }
}

/// One `gen_ai.client.inference.operation.details` event or log record.
fn take_details(
    attributes: &[crate::value::KeyValue],
    inputs: &mut Vec<Message>,
    outputs: &mut Vec<Message>,
    system: &mut Option<String>,
) {
    let text_of =
        |key: &str| crate::value::find(attributes, key).and_then(AnyValue::as_str).filter(|text| !is_redacted(text));
    if let Some(text) = text_of(GEN_AI_INPUT_MESSAGES) {
        inputs.extend(messages_from_json(text));
    }
    if let Some(text) = text_of(GEN_AI_OUTPUT_MESSAGES) {
        outputs.extend(messages_from_json(text));
    }
    if system.is_none()
        && let Some(text) = text_of(GEN_AI_SYSTEM_INSTRUCTIONS)
    {
        *system = Some(system_text(text));
    }
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
            let message = match object.get("message") {
                // strands and other legacy emitters give the message as text or JSON content blocks.
                Some(Value::String(text)) => serde_json::json!({ "content": text }),
                Some(other) => other.clone(),
                None => object.clone(),
            };
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

    fn span_with_events(attributes: Vec<(&str, AnyValue)>, events: Vec<(&str, Vec<(&str, &str)>)>) -> Span {
        let mut span = Span::new([1; 16], [2; 8], "x");
        span.attributes = attributes.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect();
        span.events = events
            .into_iter()
            .map(|(name, attributes)| crate::span::Event {
                name: name.to_owned(),
                attributes: attributes.into_iter().map(|(k, v)| KeyValue::new(k, AnyValue::from(v))).collect(),
                ..crate::span::Event::default()
            })
            .collect();
        normalize(&mut span);
        span
    }

    /// strands (newest GenAI conventions): content on `gen_ai.client.inference.operation.details`
    /// span events, several per span; tool results as content blocks.
    #[test]
    fn genai_details_span_events() {
        let chat = span_with_events(
            vec![("gen_ai.operation.name", "chat".into())],
            vec![
                (
                    "gen_ai.client.inference.operation.details",
                    vec![("gen_ai.system_instructions", r#"[{"type": "text", "content": "You are Acme's agent."}]"#)],
                ),
                (
                    "gen_ai.client.inference.operation.details",
                    vec![(
                        "gen_ai.input.messages",
                        r#"[{"role": "user", "parts": [{"type": "text", "content": "Refund A1003."}]}, {"role": "user", "parts": [{"type": "tool_call_response", "id": "call_010", "response": [{"text": "{\"total\": 129.0}"}]}]}]"#,
                    )],
                ),
                (
                    "gen_ai.client.inference.operation.details",
                    vec![(
                        "gen_ai.output.messages",
                        r#"[{"role": "assistant", "parts": [{"type": "tool_call", "name": "refund_order", "id": "call_020", "arguments": {"order_id": "A1003"}}], "finish_reason": "tool_use"}]"#,
                    )],
                ),
            ],
        );
        let view = &chat.gen_ai;
        assert_eq!(view.kind, SpanKind::Llm);
        assert_eq!(view.system_instructions.as_deref(), Some("You are Acme's agent."));
        assert_eq!(view.input_messages.len(), 2);
        assert_eq!(view.input_messages[0].content, "Refund A1003.");
        assert_eq!(view.input_messages[1].content, r#"{"total": 129.0}"#);
        assert_eq!(view.input_messages[1].tool_call_id.as_deref(), Some("call_010"));
        assert_eq!(view.output_messages[0].tool_calls[0].name, "refund_order");
        assert_eq!(view.output_messages[0].tool_calls[0].arguments, r#"{"order_id":"A1003"}"#);
        assert_eq!(view.finish_reasons, vec!["tool_use".to_owned()]);

        // A failed tool records no `gen_ai.tool.call.result`: the result is its output event.
        let tool = span_with_events(
            vec![
                ("gen_ai.operation.name", "execute_tool".into()),
                ("gen_ai.tool.name", "search_docs".into()),
                ("gen_ai.tool.call.result", r#"[{"text": "[]"}]"#.into()),
            ],
            vec![],
        );
        assert_eq!(tool.gen_ai.kind, SpanKind::Tool);
        assert_eq!(tool.gen_ai.tool_result.as_deref(), Some("[]"));
        let failed = span_with_events(
            vec![("gen_ai.operation.name", "execute_tool".into()), ("gen_ai.tool.name", "refund_order".into())],
            vec![
                (
                    "gen_ai.client.inference.operation.details",
                    vec![(
                        "gen_ai.input.messages",
                        r#"[{"role": "tool", "parts": [{"type": "tool_call", "name": "refund_order", "id": "c2", "arguments": {"order_id": "A1003"}}]}]"#,
                    )],
                ),
                (
                    "gen_ai.client.inference.operation.details",
                    vec![(
                        "gen_ai.output.messages",
                        r#"[{"role": "tool", "parts": [{"type": "tool_call_response", "id": "c2", "response": [{"text": "Error: HTTP 503"}]}]}]"#,
                    )],
                ),
            ],
        );
        assert_eq!(failed.gen_ai.tool_arguments.as_deref(), Some(r#"{"order_id":"A1003"}"#));
        assert_eq!(failed.gen_ai.tool_result.as_deref(), Some("Error: HTTP 503"));
    }

    /// strands `_legacy`: per-message events whose content is a JSON string of content blocks
    /// (Bedrock Converse `text` / `toolUse` / `toolResult`), `gen_ai.choice` with a text message.
    #[test]
    fn legacy_per_message_events() {
        let chat = span_with_events(
            vec![("gen_ai.operation.name", "chat".into())],
            vec![
                ("gen_ai.system.message", vec![("content", r#"[{"text": "You are Acme's agent."}]"#)]),
                ("gen_ai.user.message", vec![("content", r#"[{"text": "Refund A1003."}]"#)]),
                (
                    "gen_ai.assistant.message",
                    vec![(
                        "content",
                        r#"[{"toolUse": {"toolUseId": "call_020", "name": "refund_order", "input": {"order_id": "A1003"}}}]"#,
                    )],
                ),
                (
                    "gen_ai.tool.message",
                    vec![(
                        "content",
                        r#"[{"toolResult": {"toolUseId": "call_020", "status": "error", "content": [{"text": "Error: HTTP 503"}]}}]"#,
                    )],
                ),
                ("gen_ai.choice", vec![("finish_reason", "end_turn"), ("message", "Done! Refunded.\n")]),
            ],
        );
        let view = &chat.gen_ai;
        assert_eq!(view.input_messages.len(), 4);
        assert_eq!(view.input_messages[0].role, "system");
        assert_eq!(view.input_messages[0].content, "You are Acme's agent.");
        assert_eq!(view.input_messages[1].content, "Refund A1003.");
        assert_eq!(view.input_messages[2].tool_calls[0].name, "refund_order");
        assert_eq!(view.input_messages[3].content, "Error: HTTP 503");
        assert_eq!(view.input_messages[3].tool_call_id.as_deref(), Some("call_020"));
        assert_eq!(view.output_messages[0].role, "assistant");
        assert_eq!(view.output_messages[0].content, "Done! Refunded.\n");
        assert_eq!(view.finish_reasons, vec!["end_turn".to_owned()]);

        let choice_blocks = span_with_events(
            vec![("gen_ai.operation.name", "chat".into())],
            vec![(
                "gen_ai.choice",
                vec![(
                    "message",
                    r#"[{"toolUse": {"toolUseId": "c1", "name": "get_order", "input": {"order_id": "A1001"}}}]"#,
                )],
            )],
        );
        assert_eq!(choice_blocks.gen_ai.output_messages[0].tool_calls[0].name, "get_order");

        // A legacy tool span: the call's arguments as a tool message, the result as a choice.
        let tool = span_with_events(
            vec![("gen_ai.operation.name", "execute_tool".into()), ("gen_ai.tool.name", "get_order".into())],
            vec![
                ("gen_ai.tool.message", vec![("role", "tool"), ("content", r#"{"order_id": "A1001"}"#), ("id", "c1")]),
                ("gen_ai.choice", vec![("message", r#"[{"text": "{\"status\": \"shipped\"}"}]"#), ("id", "c1")]),
            ],
        );
        assert_eq!(tool.gen_ai.tool_arguments.as_deref(), Some(r#"{"order_id": "A1001"}"#));
        assert_eq!(tool.gen_ai.tool_result.as_deref(), Some(r#"{"status": "shipped"}"#));
    }

    /// OpenLLMetry 0.54: indexed prompt/completion attributes, `traceloop.span.kind`, decorator
    /// input/output envelopes, `llm.request.functions.N.*`.
    #[test]
    fn openllmetry_indexed_attributes() {
        let chat = span_with(vec![
            ("llm.request.type", "chat".into()),
            ("gen_ai.system", "openai".into()),
            ("gen_ai.request.model", "gpt-4o-mini".into()),
            ("gen_ai.prompt.0.role", "system".into()),
            ("gen_ai.prompt.0.content", "You are Acme's agent.".into()),
            ("gen_ai.prompt.1.role", "user".into()),
            ("gen_ai.prompt.1.content", "Refund A1003.".into()),
            ("gen_ai.prompt.2.role", "assistant".into()),
            ("gen_ai.prompt.2.tool_calls.0.id", "call_010".into()),
            ("gen_ai.prompt.2.tool_calls.0.name", "get_order".into()),
            ("gen_ai.prompt.2.tool_calls.0.arguments", r#"{"order_id": "A1003"}"#.into()),
            ("gen_ai.prompt.3.role", "tool".into()),
            ("gen_ai.prompt.3.content", r#"{"total": 129.0}"#.into()),
            ("gen_ai.prompt.3.tool_call_id", "call_010".into()),
            ("llm.request.functions.0.name", "get_order".into()),
            ("llm.request.functions.0.description", "Look up an order.".into()),
            ("llm.request.functions.0.parameters", r#"{"type": "object", "required": ["order_id"]}"#.into()),
            ("gen_ai.completion.0.finish_reason", "tool_calls".into()),
            ("gen_ai.completion.0.role", "assistant".into()),
            ("gen_ai.completion.0.tool_calls.0.id", "call_020".into()),
            ("gen_ai.completion.0.tool_calls.0.name", "refund_order".into()),
            ("gen_ai.completion.0.tool_calls.0.arguments", r#"{"order_id": "A1003"}"#.into()),
        ]);
        let view = &chat.gen_ai;
        assert_eq!(view.kind, SpanKind::Llm);
        assert_eq!(view.input_messages.len(), 4);
        assert_eq!(view.input_messages[2].tool_calls[0].name, "get_order");
        assert_eq!(view.input_messages[3].tool_call_id.as_deref(), Some("call_010"));
        assert_eq!(view.output_messages[0].tool_calls[0].name, "refund_order");
        assert_eq!(view.finish_reasons, vec!["tool_calls".to_owned()]);
        let definitions: Value = serde_json::from_str(view.tool_definitions.as_deref().unwrap()).unwrap();
        assert_eq!(definitions[0]["name"], "get_order");
        assert_eq!(definitions[0]["parameters"]["required"][0], "order_id");

        let tool = span_with(vec![
            ("traceloop.span.kind", "tool".into()),
            ("traceloop.entity.name", "refund_order".into()),
            ("traceloop.entity.input", r#"{"args": [], "kwargs": {"order_id": "A1003", "amount": 129.0}}"#.into()),
            ("traceloop.entity.output", r#"{"refund_id": "RF-1"}"#.into()),
        ]);
        assert_eq!(tool.gen_ai.kind, SpanKind::Tool);
        assert_eq!(tool.gen_ai.tool_name.as_deref(), Some("refund_order"));
        assert_eq!(tool.gen_ai.tool_arguments.as_deref(), Some(r#"{"amount":129.0,"order_id":"A1003"}"#));
        assert_eq!(tool.gen_ai.tool_result.as_deref(), Some(r#"{"refund_id": "RF-1"}"#));

        let workflow = span_with(vec![
            ("traceloop.span.kind", "workflow".into()),
            ("traceloop.entity.input", r#"{"args": ["Refund A1003."], "kwargs": {}}"#.into()),
            ("traceloop.entity.output", r#""Done! Refunded.""#.into()),
        ]);
        assert_eq!(workflow.gen_ai.kind, SpanKind::Workflow);
        assert_eq!(workflow.gen_ai.input_text.as_deref(), Some("Refund A1003."));
        assert_eq!(workflow.gen_ai.output_text.as_deref(), Some("Done! Refunded."));

        let agent =
            span_with(vec![("traceloop.span.kind", "agent".into()), ("traceloop.entity.name", "billing_agent".into())]);
        assert_eq!(agent.gen_ai.kind, SpanKind::Agent);
        assert_eq!(agent.gen_ai.agent_name.as_deref(), Some("billing_agent"));
    }

    /// OpenInference (smolagents): the tool call envelope, `llm.tools.N.tool.json_schema`,
    /// message contents, `<agent>.run` agent spans.
    #[test]
    fn openinference_smolagents_shapes() {
        let tool = span_with(vec![
            ("openinference.span.kind", "TOOL".into()),
            ("tool.name", "get_order".into()),
            ("input.value", r#"{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"order_id": "A1003"}}"#.into()),
            ("output.value", "[]".into()),
        ]);
        assert_eq!(tool.gen_ai.tool_arguments.as_deref(), Some(r#"{"order_id":"A1003"}"#));
        assert_eq!(tool.gen_ai.tool_result.as_deref(), Some("[]"));
        let llm = span_with(vec![
            ("openinference.span.kind", "LLM".into()),
            ("llm.input_messages.0.message.role", "user".into()),
            ("llm.input_messages.0.message.contents.0.message_content.type", "text".into()),
            ("llm.input_messages.0.message.contents.0.message_content.text", "New task: refund A1003".into()),
            (
                "llm.tools.0.tool.json_schema",
                r#"{"type": "function", "function": {"name": "get_order", "parameters": {}}}"#.into(),
            ),
        ]);
        assert_eq!(llm.gen_ai.input_messages[0].content, "New task: refund A1003");
        assert!(llm.gen_ai.tool_definitions.as_deref().unwrap().contains("get_order"));
        let mut agent = Span::new([1; 16], [2; 8], "billing_agent.run");
        agent.attributes.push(KeyValue::new("openinference.span.kind", AnyValue::from("AGENT")));
        normalize(&mut agent);
        assert_eq!(agent.gen_ai.agent_name.as_deref(), Some("billing_agent"));
    }

    /// Content capture off: redaction placeholders are no content.
    #[test]
    fn redacted_content_is_absent() {
        for text in ["[REDACTED]", "__REDACTED__", "<redacted>", "REDACTED"] {
            assert!(is_redacted(text), "{text}");
        }
        assert!(!is_redacted("redacted by the user"));
        let tool = span_with_events(
            vec![
                ("gen_ai.operation.name", "execute_tool".into()),
                ("gen_ai.tool.name", "get_order".into()),
                ("gen_ai.tool.call.arguments", "[REDACTED]".into()),
                ("gen_ai.tool.call.result", "[REDACTED]".into()),
                ("input.value", "__REDACTED__".into()),
            ],
            vec![("gen_ai.client.inference.operation.details", vec![("gen_ai.output.messages", "[REDACTED]")])],
        );
        assert_eq!(tool.gen_ai.tool_arguments, None);
        assert_eq!(tool.gen_ai.tool_result, None);
        assert_eq!(tool.gen_ai.input_text, None);
        assert!(tool.gen_ai.output_messages.is_empty());
    }

    /// Content blocks stay data when they are data: an empty array, or objects that are not blocks.
    #[test]
    fn content_blocks_versus_data() {
        assert_eq!(
            blocks_text(&serde_json::json!([{"text": "a"}, {"type": "text", "text": "b"}])).as_deref(),
            Some("a\nb")
        );
        assert_eq!(blocks_text(&serde_json::json!([])), None);
        assert_eq!(blocks_text(&serde_json::json!([{"id": 1, "title": "Returns"}])), None);
        assert_eq!(
            content_text_of_str(r#"[{"title": "Returns", "text": "30 days", "url": "u", "id": 1}]"#),
            r#"[{"title": "Returns", "text": "30 days", "url": "u", "id": 1}]"#
        );
    }

    /// Other vocabularies with a documented shape: Vercel AI SDK, Google ADK (Gemini contents),
    /// OpenLLMetry list content written as a JSON string of Anthropic blocks.
    #[test]
    fn ai_sdk_adk_and_anthropic_block_shapes() {
        let tool = span_with(vec![
            ("ai.operationId", "ai.toolCall".into()),
            ("ai.toolCall.name", "get_order".into()),
            ("ai.toolCall.args", r#"{"order_id":"A1001"}"#.into()),
            ("ai.toolCall.result", r#"{"status":"shipped"}"#.into()),
        ]);
        assert_eq!(tool.gen_ai.kind, SpanKind::Tool);
        assert_eq!(tool.gen_ai.tool_name.as_deref(), Some("get_order"));
        assert_eq!(tool.gen_ai.tool_result.as_deref(), Some(r#"{"status":"shipped"}"#));
        let chat = span_with(vec![
            ("ai.operationId", "ai.generateText.doGenerate".into()),
            ("ai.prompt.messages", r#"[{"role":"user","content":[{"type":"text","text":"Where is A1001?"}]},{"role":"tool","content":[{"type":"tool-result","toolCallId":"c1","toolName":"get_order","result":{"status":"shipped"}}]}]"#.into()),
            ("ai.response.toolCalls", r#"[{"toolCallType":"function","toolCallId":"c2","toolName":"get_order","args":"{\"order_id\":\"A1001\"}"}]"#.into()),
        ]);
        assert_eq!(chat.gen_ai.kind, SpanKind::Llm);
        assert_eq!(chat.gen_ai.input_messages[0].content, "Where is A1001?");
        assert_eq!(chat.gen_ai.input_messages[1].content, r#"{"status":"shipped"}"#);
        assert_eq!(chat.gen_ai.output_messages[0].tool_calls[0].name, "get_order");

        let adk = span_with(vec![
            ("gen_ai.system", "gcp.vertex.agent".into()),
            ("gen_ai.request.model", "gemini-2.0-flash".into()),
            ("gcp.vertex.agent.llm_request", r#"{"model":"gemini-2.0-flash","config":{"system_instruction":"Be brief."},"contents":[{"role":"user","parts":[{"text":"Where is A1001?"}]},{"role":"user","parts":[{"function_response":{"name":"get_order","response":{"status":"shipped"}}}]}]}"#.into()),
            ("gcp.vertex.agent.llm_response", r#"{"content":{"role":"model","parts":[{"function_call":{"name":"get_order","args":{"order_id":"A1001"}}}]}}"#.into()),
        ]);
        assert_eq!(adk.gen_ai.kind, SpanKind::Llm);
        assert_eq!(adk.gen_ai.system_instructions.as_deref(), Some("Be brief."));
        assert_eq!(adk.gen_ai.input_messages[0].content, "Where is A1001?");
        assert_eq!(adk.gen_ai.input_messages[1].content, r#"{"status":"shipped"}"#);
        assert_eq!(adk.gen_ai.output_messages[0].role, "assistant");
        assert_eq!(adk.gen_ai.output_messages[0].tool_calls[0].name, "get_order");

        let anthropic = span_with(vec![
            ("llm.request.type", "chat".into()),
            ("gen_ai.prompt.0.role", "user".into()),
            ("gen_ai.prompt.0.content", r#"[{"type":"tool_result","tool_use_id":"t1","content":"[]"}]"#.into()),
        ]);
        assert_eq!(anthropic.gen_ai.input_messages[0].content, "[]");
        assert_eq!(anthropic.gen_ai.input_messages[0].tool_call_id.as_deref(), Some("t1"));
    }

    #[test]
    fn genai_v1_26_content_events() {
        let span = span_with_events(
            vec![("gen_ai.operation.name", "chat".into())],
            vec![
                ("gen_ai.content.prompt", vec![("gen_ai.prompt", r#"[{"role":"user","content":"Where is A1001?"}]"#)]),
                (
                    "gen_ai.content.completion",
                    vec![("gen_ai.completion", r#"[{"role":"assistant","content":"Shipped."}]"#)],
                ),
            ],
        );
        assert_eq!(span.gen_ai.input_messages[0].content, "Where is A1001?");
        assert_eq!(span.gen_ai.output_messages[0].content, "Shipped.");
    }
}
