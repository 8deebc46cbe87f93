//! Invalid UTF-8 costs only itself.
//!
//! prost refuses a whole `ExportTraceServiceRequest` (or `ExportLogsServiceRequest`) when one
//! `string` field is not valid UTF-8, although the OpenTelemetry Collector passes such data on.
//! When (and only when) the strict decode failed for that reason, the body is decoded again with
//! a mirror of the request messages in which every `string` field is `bytes` (same field numbers
//! as opentelemetry-proto; fields rootspan does not use are left out and skipped as unknown). The
//! bytes are repaired with [`String::from_utf8_lossy`] (U+FFFD) into the ordinary
//! opentelemetry-proto types, so the rest of the pipeline is unchanged.
//!
//! [`Repairs`] then names, per span or log record, the fields that hold U+FFFD, so the caller can
//! count and note each repaired item. The same scan serves OTLP/JSON bodies, which are repaired
//! as a whole (`String::from_utf8_lossy(body)`, again only after the strict parse failed); the
//! scan names every field holding U+FFFD, so in a repaired body a field that already carried a
//! U+FFFD of its own is named too.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as common;
use opentelemetry_proto::tonic::logs::v1 as logs;
use opentelemetry_proto::tonic::resource::v1 as resource;
use opentelemetry_proto::tonic::trace::v1 as trace;
use prost::Message;
use std::collections::HashMap;

/// Decodes a protobuf `ExportTraceServiceRequest`; on a UTF-8 failure only, decodes it again
/// leniently. Returns the request and whether the lenient decode was used. An error is always
/// the strict decode's.
pub fn trace_request(body: &[u8]) -> Result<(ExportTraceServiceRequest, bool), prost::DecodeError> {
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => Ok((request, false)),
        Err(error) if is_utf8_error(&error) => {
            TraceRequest::decode(body).map(|request| (request.into_strict(), true)).map_err(|_| error)
        }
        Err(error) => Err(error),
    }
}

/// [`trace_request`] for `ExportLogsServiceRequest`.
pub fn logs_request(body: &[u8]) -> Result<(ExportLogsServiceRequest, bool), prost::DecodeError> {
    match ExportLogsServiceRequest::decode(body) {
        Ok(request) => Ok((request, false)),
        Err(error) if is_utf8_error(&error) => {
            LogsRequest::decode(body).map(|request| (request.into_strict(), true)).map_err(|_| error)
        }
        Err(error) => Err(error),
    }
}

/// prost's error for a `string` field that is not UTF-8 ("invalid string value: data is not
/// UTF-8 encoded"); the error kind is not public, its text is stable.
fn is_utf8_error(error: &prost::DecodeError) -> bool {
    error.to_string().contains("UTF-8")
}

fn lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

// ---- The lenient mirror: opentelemetry-proto's messages with `string` as `bytes`. ----

#[derive(Clone, PartialEq, Message)]
pub struct TraceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
    #[prost(bytes = "vec", tag = "3")]
    pub schema_url: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "2")]
    pub dropped_attributes_count: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct Scope {
    #[prost(bytes = "vec", tag = "1")]
    pub name: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub version: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    pub scope: Option<Scope>,
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<Span>,
    #[prost(bytes = "vec", tag = "3")]
    pub schema_url: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Span {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub trace_state: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    #[prost(fixed32, tag = "16")]
    pub flags: u32,
    #[prost(bytes = "vec", tag = "5")]
    pub name: Vec<u8>,
    #[prost(int32, tag = "6")]
    pub kind: i32,
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "10")]
    pub dropped_attributes_count: u32,
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<Event>,
    #[prost(uint32, tag = "12")]
    pub dropped_events_count: u32,
    #[prost(message, repeated, tag = "13")]
    pub links: Vec<Link>,
    #[prost(uint32, tag = "14")]
    pub dropped_links_count: u32,
    #[prost(message, optional, tag = "15")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Event {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(bytes = "vec", tag = "2")]
    pub name: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct Link {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub trace_state: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "5")]
    pub dropped_attributes_count: u32,
    #[prost(fixed32, tag = "6")]
    pub flags: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(bytes = "vec", tag = "2")]
    pub message: Vec<u8>,
    #[prost(int32, tag = "3")]
    pub code: i32,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AnyValue {
    #[prost(oneof = "Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<Value>,
}

