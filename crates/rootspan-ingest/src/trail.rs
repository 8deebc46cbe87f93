//! TRAIL (Patronus AI) traces: `{trace_id, spans: [...]}` with nested `child_spans`, flat
//! OpenInference `span_attributes`, ISO-8601 `timestamp` and `duration`, and `logs` that become
//! [`LogRecord`]s attached to their span.
//!
//! Span ids are kept as given (16 hex digits -> the same 8 bytes; anything else is hashed with
//! [`span_id_from_text`]), so annotation `location`s match `span_id_hex(span.span_id)`. Parents
//! come from `parent_span_id`, else from the nesting. The walk is iterative (no recursion).

use crate::decoded::{Decoded, finish_truncation, project_for};
use crate::error::IngestError;
use crate::iso8601::{parse_duration_ns, parse_timestamp_ns};
use crate::otlp_traces::{cap_span, short};
use crate::values::cap_attributes;
use rootspan_model::ids::{span_id_from_text, trace_id_from_text};
use rootspan_model::{
    AnyValue, Event, KeyValue, Link, LogRecord, Resource, Scope, Span, SpanId, Status, StatusCode, TraceId, conventions,
};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Imports one TRAIL trace file. Spans that are not objects or have no `span_id` are rejected
/// (counted, with their path); everything else is kept.
pub fn import_trail(bytes: &[u8], project_hint: Option<&str>) -> Result<Decoded<Span>, IngestError> {
    let root: Value =
        serde_json::from_slice(bytes).map_err(|error| IngestError::malformed(format!("TRAIL JSON: {error}")))?;
    let Value::Object(root) = root else {
        return Err(IngestError::malformed("TRAIL: expected a JSON object {trace_id, spans}"));
    };
    let Some(Value::Array(top)) = root.get("spans") else {
        return Err(IngestError::malformed("TRAIL: missing array \"spans\""));
    };
    let file_trace = root.get("trace_id").and_then(Value::as_str).unwrap_or("");
    let mut context = Context { decoded: Decoded::default(), interned: Interned::default(), project_hint };
    // (span json, path, nesting parent)
    let mut stack: Vec<(&Value, String, Option<SpanId>)> =
        top.iter().enumerate().rev().map(|(i, span)| (span, format!("spans[{i}]"), None)).collect();
    while let Some((value, path, nesting_parent)) = stack.pop() {
        let Value::Object(object) = value else {
            context.decoded.reject(format!("{path}: expected a span object"));
            continue;
        };
        let Some(id_text) = text(object, "span_id").filter(|id| !id.is_empty()) else {
            context
                .decoded
                .reject(format!("{path}.span_id: missing (span {:?})", short(text(object, "span_name").unwrap_or(""))));
            continue;
        };
        let span_id = span_id_from_text(id_text);
        let span = context.span(object, &path, file_trace, span_id, nesting_parent);
        context.decoded.items.push(span);
        if let Some(Value::Array(children)) = object.get("child_spans") {
            for (i, child) in children.iter().enumerate().rev() {
                stack.push((child, format!("{path}.child_spans[{i}]"), Some(span_id)));
            }
        }
    }
    Ok(context.decoded)
}

struct Context<'a> {
    decoded: Decoded<Span>,
    interned: Interned,
    project_hint: Option<&'a str>,
}

/// Resources and scopes shared between spans of one file.
#[derive(Default)]
struct Interned {
    resources: Vec<Arc<Resource>>,
    scopes: Vec<Arc<Scope>>,
}

impl Interned {
    fn resource(&mut self, resource: Resource) -> Arc<Resource> {
        if let Some(found) = self.resources.iter().rev().take(16).find(|r| ***r == resource) {
            return Arc::clone(found);
        }
        let shared = Arc::new(resource);
        self.resources.push(Arc::clone(&shared));
        shared
    }
    fn scope(&mut self, scope: Scope) -> Arc<Scope> {
        if let Some(found) = self.scopes.iter().rev().take(16).find(|s| ***s == scope) {
            return Arc::clone(found);
        }
        let shared = Arc::new(scope);
        self.scopes.push(Arc::clone(&shared));
        shared
    }
}

