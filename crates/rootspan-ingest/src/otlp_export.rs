//! Model -> OTLP: the lossless inverse of decoding, grouping spans (and log records) by
//! resource and scope, for `rootspan export --format otlp-json|otlp-proto`.

use crate::values::{attributes_to_proto, has_non_finite, value_to_proto};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1 as logs_proto;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1 as proto;
use rootspan_model::{KeyValue, LogRecord, Resource, Scope, Span};
use std::sync::Arc;

/// Spans -> one `ExportTraceServiceRequest`, one `ResourceSpans` per distinct resource and one
/// `ScopeSpans` per distinct scope within it, in first-seen order. Decoding the result gives
/// back equal spans (the project is not an OTLP field: it survives only as the resource
/// attribute `rootspan.project` when the resource had it).
pub fn spans_to_request(spans: &[Span]) -> ExportTraceServiceRequest {
    build_trace_request(spans, false)
}

/// Spans as spec OTLP/JSON (lowerCamelCase, hex ids, 64-bit integers as strings,
/// non-finite doubles as `"NaN"`/`"Infinity"`/`"-Infinity"`).
pub fn spans_to_otlp_json(spans: &[Span]) -> String {
    let markers = spans.iter().any(span_has_non_finite);
    crate::otlp_json::to_json_string(&build_trace_request(spans, markers), markers)
}

/// Log records -> one `ExportLogsServiceRequest`, grouped like [`spans_to_request`].
pub fn logs_to_request(logs: &[LogRecord]) -> ExportLogsServiceRequest {
    build_logs_request(logs, false)
}

/// Log records as spec OTLP/JSON.
pub fn logs_to_otlp_json(logs: &[LogRecord]) -> String {
    let markers = logs.iter().any(|log| has_non_finite(&log.body) || attrs_non_finite(&log.attributes));
    crate::otlp_json::to_json_string(&build_logs_request(logs, markers), markers)
}

fn attrs_non_finite(attributes: &[KeyValue]) -> bool {
    attributes.iter().any(|kv| has_non_finite(&kv.value))
}

fn span_has_non_finite(span: &Span) -> bool {
    attrs_non_finite(&span.attributes)
        || attrs_non_finite(&span.resource.attributes)
        || attrs_non_finite(&span.scope.attributes)
        || span.events.iter().any(|event| attrs_non_finite(&event.attributes))
        || span.links.iter().any(|link| attrs_non_finite(&link.attributes))
}

/// Items of one scope.
type ScopeGroup<'a, T> = (&'a Arc<Scope>, Vec<&'a T>);
/// Scopes of one resource.
type ResourceGroup<'a, T> = (&'a Arc<Resource>, Vec<ScopeGroup<'a, T>>);

/// Groups items by (resource, scope) in first-seen order; pointer equality is the fast path.
fn group<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> (&'a Arc<Resource>, &'a Arc<Scope>),
) -> Vec<ResourceGroup<'a, T>> {
    let mut groups: Vec<ResourceGroup<'a, T>> = Vec::new();
    for item in items {
        let (resource, scope) = key(item);
        let position =
            match groups.iter().position(|(r, _)| Arc::ptr_eq(r, resource) || r.as_ref() == resource.as_ref()) {
                Some(position) => position,
                None => {
                    groups.push((resource, Vec::new()));
                    groups.len() - 1
                }
            };
        let Some((_, scopes)) = groups.get_mut(position) else { continue };
        match scopes.iter_mut().find(|(s, _)| Arc::ptr_eq(s, scope) || s.as_ref() == scope.as_ref()) {
            Some((_, members)) => members.push(item),
            None => scopes.push((scope, vec![item])),
        }
    }
    groups
}

fn resource_to_proto(resource: &Resource, markers: bool) -> ProtoResource {
    ProtoResource {
        attributes: attributes_to_proto(&resource.attributes, markers),
        dropped_attributes_count: resource.dropped_attributes_count,
        ..Default::default()
    }
}

