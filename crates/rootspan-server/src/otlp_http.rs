//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` with protobuf or JSON bodies, gzip or
//! not, handed to the export use case ([`rootspan_app::export`]). Errors follow the OTLP/HTTP
//! specification: a `google.rpc.Status` body in the request's encoding naming the problem; 400 for
//! malformed bodies, 413 for a body over the limit, 415 for an unknown content type or encoding,
//! 429 with `Retry-After` when the request does not fit the in-flight budget
//! ([`crate::admission`]), 503 with `Retry-After` when the store is busy.
//!
//! A body over the limit is still read to its end (up to [`DRAIN_LIMIT`] bytes, for at most
//! [`DRAIN_TIME`]) and the answer carries `Connection: close`: a server that answers without
//! reading the body leaves the client's connection unusable, and the client's next request on it
//! fails. A request shed before its body was read is drained the same way; it is answered
//! with `Connection: close` only when the drain did not reach the end.

use crate::AppState;
use crate::admission::{Permit, RETRY_AFTER_SECONDS, charge_for, gzip_declared_size};
use crate::error::{finish, status_of};
use crate::metrics::{Rejection, Transport};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use rootspan_app::{AppError, Compression, ErrorKind, ExportRequest, Signal};
use rootspan_ingest::Encoding;
use std::time::Duration;
use tokio_stream::StreamExt;

/// The header that names the project a request's traces belong to.
pub const PROJECT_HEADER: &str = "x-rootspan-project";
/// At most this many bytes of an over-limit body are read and discarded before answering.
pub const DRAIN_LIMIT: usize = 256 * 1024 * 1024;
/// For at most this long.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

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
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/logs", post(logs))
        .route("/v1/metrics", post(metrics))
        // The handlers read bodies themselves, with the limit and the drain above.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

fn encoding_of(headers: &HeaderMap) -> Result<Encoding, String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(format!("unsupported content type {content_type:?}: use application/x-protobuf or application/json")),
    }
}

fn compression_of(headers: &HeaderMap) -> Result<Compression, String> {
    let value = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("identity");
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(Compression::None),
        "gzip" | "x-gzip" => Ok(Compression::Gzip),
        other => Err(format!("unsupported content encoding {other:?}: use gzip or none")),
    }
}

/// An OTLP/HTTP error answer: `google.rpc.Status` in the request's encoding (JSON when unknown).
fn status_response(status: StatusCode, encoding: Encoding, message: &str) -> Response {
    // google.rpc.Code: INVALID_ARGUMENT 3, RESOURCE_EXHAUSTED 8, UNIMPLEMENTED 12, INTERNAL 13, UNAVAILABLE 14.
    let code = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => 3,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::TOO_MANY_REQUESTS => 8,
        StatusCode::NOT_IMPLEMENTED => 12,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 13,
    };
    let body = RpcStatus { code, message: message.to_owned() };
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

fn app_error_response(encoding: Encoding, error: &AppError) -> Response {
    finish(error, status_response(status_of(error.kind), encoding, error.public_message()))
}

/// Why a body could not be read whole.
enum BodyError {
    /// Over the limit; the rest was drained as far as allowed.
    TooLarge(usize),
    /// It did not fit the in-flight budget; `drained` says whether it was read to its end.
    Shed { drained: bool },
    /// The client went away or sent a broken body.
    Broken(String),
}

/// Why a body is being read and discarded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Discard {
    TooLarge,
    Shed,
}

/// Reads a body up to `limit` bytes, charging `permit` for bytes beyond those `declared` (and
/// already charged). Past the limit, or past the budget (or at once when there is no permit),
/// drains the rest, bounded by [`DRAIN_LIMIT`] and [`DRAIN_TIME`], and says why.
async fn read_body(
    body: Body,
    limit: usize,
    declared: Option<usize>,
    permit: Option<&Permit>,
) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut discard = if declared.is_some_and(|n| n > limit) {
        Some(Discard::TooLarge)
    } else if permit.is_none() {
        Some(Discard::Shed)
    } else {
        None
    };
    let mut out = if discard.is_none() { Vec::with_capacity(declared.unwrap_or(0).min(limit)) } else { Vec::new() };
    let mut charged = declared.unwrap_or(0);
    let mut seen = 0usize;
    let mut deadline = tokio::time::Instant::now() + DRAIN_TIME;
    let failed = |discard: Discard, seen: usize, drained: bool| match discard {
        Discard::TooLarge => BodyError::TooLarge(declared.unwrap_or(seen).max(seen)),
        Discard::Shed => BodyError::Shed { drained },
    };
    loop {
        let next = match discard {
            Some(_) => tokio::time::timeout_at(deadline, stream.next()).await,
            None => Ok(stream.next().await),
        };
        match (next, discard) {
            (Err(_), Some(discard)) => return Err(failed(discard, seen, false)),
            (Err(_), None) | (Ok(None), None) => break,
            (Ok(None), Some(discard)) => return Err(failed(discard, seen, true)),
            (Ok(Some(Err(_))), Some(discard)) => return Err(failed(discard, seen, false)),
            (Ok(Some(Err(error))), None) => return Err(BodyError::Broken(error.to_string())),
            (Ok(Some(Ok(chunk))), _) => {
                seen = seen.saturating_add(chunk.len());
                if discard.is_none() {
                    if seen > limit {
                        discard = Some(Discard::TooLarge);
                    } else if seen > charged {
                        if permit.is_some_and(|p| p.try_grow(charge_for(seen - charged))) {
                            charged = seen;
                        } else {
                            discard = Some(Discard::Shed);
                        }
                    }
                    if discard.is_some() {
                        out = Vec::new();
                        deadline = tokio::time::Instant::now() + DRAIN_TIME;
                    }
                }
                match discard {
                    Some(discard) if seen > DRAIN_LIMIT => return Err(failed(discard, seen, false)),
                    Some(_) => {}
                    None => out.extend_from_slice(&chunk),
                }
            }
        }
    }
    Ok(out)
}