impl Context<'_> {
    fn span(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        file_trace: &str,
        span_id: SpanId,
        nesting_parent: Option<SpanId>,
    ) -> Span {
        let trace_id: TraceId =
            trace_id_from_text(text(object, "trace_id").filter(|t| !t.is_empty()).unwrap_or(file_trace));
        let parent_span_id = match object.get("parent_span_id") {
            Some(Value::String(parent)) if !is_none_text(parent) => Some(span_id_from_text(parent.trim())),
            Some(Value::String(_)) | Some(Value::Null) => None,
            _ => nesting_parent,
        };
        let mut notes = Vec::new();
        let start = time_field(object.get("timestamp"), &mut notes, path, "timestamp");
        let duration = match object.get("duration") {
            Some(Value::String(duration)) => parse_duration_ns(duration).unwrap_or_else(|| {
                notes.push(format!("{path}.duration: not an ISO-8601 duration: {:?}", short(duration)));
                0
            }),
            Some(Value::Number(seconds)) => seconds.as_f64().map(|s| (s.max(0.0) * 1e9) as u64).unwrap_or(0),
            _ => 0,
        };
        let (resource, scope) = self.resource_and_scope(object, "resource_attributes", "scope_attributes");
        let mut span =
            Span::new(trace_id, span_id, text(object, "span_name").or_else(|| text(object, "name")).unwrap_or(""));
        span.parent_span_id = parent_span_id;
        span.trace_state = text(object, "trace_state").unwrap_or("").to_owned();
        span.kind = span_kind(object.get("span_kind"));
        span.start_time_unix_nano = start;
        span.end_time_unix_nano = start.saturating_add(duration);
        span.attributes = attributes(object.get("span_attributes"));
        span.status = Status {
            code: status_code(text(object, "status_code").unwrap_or("")),
            message: text(object, "status_message").unwrap_or("").to_owned(),
        };
        span.events = list(object.get("events"))
            .map(|event| Event {
                time_unix_nano: time_field(
                    field(&event, &["Timestamp", "timestamp", "time"]),
                    &mut notes,
                    path,
                    "events[].Timestamp",
                ),
                name: field(&event, &["Name", "name"]).and_then(Value::as_str).unwrap_or("").to_owned(),
                attributes: attributes(field(&event, &["Attributes", "attributes"])),
                dropped_attributes_count: 0,
            })
            .collect();
        span.links = list(object.get("links")).map(link).collect();
        span.project = project_for(self.project_hint, &resource);
        span.resource = resource;
        span.scope = scope;
        let logs: Vec<LogRecord> =
            list(object.get("logs")).map(|log| self.log(&log, trace_id, span_id, &mut notes, path)).collect();
        span.logs = logs;
        let mut cut = cap_span(&mut span, Vec::new());
        for (l, log) in span.logs.iter_mut().enumerate() {
            cap_attributes(&mut log.attributes, &format!("logs[{l}]."), &mut cut);
            if crate::values::cap_value(&mut log.body) {
                cut.push(format!("logs[{l}].body"));
            }
        }
        finish_truncation(&mut self.decoded, &mut span.attributes, cut, path);
        for note in notes {
            self.decoded.note(note);
        }
        conventions::normalize(&mut span);
        span
    }

    fn resource_and_scope(
        &mut self,
        object: &Map<String, Value>,
        resource_key: &str,
        scope_key: &str,
    ) -> (Arc<Resource>, Arc<Scope>) {
        let mut resource_attributes = attributes(object.get(resource_key));
        if let Some(service) = text(object, "service_name").filter(|s| !s.is_empty())
            && !resource_attributes.iter().any(|kv| kv.key == "service.name")
        {
            resource_attributes.push(KeyValue::new("service.name", AnyValue::from(service)));
        }
        let resource = self.interned.resource(Resource {
            attributes: resource_attributes,
            dropped_attributes_count: 0,
            schema_url: text(object, "resource_schema_url").unwrap_or("").to_owned(),
        });
        let scope = self.interned.scope(Scope {
            name: text(object, "scope_name").unwrap_or("").to_owned(),
            version: text(object, "scope_version").unwrap_or("").to_owned(),
            attributes: attributes(object.get(scope_key)),
            dropped_attributes_count: 0,
            schema_url: text(object, "scope_schema_url").unwrap_or("").to_owned(),
        });
        (resource, scope)
    }

    fn log(
        &mut self,
        value: &Value,
        trace_id: TraceId,
        span_id: SpanId,
        notes: &mut Vec<String>,
        path: &str,
    ) -> LogRecord {
        let empty = Map::new();
        let object = value.as_object().unwrap_or(&empty);
        let (resource, scope) = self.resource_and_scope(object, "resource_attributes", "scope_attributes");
        let mut attributes = attributes(object.get("log_attributes").or_else(|| object.get("attributes")));
        for extra in ["evaluations", "annotations"] {
            if let Some(value) = object.get(extra).filter(|v| !is_empty_json(v)) {
                attributes.push(KeyValue::new(format!("trail.{extra}"), AnyValue::from_json(value)));
            }
        }
        LogRecord {
            time_unix_nano: time_field(object.get("timestamp"), notes, path, "logs[].timestamp"),
            observed_time_unix_nano: 0,
            severity_number: int(object.get("severity_number")).and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
            severity_text: text(object, "severity_text").unwrap_or("").to_owned(),
            body: object.get("body").map(AnyValue::from_json).unwrap_or_default(),
            attributes,
            dropped_attributes_count: 0,
            flags: int(object.get("trace_flags")).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            trace_id: text(object, "trace_id").filter(|t| !t.is_empty()).map(trace_id_from_text).unwrap_or(trace_id),
            span_id: text(object, "span_id").filter(|t| !t.is_empty()).map(span_id_from_text).unwrap_or(span_id),
            event_name: String::new(),
            resource,
            scope,
        }
    }
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn field<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|key| value.get(key))
}

