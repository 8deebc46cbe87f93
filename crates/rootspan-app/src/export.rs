//! Accepting an OTLP export: one path for every transport (OTLP/HTTP protobuf and JSON,
//! OTLP/gRPC), so acceptance, partial success and the wording of rejections cannot differ.
//!
//! Rules, after the OTLP specification:
//! - an empty body is a valid empty request: accepted, nothing stored;
//! - a body that cannot be decompressed or decoded is [`ErrorKind::InvalidRequest`] (HTTP 400,
//!   gRPC INVALID_ARGUMENT), or [`ErrorKind::TooLarge`] when it inflates past the limit;
//! - invalid items are rejected one by one and the rest is stored: a partial success that counts
//!   the rejected items and names the first few faults;
//! - when every item of a non-empty request is invalid, nothing was accepted, and the request is
//!   [`ErrorKind::InvalidRequest`] with the same message a partial success would carry;
//! - the answer is given only after the accepted items are durable;
//! - an accepted request (traces or logs, some item stored) is then queued, as received, for
//!   every forwarding destination ([`crate::forward`]); queuing never waits.

use crate::App;
use crate::error::{AppError, AppResult, ErrorKind};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;
use rootspan_ingest::{Depth, Encoding, IngestError, IngestErrorKind};
use rootspan_store::WriteBatch;

/// The OTLP signal of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
    /// Acknowledged and not stored, so exporters configured for every signal do not fail.
    Metrics,
}

impl Signal {
    /// The name of the partial-success count in OTLP/JSON.
    pub fn rejected_field(self) -> &'static str {
        match self {
            Signal::Traces => "rejectedSpans",
            Signal::Logs => "rejectedLogRecords",
            Signal::Metrics => "rejectedDataPoints",
        }
    }

    fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Logs => "log records",
            Signal::Metrics => "data points",
        }
    }
}

/// How the body is compressed on the wire (gRPC bodies arrive decompressed by the transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// One export request, as any transport received it.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest<'a> {
    pub signal: Signal,
    pub body: &'a [u8],
    pub encoding: Encoding,
    pub compression: Compression,
    /// The project named by the transport (header or metadata); else the resource attribute
    /// `rootspan.project`, else the default project.
    pub project: Option<&'a str>,
}

/// What an accepted request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOutcome {
    pub signal: Signal,
    pub accepted: u64,
    pub rejected: u64,
    /// Why items were rejected (empty when none were).
    pub message: String,
}

impl ExportOutcome {
    /// The OTLP response message, protobuf-encoded (the gRPC reply and the OTLP/HTTP protobuf body).
    pub fn response_protobuf(&self) -> Vec<u8> {
        let rejected = self.rejected.min(i64::MAX as u64) as i64;
        let partial = self.rejected > 0;
        match self.signal {
            Signal::Traces => ExportTraceServiceResponse {
                partial_success: partial.then(|| ExportTracePartialSuccess {
                    rejected_spans: rejected,
                    error_message: self.message.clone(),
                }),
            }
            .encode_to_vec(),
            Signal::Logs => ExportLogsServiceResponse {
                partial_success: partial.then(|| ExportLogsPartialSuccess {
                    rejected_log_records: rejected,
                    error_message: self.message.clone(),
                }),
            }
            .encode_to_vec(),
            Signal::Metrics => ExportMetricsServiceResponse::default().encode_to_vec(),
        }
    }

    /// The OTLP/JSON response body.
    pub fn response_json(&self) -> serde_json::Value {
        if self.rejected == 0 {
            return serde_json::json!({});
        }
        serde_json::json!({"partialSuccess": {
            self.signal.rejected_field(): self.rejected.to_string(),
            "errorMessage": self.message,
        }})
    }
}

