//! OTLP logs -> model log records: `ExportLogsServiceRequest` (already decoded, protobuf or
//! OTLP/JSON bytes) to [`LogRecord`]s with their trace and span ids. Records without ids are
//! kept (ids all zero); ids of the wrong length reject the record (partial success).

use crate::Encoding;
use crate::decoded::{
    Decoded, cap_named, cap_resource, cap_scope, finish_repair, finish_truncation, optional_id, project_for,
};
use crate::error::IngestError;
use crate::lenient::Repairs;
use crate::values::{attributes_from_proto, cap_attributes, value_from_proto};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1 as proto;
use rootspan_model::{LogRecord, Resource, Scope};
use std::sync::Arc;

/// Decodes an `ExportLogsServiceRequest` body. An empty body is a valid empty request; a
/// non-empty body without any `resourceLogs` is an error of kind `Empty`.
///
/// The project of each record is decided (hint, then resource attribute `rootspan.project`)
/// but [`LogRecord`] has no project field: records are attached to spans by the store.
pub fn decode_logs(
    body: &[u8],
    encoding: Encoding,
    project_hint: Option<&str>,
) -> Result<Decoded<LogRecord>, IngestError> {
    if body.is_empty() {
        return Ok(Decoded::default());
    }
    let (request, repaired) = match encoding {
        Encoding::Protobuf => crate::lenient::logs_request(body)
            .map_err(|error| IngestError::malformed(format!("OTLP protobuf ExportLogsServiceRequest: {error}")))?,
        Encoding::Json => crate::otlp_json::logs_request_from_json(body)?,
    };
    if request.resource_logs.is_empty() {
        match encoding {
            Encoding::Protobuf => {
                return Err(IngestError::empty(format!(
                    "OTLP protobuf: a {}-byte body decoded to zero resourceLogs (field 1); is it a traces or metrics request?",
                    body.len()
                )));
            }
            Encoding::Json => crate::otlp_json::check_empty_json(body, "resourceLogs")?,
        }
    }
    if !repaired {
        return Ok(logs_from_request(request, project_hint));
    }
    // Only after the strict decode failed on invalid UTF-8: name what was repaired.
    let repairs = crate::lenient::scan_logs(&request);
    let mut decoded = convert(request, project_hint, Some(&repairs));
    if !repairs.any {
        decoded.note("request: invalid UTF-8 replaced with U+FFFD outside the log fields rootspan keeps".to_owned());
    }
    Ok(decoded)
}

/// Converts an already-decoded request (gRPC path), with the same rules as [`decode_logs`].
pub fn logs_from_request(request: ExportLogsServiceRequest, project_hint: Option<&str>) -> Decoded<LogRecord> {
    convert(request, project_hint, None)
}

fn convert(
    request: ExportLogsServiceRequest,
    project_hint: Option<&str>,
    repairs: Option<&Repairs>,
) -> Decoded<LogRecord> {
    let mut decoded = Decoded::default();
    for (r, resource_logs) in request.resource_logs.into_iter().enumerate() {
        let proto_resource = resource_logs.resource.unwrap_or_default();
        let (resource, resource_cut) = cap_resource(Resource {
            attributes: attributes_from_proto(proto_resource.attributes),
            dropped_attributes_count: proto_resource.dropped_attributes_count,
            schema_url: resource_logs.schema_url,
        });
        // Decided for symmetry with spans; LogRecord carries no project of its own.
        let _project = project_for(project_hint, &resource);
        let resource = Arc::new(resource);
        for (s, scope_logs) in resource_logs.scope_logs.into_iter().enumerate() {
            let proto_scope = scope_logs.scope.unwrap_or_default();
            let (scope, scope_cut) = cap_scope(Scope {
                name: proto_scope.name,
                version: proto_scope.version,
                attributes: attributes_from_proto(proto_scope.attributes),
                dropped_attributes_count: proto_scope.dropped_attributes_count,
                schema_url: scope_logs.schema_url,
            });
            let scope = Arc::new(scope);
            for (i, record) in scope_logs.log_records.into_iter().enumerate() {
                let path = format!("resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]");
                let mut cut = resource_cut.clone();
                cut.extend(scope_cut.iter().cloned());
                match log_from_proto(record, &path, &resource, &scope) {
                    Ok(mut log) => {
                        cap_attributes(&mut log.attributes, "", &mut cut);
                        cap_named(&mut log.body, "body", &mut cut);
                        finish_truncation(&mut decoded, &mut log.attributes, cut, &path);
                        if let Some(repairs) = repairs {
                            finish_repair(&mut decoded, repairs.item(r, s, i), &path, "");
                        }
                        decoded.items.push(log);
                    }
                    Err(message) => decoded.reject(message),
                }
            }
        }
    }
    decoded
}

fn log_from_proto(
    record: proto::LogRecord,
    path: &str,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
) -> Result<LogRecord, String> {
    let trace_id = optional_id::<16>(&record.trace_id, path, "traceId")?.unwrap_or_default();
    let span_id = optional_id::<8>(&record.span_id, path, "spanId")?.unwrap_or_default();
    Ok(LogRecord {
        time_unix_nano: record.time_unix_nano,
        observed_time_unix_nano: record.observed_time_unix_nano,
        severity_number: record.severity_number,
        severity_text: record.severity_text,
        body: record.body.map(value_from_proto).unwrap_or_default(),
        attributes: attributes_from_proto(record.attributes),
        dropped_attributes_count: record.dropped_attributes_count,
        flags: record.flags,
        trace_id,
        span_id,
        event_name: record.event_name,
        resource: Arc::clone(resource),
        scope: Arc::clone(scope),
    })
}