fn close_connection(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 429 with `Retry-After`: the request did not fit the in-flight budget; an exporter retries it.
fn shed_response(state: &AppState, encoding: Encoding) -> Response {
    let message = format!(
        "the server is at its limit of {} MiB of export requests in flight; retry after {RETRY_AFTER_SECONDS} s",
        state.config.max_inflight_bytes / (1024 * 1024)
    );
    let mut response = status_response(StatusCode::TOO_MANY_REQUESTS, encoding, &message);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

async fn export(state: AppState, signal: Signal, headers: HeaderMap, body: Body) -> Response {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let guess = encoding_of(&headers).unwrap_or(Encoding::Json);
    let limit = state.config.max_body_bytes;
    // Charged before the body is read; a request that does not fit is answered at once.
    let permit = match declared {
        Some(n) if n > limit => None,
        _ => state.admission.budget.try_acquire(charge_for(declared.unwrap_or(0))),
    };
    let metrics = state.metrics.clone();
    let bytes = match read_body(body, limit, declared, permit.as_ref()).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let reason = match error {
                BodyError::TooLarge(_) => Rejection::TooLarge,
                BodyError::Shed { .. } => Rejection::Busy,
                BodyError::Broken(_) => Rejection::Invalid,
            };
            metrics.rejected(Transport::Http, reason);
            return body_error_response(&state, guess, limit, error);
        }
    };
    metrics.received(Transport::Http, bytes.len());
    let Some(permit) = permit else {
        metrics.rejected(Transport::Http, Rejection::Internal);
        return close_connection(status_response(StatusCode::INTERNAL_SERVER_ERROR, guess, "no admission"));
    };
    let encoding = match encoding_of(&headers) {
        Ok(encoding) => encoding,
        Err(message) => {
            metrics.rejected(Transport::Http, Rejection::Invalid);
            return status_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, Encoding::Json, &message);
        }
    };
    let compression = match compression_of(&headers) {
        Ok(compression) => compression,
        Err(message) => {
            metrics.rejected(Transport::Http, Rejection::Invalid);
            return status_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, encoding, &message);
        }
    };
    // A compressed body is charged again for the size it declares it inflates to.
    if compression == Compression::Gzip
        && let Some(size) = gzip_declared_size(&bytes)
        && !permit.try_grow(charge_for(size.min(state.app.config.max_decoded_bytes)))
    {
        metrics.rejected(Transport::Http, Rejection::Busy);
        return shed_response(&state, encoding);
    }
    let project = headers
        .get(PROJECT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let app = state.app.clone();
    let outcome = state
        .admission
        .export(move || {
            app.export(ExportRequest { signal, body: &bytes, encoding, compression, project: project.as_deref() })
        })
        .await;
    let response = match outcome {
        Ok(outcome) => {
            metrics.accepted(Transport::Http, signal, outcome.accepted, outcome.rejected);
            match encoding {
                Encoding::Protobuf => {
                    (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], outcome.response_protobuf())
                        .into_response()
                }
                Encoding::Json => {
                    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], outcome.response_json().to_string())
                        .into_response()
                }
            }
        }
        Err(error) => {
            metrics.rejected(Transport::Http, Rejection::of(error.kind));
            if error.kind != ErrorKind::InvalidRequest {
                tracing::warn!(%error, "export failed");
            }
            app_error_response(encoding, &error)
        }
    };
    drop(permit);
    response
}

/// The answer to a body that could not be read whole.
fn body_error_response(state: &AppState, guess: Encoding, limit: usize, error: BodyError) -> Response {
    match error {
        BodyError::TooLarge(size) => {
            let message = format!("the request body is {size} bytes, over the {limit}-byte limit");
            close_connection(status_response(StatusCode::PAYLOAD_TOO_LARGE, guess, &message))
        }
        BodyError::Shed { drained } => {
            tracing::debug!("export shed: over the in-flight budget");
            let response = shed_response(state, guess);
            if drained { response } else { close_connection(response) }
        }
        BodyError::Broken(error) => close_connection(status_response(
            StatusCode::BAD_REQUEST,
            guess,
            &format!("reading the request body: {error}"),
        )),
    }
}

async fn traces(crate::auth::Scoped(state): crate::auth::Scoped, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Traces, headers, body).await
}

async fn logs(crate::auth::Scoped(state): crate::auth::Scoped, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Logs, headers, body).await
}

async fn metrics(crate::auth::Scoped(state): crate::auth::Scoped, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Metrics, headers, body).await
}