fn scope_to_proto(scope: &Scope, markers: bool) -> InstrumentationScope {
    InstrumentationScope {
        name: scope.name.clone(),
        version: scope.version.clone(),
        attributes: attributes_to_proto(&scope.attributes, markers),
        dropped_attributes_count: scope.dropped_attributes_count,
    }
}

fn build_trace_request(spans: &[Span], markers: bool) -> ExportTraceServiceRequest {
    let resource_spans = group(spans, |span| (&span.resource, &span.scope))
        .into_iter()
        .map(|(resource, scopes)| proto::ResourceSpans {
            resource: Some(resource_to_proto(resource, markers)),
            schema_url: resource.schema_url.clone(),
            scope_spans: scopes
                .into_iter()
                .map(|(scope, members)| proto::ScopeSpans {
                    scope: Some(scope_to_proto(scope, markers)),
                    schema_url: scope.schema_url.clone(),
                    spans: members.into_iter().map(|span| span_to_proto(span, markers)).collect(),
                })
                .collect(),
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// One model span as an OTLP span.
pub fn span_to_proto(span: &Span, markers: bool) -> proto::Span {
    proto::Span {
        trace_id: span.trace_id.to_vec(),
        span_id: span.span_id.to_vec(),
        trace_state: span.trace_state.clone(),
        parent_span_id: span.parent_span_id.map(|id| id.to_vec()).unwrap_or_default(),
        flags: span.flags,
        name: span.name.clone(),
        kind: span.kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        attributes: attributes_to_proto(&span.attributes, markers),
        dropped_attributes_count: span.dropped_attributes_count,
        events: span
            .events
            .iter()
            .map(|event| proto::span::Event {
                time_unix_nano: event.time_unix_nano,
                name: event.name.clone(),
                attributes: attributes_to_proto(&event.attributes, markers),
                dropped_attributes_count: event.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: span.dropped_events_count,
        links: span
            .links
            .iter()
            .map(|link| proto::span::Link {
                trace_id: link.trace_id.to_vec(),
                span_id: link.span_id.to_vec(),
                trace_state: link.trace_state.clone(),
                attributes: attributes_to_proto(&link.attributes, markers),
                dropped_attributes_count: link.dropped_attributes_count,
                flags: link.flags,
            })
            .collect(),
        dropped_links_count: span.dropped_links_count,
        status: Some(proto::Status { message: span.status.message.clone(), code: span.status.code.as_i32() }),
    }
}

fn build_logs_request(logs: &[LogRecord], markers: bool) -> ExportLogsServiceRequest {
    let resource_logs = group(logs, |log| (&log.resource, &log.scope))
        .into_iter()
        .map(|(resource, scopes)| logs_proto::ResourceLogs {
            resource: Some(resource_to_proto(resource, markers)),
            schema_url: resource.schema_url.clone(),
            scope_logs: scopes
                .into_iter()
                .map(|(scope, members)| logs_proto::ScopeLogs {
                    scope: Some(scope_to_proto(scope, markers)),
                    schema_url: scope.schema_url.clone(),
                    log_records: members.into_iter().map(|log| log_to_proto(log, markers)).collect(),
                })
                .collect(),
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

fn log_to_proto(log: &LogRecord, markers: bool) -> logs_proto::LogRecord {
    let id_or_empty = |id: &[u8]| if id.iter().all(|b| *b == 0) { Vec::new() } else { id.to_vec() };
    logs_proto::LogRecord {
        time_unix_nano: log.time_unix_nano,
        observed_time_unix_nano: log.observed_time_unix_nano,
        severity_number: log.severity_number,
        severity_text: log.severity_text.clone(),
        body: Some(value_to_proto(&log.body, markers)),
        attributes: attributes_to_proto(&log.attributes, markers),
        dropped_attributes_count: log.dropped_attributes_count,
        flags: log.flags,
        trace_id: id_or_empty(&log.trace_id),
        span_id: id_or_empty(&log.span_id),
        event_name: log.event_name.clone(),
    }
}
