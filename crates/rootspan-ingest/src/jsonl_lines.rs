//! The line shapes of the native JSONL format: borrowed `*Out` structs for writing and owned
//! `*In` structs for reading, and the conversions to and from the model.

use crate::jsonl_value::{Attrs, AttrsRef, Val, ValRef};
use rootspan_model::{
    Event, Link, LogRecord, Resource, Scope, Span, SpanId, Status, StatusCode, TraceId, parse_span_id, parse_trace_id,
    span_id_hex, trace_id_hex,
};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[derive(Serialize)]
pub struct SpanOut<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: &'a str,
    kind: i32,
    start_time_unix_nano: u64,
    end_time_unix_nano: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    trace_state: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    flags: u32,
    project: &'a str,
    status: StatusOut<'a>,
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<EventOut<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_events_count: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<LinkOut<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_links_count: u32,
    resource: ResourceOut<'a>,
    scope: ScopeOut<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logs: Vec<LogOut<'a>>,
}

#[derive(Serialize)]
struct StatusOut<'a> {
    code: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

#[derive(Serialize)]
struct EventOut<'a> {
    time_unix_nano: u64,
    name: &'a str,
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
}

#[derive(Serialize)]
struct LinkOut<'a> {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    trace_state: &'a str,
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
    #[serde(skip_serializing_if = "is_zero")]
    flags: u32,
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
    #[serde(skip_serializing_if = "str::is_empty")]
    schema_url: &'a str,
}

#[derive(Serialize)]
struct ScopeOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    #[serde(skip_serializing_if = "AttrsRef::is_empty")]
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
    #[serde(skip_serializing_if = "str::is_empty")]
    schema_url: &'a str,
}

#[derive(Serialize)]
pub struct LogOut<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    tag: Option<&'static str>,
    trace_id: String,
    span_id: String,
    time_unix_nano: u64,
    #[serde(skip_serializing_if = "is_zero")]
    observed_time_unix_nano: u64,
    #[serde(skip_serializing_if = "is_zero")]
    severity_number: i32,
    #[serde(skip_serializing_if = "str::is_empty")]
    severity_text: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    event_name: &'a str,
    body: ValRef<'a>,
    attributes: AttrsRef<'a>,
    #[serde(skip_serializing_if = "is_zero")]
    dropped_attributes_count: u32,
    #[serde(skip_serializing_if = "is_zero")]
    flags: u32,
    resource: ResourceOut<'a>,
    scope: ScopeOut<'a>,
}

fn resource_out(resource: &Resource) -> ResourceOut<'_> {
    ResourceOut {
        attributes: AttrsRef(&resource.attributes),
        dropped_attributes_count: resource.dropped_attributes_count,
        schema_url: &resource.schema_url,
    }
}

fn scope_out(scope: &Scope) -> ScopeOut<'_> {
    ScopeOut {
        name: &scope.name,
        version: &scope.version,
        attributes: AttrsRef(&scope.attributes),
        dropped_attributes_count: scope.dropped_attributes_count,
        schema_url: &scope.schema_url,
    }
}

