//! OTLP traces -> model spans: `ExportTraceServiceRequest` (already decoded, protobuf bytes, or
//! OTLP/JSON bytes) to [`Span`]s, with per-span validation (partial success), project
//! assignment, value caps and GenAI normalisation.

use crate::decoded::{
    Decoded, Shared, cap_resource, cap_scope, finish_repair, finish_truncation, fixed_id, optional_id, project_for,
};
use crate::error::IngestError;
use crate::lenient::Repairs;
use crate::values::{attributes_from_proto, cap_attributes, truncate_string};
use crate::{Encoding, MAX_VALUE_BYTES};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1 as proto;
use rootspan_model::conventions::Depth;
use rootspan_model::pricing::PriceTable;
use rootspan_model::{Event, Link, Resource, Scope, Span, Status, StatusCode, conventions};
use std::sync::Arc;

/// Decodes an `ExportTraceServiceRequest` body. An empty body is a valid empty request; a
/// non-empty body without any `resourceSpans` is an error of kind `Empty`.
pub fn decode_traces(
    body: &[u8],
    encoding: Encoding,
    project_hint: Option<&str>,
) -> Result<Decoded<Span>, IngestError> {
    decode_traces_with(body, encoding, project_hint, Depth::Full)
}

/// [`decode_traces`] with a chosen normalisation depth: the write path of a store needs only
/// [`Depth::Columns`] (messages are derived again when a trace is read), which is much cheaper.
pub fn decode_traces_with(
    body: &[u8],
    encoding: Encoding,
    project_hint: Option<&str>,
    depth: Depth,
) -> Result<Decoded<Span>, IngestError> {
    if body.is_empty() {
        return Ok(Decoded::default());
    }
    let (request, repaired) = match encoding {
        Encoding::Protobuf => crate::lenient::trace_request(body)
            .map_err(|error| IngestError::malformed(format!("OTLP protobuf ExportTraceServiceRequest: {error}")))?,
        Encoding::Json => crate::otlp_json::traces_request_from_json(body)?,
    };
    if request.resource_spans.is_empty() {
        match encoding {
            Encoding::Protobuf => {
                return Err(IngestError::empty(format!(
                    "OTLP protobuf: a {}-byte body decoded to zero resourceSpans (field 1); is it a logs or metrics request, or not OTLP at all?",
                    body.len()
                )));
            }
            Encoding::Json => crate::otlp_json::check_empty_json(body, "resourceSpans")?,
        }
    }
    if !repaired {
        return Ok(spans_from_request_with(request, project_hint, depth));
    }
    // Only after the strict decode failed on invalid UTF-8: name what was repaired.
    let repairs = crate::lenient::scan_traces(&request);
    let mut decoded = convert(request, project_hint, depth, Some(&repairs));
    if !repairs.any {
        decoded.note("request: invalid UTF-8 replaced with U+FFFD outside the span fields rootspan keeps".to_owned());
    }
    Ok(decoded)
}

/// Converts an already-decoded request (gRPC path), with the same rules as [`decode_traces`].
pub fn spans_from_request(request: ExportTraceServiceRequest, project_hint: Option<&str>) -> Decoded<Span> {
    spans_from_request_with(request, project_hint, Depth::Full)
}

/// [`spans_from_request`] with a chosen normalisation depth.
pub fn spans_from_request_with(
    request: ExportTraceServiceRequest,
    project_hint: Option<&str>,
    depth: Depth,
) -> Decoded<Span> {
    convert(request, project_hint, depth, None)
}

