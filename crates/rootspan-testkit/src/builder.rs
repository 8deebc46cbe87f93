//! [`TraceBuilder`]: realistic agent traces with deterministic ids and a deterministic clock.
//!
//! Appending methods (`agent`, `llm`, `tool`, `retrieval`, `custom`) add one span and return its
//! span id as a `u64` (big-endian in the 8-byte OTLP id, see [`span_id`]); modifiers take that id
//! and return the builder, so they chain. Times: each appended span starts where the clock is and
//! lasts one step, and the clock then advances one step, so siblings are sequential. A parent
//! whose end was not set explicitly is stretched to end with its last child. `build` normalises
//! every span with `rootspan_model::conventions::normalize`.

use rootspan_model::{AnyValue, Event, KeyValue, Resource, Scope, Span, SpanId, SpanTree, StatusCode, TraceId};
use rootspan_model::{conventions, keys};
use std::collections::HashMap;
use std::sync::Arc;

/// Where the clock starts unless told otherwise: 2025-01-01T00:00:00Z.
pub const DEFAULT_START_UNIX_NANO: u64 = 1_735_689_600_000_000_000;
/// How far the clock advances per appended span, and how long a span lasts, unless told
/// otherwise: 1 ms.
pub const DEFAULT_STEP_NS: u64 = 1_000_000;

/// The 8-byte OTLP span id of a builder id (big-endian).
pub fn span_id(id: u64) -> SpanId {
    id.to_be_bytes()
}

/// The lowercase hex span id of a builder id, as diagnoses print it.
pub fn span_id_hex(id: u64) -> String {
    rootspan_model::span_id_hex(&span_id(id))
}

/// Builds the spans of one trace. See the crate documentation for an example.
#[derive(Debug, Clone)]
pub struct TraceBuilder {
    trace_id: TraceId,
    resource: Resource,
    scope: Scope,
    project: Option<String>,
    spans: Vec<Span>,
    explicit_end: Vec<bool>,
    index_of: HashMap<u64, usize>,
    appended: u64,
    byte_ids: bool,
    clock: u64,
    step_ns: u64,
}

impl TraceBuilder {
    /// An empty trace with this id; service `unknown_service`, clock at
    /// [`DEFAULT_START_UNIX_NANO`], span ids 1, 2, 3, ...
    pub fn new(trace_id: TraceId) -> TraceBuilder {
        TraceBuilder {
            trace_id,
            resource: Resource::default(),
            scope: Scope::default(),
            project: None,
            spans: Vec::new(),
            explicit_end: Vec::new(),
            index_of: HashMap::new(),
            appended: 0,
            byte_ids: false,
            clock: DEFAULT_START_UNIX_NANO,
            step_ns: DEFAULT_STEP_NS,
        }
    }

    /// Sets the resource's `service.name`.
    pub fn service(self, name: &str) -> TraceBuilder {
        self.resource_attr(keys::SERVICE_NAME, name)
    }

    /// Sets (or replaces) a resource attribute.
    pub fn resource_attr(mut self, key: &str, value: impl Into<AnyValue>) -> TraceBuilder {
        let value = value.into();
        match self.resource.attributes.iter_mut().find(|kv| kv.key == key) {
            Some(existing) => existing.value = value,
            None => self.resource.attributes.push(KeyValue::new(key, value)),
        }
        self
    }

    /// Sets the instrumentation scope.
    pub fn scope(mut self, name: &str, version: &str) -> TraceBuilder {
        self.scope.name = name.to_owned();
        self.scope.version = version.to_owned();
        self
    }

    /// Puts every span into this project.
    pub fn project(mut self, project: &str) -> TraceBuilder {
        self.project = Some(project.to_owned());
        self
    }

    /// Starts the clock at `unix_nano`.
    pub fn start_at(mut self, unix_nano: u64) -> TraceBuilder {
        self.clock = unix_nano;
        self
    }

    /// Sets the clock step (and default span length), in nanoseconds.
    pub fn step(mut self, step_ns: u64) -> TraceBuilder {
        self.step_ns = step_ns;
        self
    }

    /// Gives the n-th appended span (1-based) the id whose eight bytes are all `n`
    /// (`0x0101010101010101`, `0x0202020202020202`, ...), as the hand-made test spans do. At most
    /// 255 spans.
    pub fn byte_ids(mut self) -> TraceBuilder {
        self.byte_ids = true;
        self
    }