/// The write shape of a span line.
pub fn span_out(span: &Span) -> SpanOut<'_> {
    SpanOut {
        tag: "span",
        trace_id: trace_id_hex(&span.trace_id),
        span_id: span_id_hex(&span.span_id),
        parent_span_id: span.parent_span_id.as_ref().map(span_id_hex),
        name: &span.name,
        kind: span.kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        trace_state: &span.trace_state,
        flags: span.flags,
        project: &span.project,
        status: StatusOut { code: span.status.code.as_str(), message: &span.status.message },
        attributes: AttrsRef(&span.attributes),
        dropped_attributes_count: span.dropped_attributes_count,
        events: span
            .events
            .iter()
            .map(|event| EventOut {
                time_unix_nano: event.time_unix_nano,
                name: &event.name,
                attributes: AttrsRef(&event.attributes),
                dropped_attributes_count: event.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: span.dropped_events_count,
        links: span
            .links
            .iter()
            .map(|link| LinkOut {
                trace_id: trace_id_hex(&link.trace_id),
                span_id: span_id_hex(&link.span_id),
                trace_state: &link.trace_state,
                attributes: AttrsRef(&link.attributes),
                dropped_attributes_count: link.dropped_attributes_count,
                flags: link.flags,
            })
            .collect(),
        dropped_links_count: span.dropped_links_count,
        resource: resource_out(&span.resource),
        scope: scope_out(&span.scope),
        logs: span.logs.iter().map(|log| log_out(log, false)).collect(),
    }
}

/// The write shape of a log record (`tagged`: as a line of its own, with `"type":"log"`).
pub fn log_out(log: &LogRecord, tagged: bool) -> LogOut<'_> {
    LogOut {
        tag: tagged.then_some("log"),
        trace_id: trace_id_hex(&log.trace_id),
        span_id: span_id_hex(&log.span_id),
        time_unix_nano: log.time_unix_nano,
        observed_time_unix_nano: log.observed_time_unix_nano,
        severity_number: log.severity_number,
        severity_text: &log.severity_text,
        event_name: &log.event_name,
        body: ValRef(&log.body),
        attributes: AttrsRef(&log.attributes),
        dropped_attributes_count: log.dropped_attributes_count,
        flags: log.flags,
        resource: resource_out(&log.resource),
        scope: scope_out(&log.scope),
    }
}

// ---- reading ----

/// One parsed line.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LineIn {
    Span(Box<SpanIn>),
    Log(Box<LogIn>),
    /// Reserved for deterministic replay; ignored by the importer.
    Recording {},
}

fn trace_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TraceId, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_trace_id(&text).map_err(de::Error::custom)
}

fn span_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SpanId, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_span_id(&text).map_err(de::Error::custom)
}

fn parent_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SpanId>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        // All zeroes marks a root span, as in OTLP.
        Some(text) => {
            parse_span_id(&text).map(|id| id.iter().any(|b| *b != 0).then_some(id)).map_err(de::Error::custom)
        }
    }
}

fn status_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StatusCode, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.to_ascii_lowercase().as_str() {
        "unset" | "" => Ok(StatusCode::Unset),
        "ok" => Ok(StatusCode::Ok),
        "error" => Ok(StatusCode::Error),
        _ => Err(de::Error::custom(format!("status.code {text:?}: expected \"unset\", \"ok\" or \"error\""))),
    }
}

#[derive(Deserialize)]
pub struct SpanIn {
    #[serde(deserialize_with = "trace_hex")]
    trace_id: TraceId,
    #[serde(deserialize_with = "span_hex")]
    span_id: SpanId,
    #[serde(default, deserialize_with = "parent_hex")]
    parent_span_id: Option<SpanId>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: i32,
    #[serde(default)]
    start_time_unix_nano: u64,
    #[serde(default)]
    end_time_unix_nano: u64,
    #[serde(default)]
    trace_state: String,
    #[serde(default)]
    flags: u32,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    status: StatusIn,
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
    #[serde(default)]
    events: Vec<EventIn>,
    #[serde(default)]
    dropped_events_count: u32,
    #[serde(default)]
    links: Vec<LinkIn>,
    #[serde(default)]
    dropped_links_count: u32,
    #[serde(default)]
    resource: ResourceIn,
    #[serde(default)]
    scope: ScopeIn,
    #[serde(default)]
    logs: Vec<LogIn>,
}

#[derive(Deserialize, Default)]
struct StatusIn {
    #[serde(default, deserialize_with = "status_code")]
    code: StatusCode,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct EventIn {
    #[serde(default)]
    time_unix_nano: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
}

#[derive(Deserialize)]
struct LinkIn {
    #[serde(deserialize_with = "trace_hex")]
    trace_id: TraceId,
    #[serde(deserialize_with = "span_hex")]
    span_id: SpanId,
    #[serde(default)]
    trace_state: String,
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
    #[serde(default)]
    flags: u32,
}

#[derive(Deserialize, Default, PartialEq)]
pub struct ResourceIn {
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
    #[serde(default)]
    schema_url: String,
}

#[derive(Deserialize, Default, PartialEq)]
pub struct ScopeIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
    #[serde(default)]
    schema_url: String,
}