/// `AnyValue.value`, named by type (`string_value` is field 1, and so on).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Value {
    #[prost(bytes = "vec", tag = "1")]
    String(Vec<u8>),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(message, tag = "5")]
    Array(ArrayValue),
    #[prost(message, tag = "6")]
    Kvlist(KeyValueList),
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

#[derive(Clone, PartialEq, Message)]
pub struct ArrayValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LogsRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogs>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceLogs {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogs>,
    #[prost(bytes = "vec", tag = "3")]
    pub schema_url: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeLogs {
    #[prost(message, optional, tag = "1")]
    pub scope: Option<Scope>,
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<LogRecord>,
    #[prost(bytes = "vec", tag = "3")]
    pub schema_url: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LogRecord {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
    #[prost(int32, tag = "2")]
    pub severity_number: i32,
    #[prost(bytes = "vec", tag = "3")]
    pub severity_text: Vec<u8>,
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValue>,
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "7")]
    pub dropped_attributes_count: u32,
    #[prost(fixed32, tag = "8")]
    pub flags: u32,
    #[prost(bytes = "vec", tag = "9")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "10")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "12")]
    pub event_name: Vec<u8>,
}

// ---- Lenient -> strict, repairing with U+FFFD. ----

impl TraceRequest {
    fn into_strict(self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: self
                .resource_spans
                .into_iter()
                .map(|rs| trace::ResourceSpans {
                    resource: rs.resource.map(Resource::into_strict),
                    scope_spans: rs
                        .scope_spans
                        .into_iter()
                        .map(|ss| trace::ScopeSpans {
                            scope: ss.scope.map(Scope::into_strict),
                            spans: ss.spans.into_iter().map(Span::into_strict).collect(),
                            schema_url: lossy(ss.schema_url),
                        })
                        .collect(),
                    schema_url: lossy(rs.schema_url),
                })
                .collect(),
        }
    }
}

impl LogsRequest {
    fn into_strict(self) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest {
            resource_logs: self
                .resource_logs
                .into_iter()
                .map(|rl| logs::ResourceLogs {
                    resource: rl.resource.map(Resource::into_strict),
                    scope_logs: rl
                        .scope_logs
                        .into_iter()
                        .map(|sl| logs::ScopeLogs {
                            scope: sl.scope.map(Scope::into_strict),
                            log_records: sl.log_records.into_iter().map(LogRecord::into_strict).collect(),
                            schema_url: lossy(sl.schema_url),
                        })
                        .collect(),
                    schema_url: lossy(rl.schema_url),
                })
                .collect(),
        }
    }
}