    /// An agent invocation: `invoke_agent {name}`, `gen_ai.operation.name=invoke_agent`,
    /// `gen_ai.agent.name={name}`.
    pub fn agent(&mut self, parent: impl Into<Option<u64>>, name: &str) -> u64 {
        self.push(
            parent.into(),
            &format!("invoke_agent {name}"),
            vec![
                KeyValue::new(keys::GEN_AI_OPERATION_NAME, "invoke_agent".into()),
                KeyValue::new(keys::GEN_AI_AGENT_NAME, name.into()),
            ],
        )
    }

    /// A model call: `chat {model}`, `gen_ai.operation.name=chat`, `gen_ai.request.model`, the
    /// input and output messages (JSON, see [`crate::messages`]; left out when empty) and the
    /// `(input, output)` token usage when given.
    pub fn llm(
        &mut self,
        parent: impl Into<Option<u64>>,
        model: &str,
        input_messages: &str,
        output_messages: &str,
        tokens: Option<(i64, i64)>,
    ) -> u64 {
        let mut attributes = vec![
            KeyValue::new(keys::GEN_AI_OPERATION_NAME, "chat".into()),
            KeyValue::new(keys::GEN_AI_REQUEST_MODEL, model.into()),
        ];
        if let Some((input, output)) = tokens {
            attributes.push(KeyValue::new(keys::GEN_AI_USAGE_INPUT_TOKENS, AnyValue::Int(input)));
            attributes.push(KeyValue::new(keys::GEN_AI_USAGE_OUTPUT_TOKENS, AnyValue::Int(output)));
        }
        if !input_messages.is_empty() {
            attributes.push(KeyValue::new(keys::GEN_AI_INPUT_MESSAGES, input_messages.into()));
        }
        if !output_messages.is_empty() {
            attributes.push(KeyValue::new(keys::GEN_AI_OUTPUT_MESSAGES, output_messages.into()));
        }
        self.push(parent.into(), &format!("chat {model}"), attributes)
    }

    /// A tool execution: `execute_tool {tool_name}`, `gen_ai.operation.name=execute_tool`,
    /// `gen_ai.tool.name`, `gen_ai.tool.call.arguments` and `gen_ai.tool.call.result` (each left
    /// out when empty, i.e. not recorded).
    pub fn tool(&mut self, parent: impl Into<Option<u64>>, tool_name: &str, arguments: &str, result: &str) -> u64 {
        let mut attributes = vec![
            KeyValue::new(keys::GEN_AI_OPERATION_NAME, "execute_tool".into()),
            KeyValue::new(keys::GEN_AI_TOOL_NAME, tool_name.into()),
        ];
        if !arguments.is_empty() {
            attributes.push(KeyValue::new(keys::GEN_AI_TOOL_CALL_ARGUMENTS, arguments.into()));
        }
        if !result.is_empty() {
            attributes.push(KeyValue::new(keys::GEN_AI_TOOL_CALL_RESULT, result.into()));
        }
        self.push(parent.into(), &format!("execute_tool {tool_name}"), attributes)
    }

    /// A retrieval: `retrieve {source}`, `gen_ai.operation.name=retrieve`, the query as
    /// `input.value`, the documents `(id, content)` as OpenInference
    /// `retrieval.documents.N.document.{id,content}` and as a JSON array in `output.value`.
    pub fn retrieval(
        &mut self,
        parent: impl Into<Option<u64>>,
        source: &str,
        query: &str,
        documents: &[(&str, &str)],
    ) -> u64 {
        let mut attributes = vec![
            KeyValue::new(keys::GEN_AI_OPERATION_NAME, "retrieve".into()),
            KeyValue::new(keys::INPUT_VALUE, query.into()),
        ];
        for (index, (id, content)) in documents.iter().enumerate() {
            attributes.push(KeyValue::new(format!("retrieval.documents.{index}.document.id"), (*id).into()));
            attributes.push(KeyValue::new(format!("retrieval.documents.{index}.document.content"), (*content).into()));
        }
        let output: Vec<serde_json::Value> =
            documents.iter().map(|(id, content)| serde_json::json!({"id": id, "content": content})).collect();
        attributes.push(KeyValue::new(keys::OUTPUT_VALUE, serde_json::Value::Array(output).to_string().into()));
        self.push(parent.into(), &format!("retrieve {source}"), attributes)
    }

