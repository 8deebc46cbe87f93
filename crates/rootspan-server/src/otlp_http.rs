//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` with protobuf or JSON bodies, gzip or
//! not. Errors follow the OTLP/HTTP spec: 400 with a `google.rpc.Status` naming the problem
//! (malformed body, truncated or oversized gzip), 413 for a body over the limit, 415 for an
//! unknown content type; partial success reports `rejectedSpans`/`rejectedLogRecords`.

use crate::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use rootspan_ingest::{Encoding, IngestError, IngestErrorKind};
use rootspan_store::WriteBatch;

/// The header that names the project a request's traces belong to.
pub const PROJECT_HEADER: &str = "x-rootspan-project";

/// `google.rpc.Status`, the error body of OTLP/HTTP.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The OTLP/HTTP routes.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/logs", post(logs))
        .route("/v1/metrics", post(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn encoding_of(headers: &HeaderMap) -> Result<Encoding, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Encoding::Json,
            &format!("unsupported content type {content_type:?}: use application/x-protobuf or application/json"),
        )),
    }
}

fn error_response(status: StatusCode, encoding: Encoding, message: &str) -> Response {
    let body = RpcStatus { code: if status == StatusCode::BAD_REQUEST { 3 } else { 2 }, message: message.to_owned() };
    match encoding {
        Encoding::Protobuf => {
            (status, [(header::CONTENT_TYPE, "application/x-protobuf")], body.encode_to_vec()).into_response()
        }
        Encoding::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"code": body.code, "message": body.message}).to_string(),
        )
            .into_response(),
    }
}

fn ingest_error(encoding: Encoding, error: &IngestError) -> Response {
    let status = match error.kind {
        IngestErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    error_response(status, encoding, &error.to_string())
}

/// Decodes the transport layer: content type, gzip, size cap.
fn unwrap_body(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<(Encoding, Option<Vec<u8>>), Response> {
    let encoding = encoding_of(headers)?;
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match content_encoding.as_str() {
        "" | "identity" => Ok((encoding, None)),
        "gzip" | "x-gzip" => match rootspan_ingest::decompress_gzip(body, state.config.max_decompressed_bytes) {
            Ok(bytes) => Ok((encoding, Some(bytes))),
            Err(error) => Err(error_response(StatusCode::BAD_REQUEST, encoding, &format!("gzip body: {error}"))),
        },
        other => Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            encoding,
            &format!("unsupported content encoding {other:?}: use gzip or none"),
        )),
    }
}

fn project_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(PROJECT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

fn success(encoding: Encoding, rejected_field: &str, rejected: u64, message: String, proto: Vec<u8>) -> Response {
    match encoding {
        Encoding::Protobuf => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], proto).into_response()
        }
        Encoding::Json => {
            let body = if rejected > 0 {
                serde_json::json!({"partialSuccess": {rejected_field: rejected.to_string(), "errorMessage": message}})
            } else {
                serde_json::json!({})
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
    }
}

fn summarize_rejections(messages: &[String], rejected: u64) -> String {
    let shown: Vec<&str> = messages.iter().take(5).map(String::as_str).collect();
    let more = messages.len().saturating_sub(shown.len());
    let mut text = format!("{rejected} rejected: {}", shown.join("; "));
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

async fn traces(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (encoding, inflated) = match unwrap_body(&state, &headers, &body) {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let bytes = inflated.as_deref().unwrap_or(&body);
    let project = project_of(&headers);
    let started = std::time::Instant::now();
    let decoded =
        match rootspan_ingest::decode_traces_with(bytes, encoding, project.as_deref(), rootspan_ingest::Depth::Columns)
        {
            Ok(decoded) => decoded,
            Err(error) => return ingest_error(encoding, &error),
        };
    let decoded_at = started.elapsed();
    let rejected = decoded.rejected;
    let spans = decoded.items.len();
    let message =
        if rejected > 0 { summarize_rejections(&decoded.rejection_messages, rejected) } else { String::new() };
    if let Err(error) = state.write(WriteBatch { spans: decoded.items, logs: Vec::new() }).await {
        tracing::error!(%error, "writing spans failed");
        return error_response(StatusCode::SERVICE_UNAVAILABLE, encoding, &format!("store: {error}"));
    }
    tracing::debug!(
        spans,
        rejected,
        decode_ms = decoded_at.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "export"
    );
    use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
    let response = ExportTraceServiceResponse {
        partial_success: (rejected > 0)
            .then(|| ExportTracePartialSuccess { rejected_spans: rejected as i64, error_message: message.clone() }),
    };
    success(encoding, "rejectedSpans", rejected, message, response.encode_to_vec())
}

async fn logs(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (encoding, inflated) = match unwrap_body(&state, &headers, &body) {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let bytes = inflated.as_deref().unwrap_or(&body);
    let project = project_of(&headers);
    let decoded = match rootspan_ingest::decode_logs(bytes, encoding, project.as_deref()) {
        Ok(decoded) => decoded,
        Err(error) => return ingest_error(encoding, &error),
    };
    let rejected = decoded.rejected;
    let message =
        if rejected > 0 { summarize_rejections(&decoded.rejection_messages, rejected) } else { String::new() };
    if let Err(error) = state.write(WriteBatch { spans: Vec::new(), logs: decoded.items }).await {
        tracing::error!(%error, "writing logs failed");
        return error_response(StatusCode::SERVICE_UNAVAILABLE, encoding, &format!("store: {error}"));
    }
    use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
    let response = ExportLogsServiceResponse {
        partial_success: (rejected > 0).then(|| ExportLogsPartialSuccess {
            rejected_log_records: rejected as i64,
            error_message: message.clone(),
        }),
    };
    success(encoding, "rejectedLogRecords", rejected, message, response.encode_to_vec())
}

/// Metrics are acknowledged and not stored, so exporters configured for all signals do not error.
async fn metrics(headers: HeaderMap, _body: Body) -> Response {
    let encoding = match encoding_of(&headers) {
        Ok(encoding) => encoding,
        Err(response) => return response,
    };
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
    success(encoding, "rejectedDataPoints", 0, String::new(), ExportMetricsServiceResponse::default().encode_to_vec())
}