fn convert(
    request: ExportTraceServiceRequest,
    project_hint: Option<&str>,
    depth: Depth,
    repairs: Option<&Repairs>,
) -> Decoded<Span> {
    let prices = PriceTable::active();
    let mut decoded = Decoded::default();
    for (r, resource_spans) in request.resource_spans.into_iter().enumerate() {
        let proto_resource = resource_spans.resource.unwrap_or_default();
        let (resource, resource_cut) = cap_resource(Resource {
            attributes: attributes_from_proto(proto_resource.attributes),
            dropped_attributes_count: proto_resource.dropped_attributes_count,
            schema_url: resource_spans.schema_url,
        });
        let project = project_for(project_hint, &resource);
        let resource = Arc::new(resource);
        for (s, scope_spans) in resource_spans.scope_spans.into_iter().enumerate() {
            let proto_scope = scope_spans.scope.unwrap_or_default();
            let (scope, scope_cut) = cap_scope(Scope {
                name: proto_scope.name,
                version: proto_scope.version,
                attributes: attributes_from_proto(proto_scope.attributes),
                dropped_attributes_count: proto_scope.dropped_attributes_count,
                schema_url: scope_spans.schema_url,
            });
            let mut cut = resource_cut.clone();
            cut.extend(scope_cut);
            let shared = Shared { resource: Arc::clone(&resource), scope: Arc::new(scope), cut };
            decoded.items.reserve(scope_spans.spans.len());
            for (i, span) in scope_spans.spans.into_iter().enumerate() {
                let path = format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]");
                match span_from_proto(span, &path, &shared, &project) {
                    Ok((mut span, cut)) => {
                        finish_truncation(&mut decoded, &mut span.attributes, cut, &path);
                        if let Some(repairs) = repairs {
                            let what = format!(" (span {:?})", short(&span.name));
                            finish_repair(&mut decoded, repairs.item(r, s, i), &path, &what);
                        }
                        conventions::normalize_with(&mut span, depth, prices);
                        decoded.items.push(span);
                    }
                    Err(message) => decoded.reject(message),
                }
            }
        }
    }
    decoded
}

fn span_from_proto(
    span: proto::Span,
    path: &str,
    shared: &Shared,
    project: &str,
) -> Result<(Span, Vec<String>), String> {
    let named = |message: String| format!("{message} (span {:?})", short(&span.name));
    let trace_id = fixed_id::<16>(&span.trace_id, path, "traceId").map_err(named)?;
    let span_id = fixed_id::<8>(&span.span_id, path, "spanId").map_err(named)?;
    let parent_span_id = optional_id::<8>(&span.parent_span_id, path, "parentSpanId").map_err(named)?;
    let mut links = Vec::with_capacity(span.links.len());
    for (l, link) in span.links.into_iter().enumerate() {
        let link_path = format!("{path}.links[{l}]");
        let message = |message: String| format!("{message} (span {:?})", short(&span.name));
        links.push(Link {
            trace_id: fixed_id::<16>(&link.trace_id, &link_path, "traceId").map_err(message)?,
            span_id: fixed_id::<8>(&link.span_id, &link_path, "spanId").map_err(message)?,
            trace_state: link.trace_state,
            attributes: attributes_from_proto(link.attributes),
            dropped_attributes_count: link.dropped_attributes_count,
            flags: link.flags,
        });
    }
    let status = span.status.unwrap_or_default();
    let mut out = Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        flags: span.flags,
        name: span.name,
        kind: span.kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        attributes: attributes_from_proto(span.attributes),
        dropped_attributes_count: span.dropped_attributes_count,
        events: span
            .events
            .into_iter()
            .map(|event| Event {
                time_unix_nano: event.time_unix_nano,
                name: event.name,
                attributes: attributes_from_proto(event.attributes),
                dropped_attributes_count: event.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: span.dropped_events_count,
        links,
        dropped_links_count: span.dropped_links_count,
        status: Status { code: StatusCode::from_i32(status.code), message: status.message },
        resource: Arc::clone(&shared.resource),
        scope: Arc::clone(&shared.scope),
        project: project.to_owned(),
        logs: Vec::new(),
        gen_ai: Default::default(),
    };
    let cut = cap_span(&mut out, shared.cut.clone());
    Ok((out, cut))
}

/// Caps every string/bytes value of a span (attributes, events, links, name, status message);
/// returns the keys cut (including those of the shared resource and scope).
pub fn cap_span(span: &mut Span, mut cut: Vec<String>) -> Vec<String> {
    if truncate_string(&mut span.name, MAX_VALUE_BYTES) {
        cut.push("name".to_owned());
    }
    if truncate_string(&mut span.status.message, MAX_VALUE_BYTES) {
        cut.push("status.message".to_owned());
    }
    cap_attributes(&mut span.attributes, "", &mut cut);
    for (e, event) in span.events.iter_mut().enumerate() {
        if truncate_string(&mut event.name, MAX_VALUE_BYTES) {
            cut.push(format!("events[{e}].name"));
        }
        cap_attributes(&mut event.attributes, &format!("events[{e}]."), &mut cut);
    }
    for (l, link) in span.links.iter_mut().enumerate() {
        cap_attributes(&mut link.attributes, &format!("links[{l}]."), &mut cut);
    }
    cut
}

/// A span name shortened for messages.
pub(crate) fn short(name: &str) -> String {
    if name.chars().count() <= 80 { name.to_owned() } else { name.chars().take(77).chain("...".chars()).collect() }
}