/// Rejections worded once for every transport: the count, then the first five faults.
pub fn rejection_message(signal: Signal, rejected: u64, messages: &[String]) -> String {
    let shown: Vec<&str> = messages.iter().take(5).map(String::as_str).collect();
    let mut text = format!("{rejected} {} rejected: {}", signal.items(), shown.join("; "));
    let more = (rejected as usize).saturating_sub(shown.len());
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

fn ingest_error(what: &str, error: IngestError) -> AppError {
    let kind = match error.kind {
        IngestErrorKind::TooLarge => ErrorKind::TooLarge,
        _ => ErrorKind::InvalidRequest,
    };
    AppError::new(kind, format!("{what}: {}", error.message))
}

impl App {
    /// Accepts one OTLP export request: decodes it, stores what is valid durably, and says what
    /// was rejected. See the module documentation for the rules.
    pub fn export(&self, request: ExportRequest<'_>) -> AppResult<ExportOutcome> {
        let inflated;
        let body = match request.compression {
            Compression::None => request.body,
            Compression::Gzip => {
                inflated = rootspan_ingest::decompress_gzip(request.body, self.config.max_decoded_bytes)
                    .map_err(|e| ingest_error("gzip body", e))?;
                &inflated
            }
        };
        if body.len() > self.config.max_decoded_bytes {
            return Err(AppError::too_large(format!(
                "the request body is {} bytes, over the {}-byte limit",
                body.len(),
                self.config.max_decoded_bytes
            )));
        }
        let signal = request.signal;
        // A key's project wins over whatever the request names.
        let project = self.scope().or(request.project);
        let (batch, rejected, messages) = match signal {
            Signal::Metrics => return Ok(ExportOutcome { signal, accepted: 0, rejected: 0, message: String::new() }),
            Signal::Traces => {
                let decoded = rootspan_ingest::decode_traces_with(body, request.encoding, project, Depth::Columns)
                    .map_err(|e| ingest_error("request", e))?;
                (WriteBatch::spans_only(decoded.items), decoded.rejected, decoded.rejection_messages)
            }
            Signal::Logs => {
                let decoded = rootspan_ingest::decode_logs(body, request.encoding, project)
                    .map_err(|e| ingest_error("request", e))?;
                (WriteBatch::logs_only(decoded.items), decoded.rejected, decoded.rejection_messages)
            }
        };
        let (batch, foreign) = self.drop_foreign(batch)?;
        let (rejected, messages) = if foreign > 0 {
            let mut messages = messages;
            messages.insert(0, format!("{foreign} items name a trace this key cannot write to"));
            (rejected + foreign, messages)
        } else {
            (rejected, messages)
        };
        let accepted = (batch.spans().len() + batch.logs().len()) as u64;
        let message = if rejected > 0 { rejection_message(signal, rejected, &messages) } else { String::new() };
        if accepted == 0 && rejected > 0 {
            return Err(AppError::invalid(message));
        }
        let (batch, redacted) = self.redact(batch);
        // What is forwarded is what was stored: the request as received when nothing was
        // redacted, else the redacted spans re-encoded (redacted log records are not forwarded,
        // for want of an encoder, rather than forwarded with their secrets).
        let forwarded: Option<(Vec<u8>, Encoding, Compression)> = match &self.forwarder {
            Some(_) if accepted > 0 && !redacted => Some((request.body.into(), request.encoding, request.compression)),
            Some(_) if accepted > 0 && signal == Signal::Traces => Some((
                rootspan_ingest::spans_to_request(batch.spans()).encode_to_vec(),
                Encoding::Protobuf,
                Compression::None,
            )),
            Some(_) if accepted > 0 => {
                tracing::warn!("redacted log records are stored and not forwarded");
                None
            }
            _ => None,
        };
        self.write_redacted(batch)?;
        if let (Some(forwarder), Some((body, encoding, compression))) = (&self.forwarder, forwarded) {
            forwarder.offer(crate::forward::Forwarded {
                signal,
                body: body.into(),
                encoding,
                compression,
                project: self.scope().or(request.project).map(Into::into),
            });
        }
        Ok(ExportOutcome { signal, accepted, rejected, message })
    }
}
