//! Fuzzes the convention normaliser on arbitrary attributes and events: the input is split into
//! spans (at 0xFE), each into fields (at 0x00) read as key/value pairs; keys are mostly
//! convention keys. The normalised spans, with parent links from the input, must survive a span
//! tree with its summary (token sums, costs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_model::{AnyValue, Event, KeyValue, Span, SpanTree, conventions};

const KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.conversation.id",
    "gen_ai.response.finish_reasons",
    "gen_ai.system",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "openinference.span.kind",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.token_count.prompt_details.cache_read",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.content",
    "llm.output_messages.0.message.content",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
    "llm.tools.0.tool.json_schema",
    "input.value",
    "output.value",
    "tool.name",
    "tool.parameters",
    "tool_call.id",
    "session.id",
    "user.id",
    "agent.name",
    "graph.node.id",
    "traceloop.span.kind",
    "traceloop.entity.name",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.content",
    "llm.usage.total_tokens",
    "pydantic_ai.all_messages",
    "final_result",
    "agent_name",
    "operation.cost",
    "pydantic_ai.tool.retry.attempt",
    "pydantic_ai.tool.retry.cause",
    "error.type",
    "exception.type",
    "exception.message",
    "model_name",
    "llm.request.type",
    "llm.usage.prompt_tokens",
    "llm.usage.completion_tokens",
];

/// One attribute value from a field: the first byte picks the type, the rest is the payload.
fn value(field: &[u8]) -> AnyValue {
    let (tag, rest) = field.split_first().map_or((0, &[][..]), |(t, r)| (*t, r));
    let mut word = [0u8; 8];
    for (slot, byte) in word.iter_mut().zip(rest) {
        *slot = *byte;
    }
    match tag % 8 {
        0 => AnyValue::String(String::from_utf8_lossy(rest).into_owned()),
        1 => AnyValue::Int(i64::from_le_bytes(word)),
        2 => AnyValue::Double(f64::from_le_bytes(word)),
        3 => AnyValue::Bool(rest.first().is_some_and(|b| b & 1 == 1)),
        4 => AnyValue::Bytes(rest.to_vec()),
        5 => AnyValue::Array(
            rest.split(|b| *b == b',').map(|s| AnyValue::String(String::from_utf8_lossy(s).into_owned())).collect(),
        ),
        6 => AnyValue::KvList(vec![KeyValue::new(
            String::from_utf8_lossy(rest).into_owned(),
            AnyValue::Int(i64::from(tag)),
        )]),
        _ => AnyValue::Empty,
    }
}

fn key(field: &[u8]) -> String {
    match field.split_first() {
        Some((first, _)) if *first < 0xC0 => KEYS[usize::from(*first) % KEYS.len()].to_owned(),
        Some((_, rest)) => String::from_utf8_lossy(rest).into_owned(),
        None => String::new(),
    }
}

/// The spans an input describes (shared with the corpus replay test).
fn spans(data: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    for (index, chunk) in data.split(|b| *b == 0xFE).take(64).enumerate() {
        let id = index as u8;
        let mut span = Span::new([1; 16], [id + 1; 8], format!("span {index}"));
        let parent = chunk.first().copied().unwrap_or(0);
        span.parent_span_id = (parent != 0).then_some([parent % 65; 8]);
        span.start_time_unix_nano = u64::from(parent);
        span.end_time_unix_nano = u64::from(parent) * 3;
        let mut fields = chunk.get(1..).unwrap_or(&[]).split(|b| *b == 0);
        while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
            if k.first() == Some(&0xBF) {
                span.events.push(Event {
                    time_unix_nano: 0,
                    name: String::from_utf8_lossy(v).into_owned(),
                    attributes: vec![KeyValue::new(key(v), value(v))],
                    dropped_attributes_count: 0,
                });
            } else {
                span.attributes.push(KeyValue::new(key(k), value(v)));
            }
        }
        conventions::normalize(&mut span);
        out.push(span);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = SpanTree::build(spans(data)).summary();
});