    /// A span with only a name (add attributes with [`TraceBuilder::attr`]).
    pub fn custom(&mut self, parent: impl Into<Option<u64>>, name: &str) -> u64 {
        self.push(parent.into(), name, Vec::new())
    }

    /// Status ERROR with this message.
    pub fn error(&mut self, id: u64, message: &str) -> &mut TraceBuilder {
        let span = self.span_mut(id);
        span.status.code = StatusCode::Error;
        span.status.message = message.to_owned();
        self
    }

    /// Status OK.
    pub fn ok(&mut self, id: u64) -> &mut TraceBuilder {
        self.span_mut(id).status.code = StatusCode::Ok;
        self
    }

    /// The `error.type` attribute.
    pub fn error_type(&mut self, id: u64, error_type: &str) -> &mut TraceBuilder {
        self.attr(id, keys::ERROR_TYPE, error_type)
    }

    /// An `exception` event (`exception.type`, left out when empty, and `exception.message`) at
    /// the span's end.
    pub fn exception(&mut self, id: u64, exception_type: &str, message: &str) -> &mut TraceBuilder {
        let span = self.span_mut(id);
        let mut attributes = Vec::new();
        if !exception_type.is_empty() {
            attributes.push(KeyValue::new(keys::EXCEPTION_TYPE, exception_type.into()));
        }
        attributes.push(KeyValue::new(keys::EXCEPTION_MESSAGE, message.into()));
        span.events.push(Event {
            time_unix_nano: span.end_time_unix_nano,
            name: "exception".to_owned(),
            attributes,
            dropped_attributes_count: 0,
        });
        self
    }

    /// Sets (or replaces) a span attribute.
    pub fn attr(&mut self, id: u64, key: &str, value: impl Into<AnyValue>) -> &mut TraceBuilder {
        let value = value.into();
        let span = self.span_mut(id);
        match span.attributes.iter_mut().find(|kv| kv.key == key) {
            Some(existing) => existing.value = value,
            None => span.attributes.push(KeyValue::new(key, value)),
        }
        self
    }

    /// `gen_ai.response.finish_reasons` of a model call.
    pub fn finish_reasons(&mut self, id: u64, reasons: &[&str]) -> &mut TraceBuilder {
        let reasons = reasons.iter().map(|reason| AnyValue::from(*reason)).collect();
        self.attr(id, keys::GEN_AI_RESPONSE_FINISH_REASONS, AnyValue::Array(reasons))
    }

    /// `gen_ai.tool.definitions` of a model call (JSON text, OpenAI `tools` shape).
    pub fn tool_definitions(&mut self, id: u64, definitions: &str) -> &mut TraceBuilder {
        self.attr(id, keys::GEN_AI_TOOL_DEFINITIONS, definitions)
    }

    /// `gen_ai.tool.call.id` of a tool span.
    pub fn call_id(&mut self, id: u64, call_id: &str) -> &mut TraceBuilder {
        self.attr(id, keys::GEN_AI_TOOL_CALL_ID, call_id)
    }

    /// Explicit start and end times; the end is then never stretched over children.
    pub fn times(&mut self, id: u64, start_unix_nano: u64, end_unix_nano: u64) -> &mut TraceBuilder {
        let index = self.index(id);
        self.spans[index].start_time_unix_nano = start_unix_nano;
        self.spans[index].end_time_unix_nano = end_unix_nano;
        self.explicit_end[index] = true;
        self
    }

    /// An explicit duration from the span's start; the end is then never stretched over children.
    pub fn duration(&mut self, id: u64, duration_ns: u64) -> &mut TraceBuilder {
        let index = self.index(id);
        self.spans[index].end_time_unix_nano = self.spans[index].start_time_unix_nano + duration_ns;
        self.explicit_end[index] = true;
        self
    }

    /// Moves the clock forward (a pause before the next span).
    pub fn wait(&mut self, duration_ns: u64) -> &mut TraceBuilder {
        self.clock += duration_ns;
        self
    }

    /// The span with this id, to change what no modifier covers.
    pub fn span_mut(&mut self, id: u64) -> &mut Span {
        let index = self.index(id);
        &mut self.spans[index]
    }

