//! The stored span: every OTLP field, plus the project it belongs to, the log records attached to
//! it, and the derived [`GenAi`] view.

use crate::genai::GenAi;
use crate::ids::{SpanId, TraceId};
use crate::value::{AnyValue, KeyValue, find};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// OTLP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    pub fn from_i32(code: i32) -> Self {
        match code {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }
    pub fn as_i32(self) -> i32 {
        match self {
            StatusCode::Unset => 0,
            StatusCode::Ok => 1,
            StatusCode::Error => 2,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
}

/// OTLP span status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Status {
    pub code: StatusCode,
    pub message: String,
}

/// An OTLP resource (who emitted the span).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Resource {
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
}

impl Resource {
    /// `service.name`, or "unknown_service" as the SDKs do.
    pub fn service_name(&self) -> &str {
        find(&self.attributes, "service.name").and_then(AnyValue::as_str).unwrap_or("unknown_service")
    }
}

/// An OTLP instrumentation scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Scope {
    pub name: String,
    pub version: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
}

/// A span event (exceptions, GenAI prompt/completion events, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Event {
    pub time_unix_nano: u64,
    pub name: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
}

/// A span link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub flags: u32,
}

/// An OTLP log record attached to a span (GenAI instrumentations emit prompts, completions and
/// tool messages this way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LogRecord {
    pub time_unix_nano: u64,
    pub observed_time_unix_nano: u64,
    pub severity_number: i32,
    pub severity_text: String,
    pub body: AnyValue,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub flags: u32,
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub event_name: String,
    pub resource: Arc<Resource>,
    pub scope: Arc<Scope>,
}

/// One span, lossless with respect to OTLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// `None` for a root span (OTLP: empty parent id).
    pub parent_span_id: Option<SpanId>,
    pub trace_state: String,
    pub flags: u32,
    pub name: String,
    /// OTLP `SpanKind` number (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
    pub kind: i32,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub events: Vec<Event>,
    pub dropped_events_count: u32,
    pub links: Vec<Link>,
    pub dropped_links_count: u32,
    pub status: Status,
    pub resource: Arc<Resource>,
    pub scope: Arc<Scope>,
    /// The project this span belongs to ([`crate::DEFAULT_PROJECT`] unless named).
    pub project: String,
    /// Log records carrying this span's trace and span id.
    pub logs: Vec<LogRecord>,
    /// Derived view; recomputed by [`crate::conventions::normalize`], never stored.
    #[serde(skip)]
    pub gen_ai: GenAi,
}

impl Span {
    /// A bare span with the given ids and name; everything else empty.
    pub fn new(trace_id: TraceId, span_id: SpanId, name: impl Into<String>) -> Self {
        Span {
            trace_id,
            span_id,
            parent_span_id: None,
            trace_state: String::new(),
            flags: 0,
            name: name.into(),
            kind: 0,
            start_time_unix_nano: 0,
            end_time_unix_nano: 0,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Vec::new(),
            dropped_events_count: 0,
            links: Vec::new(),
            dropped_links_count: 0,
            status: Status::default(),
            resource: Arc::new(Resource::default()),
            scope: Arc::new(Scope::default()),
            project: crate::DEFAULT_PROJECT.to_owned(),
            logs: Vec::new(),
            gen_ai: GenAi::default(),
        }
    }

    /// The first attribute with this key.
    pub fn attr(&self, key: &str) -> Option<&AnyValue> {
        find(&self.attributes, key)
    }

    /// The first string attribute with this key.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(AnyValue::as_str)
    }

    /// Duration in nanoseconds; 0 when the clock went backwards (clock skew never panics).
    pub fn duration_ns(&self) -> u64 {
        self.end_time_unix_nano.saturating_sub(self.start_time_unix_nano)
    }

    /// `service.name` of the resource.
    pub fn service_name(&self) -> &str {
        self.resource.service_name()
    }

    /// Whether the span failed by its own account: ERROR status, or an exception event.
    pub fn is_error(&self) -> bool {
        self.status.code == StatusCode::Error
    }
}