impl Resource {
    fn into_strict(self) -> resource::Resource {
        resource::Resource {
            attributes: attributes(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count,
            ..Default::default()
        }
    }
}

impl Scope {
    fn into_strict(self) -> common::InstrumentationScope {
        common::InstrumentationScope {
            name: lossy(self.name),
            version: lossy(self.version),
            attributes: attributes(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count,
        }
    }
}

impl Span {
    fn into_strict(self) -> trace::Span {
        trace::Span {
            trace_id: self.trace_id,
            span_id: self.span_id,
            trace_state: lossy(self.trace_state),
            parent_span_id: self.parent_span_id,
            flags: self.flags,
            name: lossy(self.name),
            kind: self.kind,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            attributes: attributes(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count,
            events: self
                .events
                .into_iter()
                .map(|event| trace::span::Event {
                    time_unix_nano: event.time_unix_nano,
                    name: lossy(event.name),
                    attributes: attributes(event.attributes),
                    dropped_attributes_count: event.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: self.dropped_events_count,
            links: self
                .links
                .into_iter()
                .map(|link| trace::span::Link {
                    trace_id: link.trace_id,
                    span_id: link.span_id,
                    trace_state: lossy(link.trace_state),
                    attributes: attributes(link.attributes),
                    dropped_attributes_count: link.dropped_attributes_count,
                    flags: link.flags,
                })
                .collect(),
            dropped_links_count: self.dropped_links_count,
            status: self.status.map(|status| trace::Status { message: lossy(status.message), code: status.code }),
        }
    }
}

impl LogRecord {
    fn into_strict(self) -> logs::LogRecord {
        logs::LogRecord {
            time_unix_nano: self.time_unix_nano,
            observed_time_unix_nano: self.observed_time_unix_nano,
            severity_number: self.severity_number,
            severity_text: lossy(self.severity_text),
            body: self.body.map(AnyValue::into_strict),
            attributes: attributes(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count,
            flags: self.flags,
            trace_id: self.trace_id,
            span_id: self.span_id,
            event_name: lossy(self.event_name),
        }
    }
}

impl AnyValue {
    fn into_strict(self) -> common::AnyValue {
        use common::any_value::Value as Strict;
        common::AnyValue {
            value: self.value.map(|value| match value {
                Value::String(text) => Strict::StringValue(lossy(text)),
                Value::Bool(flag) => Strict::BoolValue(flag),
                Value::Int(number) => Strict::IntValue(number),
                Value::Double(number) => Strict::DoubleValue(number),
                Value::Array(array) => Strict::ArrayValue(common::ArrayValue {
                    values: array.values.into_iter().map(AnyValue::into_strict).collect(),
                }),
                Value::Kvlist(list) => Strict::KvlistValue(common::KeyValueList { values: attributes(list.values) }),
                Value::Bytes(bytes) => Strict::BytesValue(bytes),
            }),
        }
    }
}

fn attributes(attributes: Vec<KeyValue>) -> Vec<common::KeyValue> {
    attributes
        .into_iter()
        .map(|kv| common::KeyValue {
            key: lossy(kv.key),
            value: kv.value.map(AnyValue::into_strict),
            ..Default::default()
        })
        .collect()
}

// ---- Which fields hold U+FFFD: per item, and per shared resource and scope. ----

const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// The fields of a request that hold U+FFFD after a repair, by item position. Resource and scope
/// fields are listed with every item under them, prefixed `resource.` and `scope.`.
#[derive(Debug, Default)]
pub struct Repairs {
    /// `(resource index, None)` for a resource, `(resource index, Some(scope index))` for a scope.
    shared: HashMap<(usize, Option<usize>), Vec<String>>,
    items: HashMap<(usize, usize, usize), Vec<String>>,
    /// Whether any field was found at all (else the repair was outside the fields rootspan keeps).
    pub any: bool,
}

impl Repairs {
    /// The repaired fields of item `i` of scope `s` of resource `r` (its resource's and scope's too).
    pub fn item(&self, r: usize, s: usize, i: usize) -> Vec<String> {
        let mut fields = Vec::new();
        for key in [(r, None), (r, Some(s))] {
            fields.extend(self.shared.get(&key).into_iter().flatten().cloned());
        }
        fields.extend(self.items.get(&(r, s, i)).into_iter().flatten().cloned());
        fields
    }

    fn put_shared(&mut self, key: (usize, Option<usize>), fields: Vec<String>) {
        if !fields.is_empty() {
            self.any = true;
            self.shared.insert(key, fields);
        }
    }

    fn put_item(&mut self, key: (usize, usize, usize), fields: Vec<String>) {
        if !fields.is_empty() {
            self.any = true;
            self.items.insert(key, fields);
        }
    }
}

/// Finds the fields holding U+FFFD in a trace request.
pub fn scan_traces(request: &ExportTraceServiceRequest) -> Repairs {
    let mut repairs = Repairs::default();
    for (r, rs) in request.resource_spans.iter().enumerate() {
        repairs.put_shared((r, None), resource_fields(rs.resource.as_ref(), &rs.schema_url));
        for (s, ss) in rs.scope_spans.iter().enumerate() {
            repairs.put_shared((r, Some(s)), scope_fields(ss.scope.as_ref(), &ss.schema_url));
            for (i, span) in ss.spans.iter().enumerate() {
                let mut fields = Vec::new();
                text_field(&span.name, "name", &mut fields);
                text_field(&span.trace_state, "traceState", &mut fields);
                if let Some(status) = &span.status {
                    text_field(&status.message, "status.message", &mut fields);
                }
                attribute_fields(&span.attributes, "", &mut fields);
                for (e, event) in span.events.iter().enumerate() {
                    text_field(&event.name, &format!("events[{e}].name"), &mut fields);
                    attribute_fields(&event.attributes, &format!("events[{e}]."), &mut fields);
                }
                for (l, link) in span.links.iter().enumerate() {
                    text_field(&link.trace_state, &format!("links[{l}].traceState"), &mut fields);
                    attribute_fields(&link.attributes, &format!("links[{l}]."), &mut fields);
                }
                repairs.put_item((r, s, i), fields);
            }
        }
    }
    repairs
}

/// Finds the fields holding U+FFFD in a logs request.
pub fn scan_logs(request: &ExportLogsServiceRequest) -> Repairs {
    let mut repairs = Repairs::default();
    for (r, rl) in request.resource_logs.iter().enumerate() {
        repairs.put_shared((r, None), resource_fields(rl.resource.as_ref(), &rl.schema_url));
        for (s, sl) in rl.scope_logs.iter().enumerate() {
            repairs.put_shared((r, Some(s)), scope_fields(sl.scope.as_ref(), &sl.schema_url));
            for (i, record) in sl.log_records.iter().enumerate() {
                let mut fields = Vec::new();
                text_field(&record.severity_text, "severityText", &mut fields);
                text_field(&record.event_name, "eventName", &mut fields);
                if record.body.as_ref().is_some_and(value_has_replacement) {
                    fields.push("body".to_owned());
                }
                attribute_fields(&record.attributes, "", &mut fields);
                repairs.put_item((r, s, i), fields);
            }
        }
    }
    repairs
}

fn resource_fields(resource: Option<&resource::Resource>, schema_url: &str) -> Vec<String> {
    let mut fields = Vec::new();
    if let Some(resource) = resource {
        attribute_fields(&resource.attributes, "resource.", &mut fields);
    }
    text_field(schema_url, "resource.schemaUrl", &mut fields);
    fields
}

fn scope_fields(scope: Option<&common::InstrumentationScope>, schema_url: &str) -> Vec<String> {
    let mut fields = Vec::new();
    if let Some(scope) = scope {
        text_field(&scope.name, "scope.name", &mut fields);
        text_field(&scope.version, "scope.version", &mut fields);
        attribute_fields(&scope.attributes, "scope.", &mut fields);
    }
    text_field(schema_url, "scope.schemaUrl", &mut fields);
    fields
}

fn text_field(text: &str, name: &str, fields: &mut Vec<String>) {
    if text.contains(REPLACEMENT) {
        fields.push(name.to_owned());
    }
}

/// Names an attribute `attributes[KEY]` when its key or any string nested in its value holds
/// U+FFFD.
fn attribute_fields(attributes: &[common::KeyValue], prefix: &str, fields: &mut Vec<String>) {
    for kv in attributes {
        if kv.key.contains(REPLACEMENT) || kv.value.as_ref().is_some_and(value_has_replacement) {
            fields.push(format!("{prefix}attributes[{}]", crate::otlp_traces::short(&kv.key)));
        }
    }
}

fn value_has_replacement(value: &common::AnyValue) -> bool {
    use common::any_value::Value;
    match &value.value {
        Some(Value::StringValue(text)) => text.contains(REPLACEMENT),
        Some(Value::ArrayValue(array)) => array.values.iter().any(value_has_replacement),
        Some(Value::KvlistValue(list)) => list
            .values
            .iter()
            .any(|kv| kv.key.contains(REPLACEMENT) || kv.value.as_ref().is_some_and(value_has_replacement)),
        _ => false,
    }
}