#[derive(Deserialize)]
pub struct LogIn {
    #[serde(default, deserialize_with = "trace_hex")]
    trace_id: TraceId,
    #[serde(default, deserialize_with = "span_hex")]
    span_id: SpanId,
    #[serde(default)]
    time_unix_nano: u64,
    #[serde(default)]
    observed_time_unix_nano: u64,
    #[serde(default)]
    severity_number: i32,
    #[serde(default)]
    severity_text: String,
    #[serde(default)]
    event_name: String,
    #[serde(default)]
    body: Val,
    #[serde(default)]
    attributes: Attrs,
    #[serde(default)]
    dropped_attributes_count: u32,
    #[serde(default)]
    flags: u32,
    #[serde(default)]
    resource: ResourceIn,
    #[serde(default)]
    scope: ScopeIn,
}

/// Shares equal resources and scopes between the items of one file.
#[derive(Default)]
pub struct Interner {
    resources: Vec<Arc<Resource>>,
    scopes: Vec<Arc<Scope>>,
}

impl Interner {
    pub fn resource(&mut self, input: ResourceIn) -> Arc<Resource> {
        let resource = Resource {
            attributes: input.attributes.0,
            dropped_attributes_count: input.dropped_attributes_count,
            schema_url: input.schema_url,
        };
        if let Some(found) = self.resources.iter().rev().take(16).find(|r| ***r == resource) {
            return Arc::clone(found);
        }
        let shared = Arc::new(resource);
        self.resources.push(Arc::clone(&shared));
        shared
    }

    pub fn scope(&mut self, input: ScopeIn) -> Arc<Scope> {
        let scope = Scope {
            name: input.name,
            version: input.version,
            attributes: input.attributes.0,
            dropped_attributes_count: input.dropped_attributes_count,
            schema_url: input.schema_url,
        };
        if let Some(found) = self.scopes.iter().rev().take(16).find(|s| ***s == scope) {
            return Arc::clone(found);
        }
        let shared = Arc::new(scope);
        self.scopes.push(Arc::clone(&shared));
        shared
    }
}

impl SpanIn {
    /// The model span (not yet normalised); `project` decides when the line names none.
    pub fn into_span(self, interner: &mut Interner, project: impl FnOnce(&Resource) -> String) -> Span {
        let resource = interner.resource(self.resource);
        let scope = interner.scope(self.scope);
        let logs = self.logs.into_iter().map(|log| log.into_log(interner)).collect();
        let project = self.project.filter(|p| !p.is_empty()).unwrap_or_else(|| project(&resource));
        Span {
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            trace_state: self.trace_state,
            flags: self.flags,
            name: self.name,
            kind: self.kind,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            attributes: self.attributes.0,
            dropped_attributes_count: self.dropped_attributes_count,
            events: self
                .events
                .into_iter()
                .map(|e| Event {
                    time_unix_nano: e.time_unix_nano,
                    name: e.name,
                    attributes: e.attributes.0,
                    dropped_attributes_count: e.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: self.dropped_events_count,
            links: self
                .links
                .into_iter()
                .map(|l| Link {
                    trace_id: l.trace_id,
                    span_id: l.span_id,
                    trace_state: l.trace_state,
                    attributes: l.attributes.0,
                    dropped_attributes_count: l.dropped_attributes_count,
                    flags: l.flags,
                })
                .collect(),
            dropped_links_count: self.dropped_links_count,
            status: Status { code: self.status.code, message: self.status.message },
            resource,
            scope,
            project,
            logs,
            gen_ai: Default::default(),
        }
    }
}

impl LogIn {
    pub fn into_log(self, interner: &mut Interner) -> LogRecord {
        LogRecord {
            time_unix_nano: self.time_unix_nano,
            observed_time_unix_nano: self.observed_time_unix_nano,
            severity_number: self.severity_number,
            severity_text: self.severity_text,
            body: self.body.0,
            attributes: self.attributes.0,
            dropped_attributes_count: self.dropped_attributes_count,
            flags: self.flags,
            trace_id: self.trace_id,
            span_id: self.span_id,
            event_name: self.event_name,
            resource: interner.resource(self.resource),
            scope: interner.scope(self.scope),
        }
    }
}