fn is_none_text(text: &str) -> bool {
    matches!(text.trim(), "" | "None" | "none" | "null" | "NULL" | "0000000000000000")
}

fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::String(text) => text.is_empty() || text == "[]" || text == "{}",
        _ => false,
    }
}

/// Items of a JSON list; a string holding a JSON list is read too.
fn list(value: Option<&Value>) -> impl Iterator<Item = Value> {
    let items = match value {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    items.into_iter()
}

/// Attributes from a JSON object (or a string holding one); values keep their JSON types.
fn attributes(value: Option<&Value>) -> Vec<KeyValue> {
    let parsed;
    let value = match value {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(inner) => {
                parsed = inner;
                &parsed
            }
            Err(_) => return Vec::new(),
        },
        Some(value) => value,
        None => return Vec::new(),
    };
    match value {
        Value::Object(map) => {
            map.iter().map(|(key, value)| KeyValue::new(key.clone(), AnyValue::from_json(value))).collect()
        }
        _ => Vec::new(),
    }
}

fn int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn time_field(value: Option<&Value>, notes: &mut Vec<String>, path: &str, name: &str) -> u64 {
    match value {
        None | Some(Value::Null) => 0,
        Some(Value::Number(number)) => number.as_u64().unwrap_or(0),
        Some(Value::String(text)) => parse_timestamp_ns(text).unwrap_or_else(|| {
            notes.push(format!("{path}.{name}: not an ISO-8601 timestamp: {:?}", short(text)));
            0
        }),
        Some(_) => {
            notes.push(format!("{path}.{name}: expected a string timestamp"));
            0
        }
    }
}

fn span_kind(value: Option<&Value>) -> i32 {
    let name = match value {
        Some(Value::Number(number)) => return number.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
        Some(Value::String(name)) => name.trim().to_ascii_uppercase(),
        _ => return 0,
    };
    match name.strip_prefix("SPAN_KIND_").or_else(|| name.strip_prefix("SPANKIND.")).unwrap_or(&name) {
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => 0,
    }
}

fn status_code(name: &str) -> StatusCode {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("STATUS_CODE_").or_else(|| upper.strip_prefix("STATUSCODE.")).unwrap_or(&upper) {
        "OK" | "1" => StatusCode::Ok,
        "ERROR" | "2" => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

fn link(value: Value) -> Link {
    let id = |keys: &[&str]| field(&value, keys).and_then(Value::as_str).unwrap_or("").to_owned();
    let context = value.get("context");
    let nested = |key: &str| context.and_then(|c| c.get(key)).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut trace = id(&["trace_id", "TraceId", "traceId"]);
    let mut span = id(&["span_id", "SpanId", "spanId"]);
    if trace.is_empty() {
        trace = nested("trace_id");
    }
    if span.is_empty() {
        span = nested("span_id");
    }
    Link {
        trace_id: trace_id_from_text(&trace),
        span_id: span_id_from_text(&span),
        trace_state: id(&["trace_state", "TraceState", "traceState"]),
        attributes: attributes(field(&value, &["attributes", "Attributes"])),
        dropped_attributes_count: 0,
        flags: 0,
    }
}