    /// How many spans were appended.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span was appended.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The spans, in the order they were appended, parents stretched over their children and
    /// every span normalised.
    pub fn build(mut self) -> Vec<Span> {
        // Children are appended after their parents, so one backwards pass settles every end.
        for index in (0..self.spans.len()).rev() {
            let Some(parent) = self.spans[index].parent_span_id.and_then(|p| self.index_of.get(&u64::from_be_bytes(p)))
            else {
                continue;
            };
            let parent = *parent;
            if parent < index && !self.explicit_end[parent] {
                let end = self.spans[index].end_time_unix_nano;
                let parent_span = &mut self.spans[parent];
                parent_span.end_time_unix_nano = parent_span.end_time_unix_nano.max(end);
            }
        }
        let resource = Arc::new(self.resource);
        let scope = Arc::new(self.scope);
        for span in &mut self.spans {
            span.resource = Arc::clone(&resource);
            span.scope = Arc::clone(&scope);
            if let Some(project) = &self.project {
                span.project.clone_from(project);
            }
            conventions::normalize(span);
        }
        self.spans
    }

    /// The trace as a [`SpanTree`].
    pub fn tree(self) -> SpanTree {
        SpanTree::build(self.build())
    }

    fn next_id(&mut self) -> u64 {
        self.appended += 1;
        if self.byte_ids {
            let byte = u8::try_from(self.appended).expect("byte_ids() allows at most 255 spans");
            u64::from_be_bytes([byte; 8])
        } else {
            self.appended
        }
    }

    fn push(&mut self, parent: Option<u64>, name: &str, attributes: Vec<KeyValue>) -> u64 {
        let id = self.next_id();
        let mut span = Span::new(self.trace_id, span_id(id), name);
        span.parent_span_id = parent.map(span_id);
        span.start_time_unix_nano = self.clock;
        span.end_time_unix_nano = self.clock + self.step_ns;
        span.attributes = attributes;
        self.clock += self.step_ns;
        self.index_of.insert(id, self.spans.len());
        self.spans.push(span);
        self.explicit_end.push(false);
        id
    }

    fn index(&self, id: u64) -> usize {
        match self.index_of.get(&id) {
            Some(index) => *index,
            None => panic!("no span with id {id} in this trace builder"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::SpanKind;

    #[test]
    fn ids_clock_and_kinds() {
        let mut trace = TraceBuilder::new([1; 16]).service("svc").project("p").start_at(1_000).step(10);
        let root = trace.agent(None, "planner");
        let search = trace.retrieval(root, "kb", "refund policy", &[("doc-1", "Refunds within 30 days.")]);
        let tool = trace.tool(root, "lookup", r#"{"q":"x"}"#, "");
        trace.exception(tool, "TimeoutError", "lookup timed out").error_type(tool, "TimeoutError");
        assert_eq!((root, search, tool), (1, 2, 3));
        let spans = trace.build();
        assert_eq!(spans[0].gen_ai.kind, SpanKind::Agent);
        assert_eq!(spans[0].gen_ai.agent_name.as_deref(), Some("planner"));
        assert_eq!((spans[0].start_time_unix_nano, spans[0].end_time_unix_nano), (1_000, 1_030));
        assert_eq!(spans[1].gen_ai.kind, SpanKind::Retrieval);
        assert!(spans[1].gen_ai.output_text.as_deref().is_some_and(|t| t.contains("doc-1")));
        assert_eq!((spans[2].start_time_unix_nano, spans[2].end_time_unix_nano), (1_020, 1_030));
        assert_eq!(spans[2].gen_ai.tool_result, None, "an empty result is not recorded");
        assert_eq!(spans[2].gen_ai.error_type.as_deref(), Some("TimeoutError"));
        assert_eq!(spans[2].gen_ai.error_message.as_deref(), Some("lookup timed out"));
        assert!(spans.iter().all(|s| s.service_name() == "svc" && s.project == "p"));
    }

    #[test]
    fn byte_ids_and_explicit_times() {
        let mut trace = TraceBuilder::new([9; 16]).byte_ids();
        let root = trace.agent(None, "a");
        trace.times(root, 0, 5);
        let child = trace.custom(root, "late");
        trace.times(child, 10, 20).attr(child, "confidence", AnyValue::Double(0.5));
        assert_eq!(child, 0x0202_0202_0202_0202);
        assert_eq!(span_id_hex(child), "0202020202020202");
        let tree = trace.tree();
        assert_eq!(tree.spans[0].end_time_unix_nano, 5, "an explicit end is kept");
        assert_eq!(tree.parent[1], Some(0));
    }
}
