//! JSON views of traces shared by every adapter (`show --json`, `GET /api/traces/{id}`), so they
//! cannot differ.

use rootspan_model::{AnyValue, GenAi, KeyValue, Span, SpanTree, TraceSummary, span_id_hex, trace_id_hex};
use serde::Serialize;
use serde_json::{Map, Value};

/// One span, as shown.
#[derive(Debug, Serialize)]
pub struct SpanView {
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub depth: u64,
    /// The parent id names a span that is not in the trace.
    pub orphan: bool,
    pub name: String,
    /// Normalised kind: agent, llm, tool, retrieval, embedding, workflow, handoff, guardrail, other.
    pub kind: &'static str,
    pub service: String,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub duration_ns: u64,
    /// unset, ok or error.
    pub status: &'static str,
    pub status_message: String,
    pub model: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    pub tool_name: Option<String>,
    pub agent_name: Option<String>,
    pub error_type: Option<String>,
    pub error_message: Option<String>,
    /// Raw attributes as a JSON object (values in plain JSON form).
    pub attributes: Map<String, Value>,
    pub events: Vec<Value>,
    pub log_count: usize,
    /// The full normalised view (messages, tool call, session, components).
    pub gen_ai: GenAi,
}

/// What identifies a trace in every view of it: ids, the root's project, service and name, and
/// its time span.
#[derive(Debug, Clone, Serialize)]
pub struct TraceHeader {
    pub trace_id: String,
    pub project: String,
    pub service: String,
    pub root_name: String,
    pub start_time_unix_nano: u64,
    pub duration_ns: u64,
}

impl TraceHeader {
    /// The header of a tree (empty strings for an empty tree).
    pub fn of(tree: &SpanTree) -> TraceHeader {
        let root = tree.root();
        let start = tree.spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
        let end = tree.spans.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(0).max(start);
        TraceHeader {
            trace_id: root.map(|r| trace_id_hex(&r.trace_id)).unwrap_or_default(),
            project: root.map(|r| r.project.clone()).unwrap_or_default(),
            service: root.map(|r| r.service_name().to_owned()).unwrap_or_default(),
            root_name: root.map(|r| r.name.clone()).unwrap_or_default(),
            start_time_unix_nano: start,
            duration_ns: end - start,
        }
    }
}

/// A whole trace, as shown.
#[derive(Debug, Serialize)]
pub struct TraceView {
    #[serde(flatten)]
    pub header: TraceHeader,
    pub summary: TraceSummary,
    /// Spans in tree order (depth-first, children by start time).
    pub spans: Vec<SpanView>,
}

fn attributes_object(attributes: &[KeyValue]) -> Map<String, Value> {
    attributes.iter().map(|kv| (kv.key.clone(), kv.value.to_json())).collect()
}

fn events_json(span: &Span) -> Vec<Value> {
    span.events
        .iter()
        .map(|event| {
            serde_json::json!({
                "name": event.name,
                "time_unix_nano": event.time_unix_nano,
                "attributes": AnyValue::KvList(event.attributes.clone()).to_json(),
            })
        })
        .collect()
}

fn span_view(tree: &SpanTree, index: usize) -> SpanView {
    let span: &Span = &tree.spans[index];
    let view = &span.gen_ai;
    SpanView {
        span_id: span_id_hex(&span.span_id),
        parent_span_id: span.parent_span_id.as_ref().map(span_id_hex),
        depth: tree.depth[index],
        orphan: tree.orphan[index],
        name: span.name.clone(),
        kind: view.kind.as_str(),
        service: span.service_name().to_owned(),
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        duration_ns: span.duration_ns(),
        status: span.status.code.as_str(),
        status_message: span.status.message.clone(),
        model: view.model.clone(),
        input_tokens: view.input_tokens,
        output_tokens: view.output_tokens,
        cost_usd: view.cost_usd,
        tool_name: view.tool_name.clone(),
        agent_name: view.agent_name.clone(),
        error_type: view.error_type.clone(),
        error_message: view.error_message.clone(),
        attributes: attributes_object(&span.attributes),
        events: events_json(span),
        log_count: span.logs.len(),
        gen_ai: view.clone(),
    }
}

/// Builds the view of a trace.
pub fn trace_view(tree: &SpanTree) -> TraceView {
    TraceView {
        header: TraceHeader::of(tree),
        summary: tree.summary(),
        spans: tree.preorder().into_iter().map(|index| span_view(tree, index)).collect(),
    }
}

/// One span of a page: the narrow columns, no payloads (`GET /api/traces/{id}/spans`).
#[derive(Debug, Serialize)]
pub struct SpanRowView {
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: &'static str,
    pub service: String,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub duration_ns: u64,
    pub status: &'static str,
    pub model: Option<String>,
    pub tool_name: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    pub session_id: Option<String>,
}

impl SpanRowView {
    pub fn from_row(row: &rootspan_store::rows::SpanRow) -> SpanRowView {
        SpanRowView {
            span_id: span_id_hex(&row.span_id),
            parent_span_id: row.parent_span_id.as_ref().map(span_id_hex),
            name: row.name.clone(),
            kind: row.kind.as_str(),
            service: row.service.clone(),
            start_time_unix_nano: row.start_time_unix_nano,
            end_time_unix_nano: row.end_time_unix_nano,
            duration_ns: row.end_time_unix_nano.saturating_sub(row.start_time_unix_nano),
            status: row.status.as_str(),
            model: row.model.clone(),
            tool_name: row.tool.clone(),
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cost_usd: row.cost_usd,
            session_id: row.session_id.clone(),
        }
    }
}

/// A page of a trace's spans, and the cursor of the next page (`null` after the last).
#[derive(Debug, Serialize)]
pub struct SpanPage {
    pub trace_id: String,
    pub spans: Vec<SpanRowView>,
    pub next_cursor: Option<String>,
}

/// One span's whole payload (`GET /api/traces/{id}/spans/{span_id}`): raw attributes, events,
/// the resource and scope, log records, and the normalised view with messages and tool calls.
#[derive(Debug, Serialize)]
pub struct SpanPayload {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: &'static str,
    pub service: String,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub duration_ns: u64,
    pub status: &'static str,
    pub status_message: String,
    pub attributes: Map<String, Value>,
    pub events: Vec<Value>,
    pub resource: Map<String, Value>,
    pub scope: Value,
    pub logs: Vec<Value>,
    pub gen_ai: GenAi,
}

/// The payload view of one span.
pub fn span_payload(span: &Span) -> SpanPayload {
    SpanPayload {
        trace_id: trace_id_hex(&span.trace_id),
        span_id: span_id_hex(&span.span_id),
        parent_span_id: span.parent_span_id.as_ref().map(span_id_hex),
        name: span.name.clone(),
        kind: span.gen_ai.kind.as_str(),
        service: span.service_name().to_owned(),
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        duration_ns: span.duration_ns(),
        status: span.status.code.as_str(),
        status_message: span.status.message.clone(),
        attributes: attributes_object(&span.attributes),
        events: events_json(span),
        resource: attributes_object(&span.resource.attributes),
        scope: serde_json::json!({"name": span.scope.name, "version": span.scope.version}),
        logs: span
            .logs
            .iter()
            .map(|log| {
                serde_json::json!({
                    "time_unix_nano": log.time_unix_nano,
                    "event_name": log.event_name,
                    "severity_text": log.severity_text,
                    "body": log.body.to_json(),
                    "attributes": AnyValue::KvList(log.attributes.clone()).to_json(),
                })
            })
            .collect(),
        gen_ai: span.gen_ai.clone(),
    }
}
