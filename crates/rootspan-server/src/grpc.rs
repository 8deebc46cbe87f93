//! OTLP/gRPC: TraceService/Export, LogsService/Export and MetricsService/Export (acknowledged,
//! not stored), gzip accepted. A request whose spans are all invalid gets INVALID_ARGUMENT;
//! partly invalid requests get a partial success.

use crate::AppState;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{MetricsService, MetricsServiceServer};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse};
use rootspan_store::WriteBatch;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

struct Otlp {
    state: AppState,
}

fn project_of<T>(request: &Request<T>) -> Option<String> {
    request
        .metadata()
        .get(crate::otlp_http::PROJECT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

fn rejection_text(messages: &[String], rejected: u64) -> String {
    let shown: Vec<&str> = messages.iter().take(5).map(String::as_str).collect();
    format!("{rejected} rejected: {}", shown.join("; "))
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(&self, request: Request<ExportTraceServiceRequest>) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let project = project_of(&request);
        let decoded = rootspan_ingest::spans_from_request_with(request.into_inner(), project.as_deref(), rootspan_ingest::Depth::Columns);
        if decoded.items.is_empty() && decoded.rejected > 0 {
            return Err(Status::invalid_argument(rejection_text(&decoded.rejection_messages, decoded.rejected)));
        }
        let rejected = decoded.rejected;
        let message = if rejected > 0 { rejection_text(&decoded.rejection_messages, rejected) } else { String::new() };
        self.state
            .write(WriteBatch { spans: decoded.items, logs: Vec::new() })
            .await
            .map_err(|e| Status::unavailable(format!("store: {e}")))?;
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess { rejected_spans: rejected as i64, error_message: message }),
        }))
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(&self, request: Request<ExportLogsServiceRequest>) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let project = project_of(&request);
        let decoded = rootspan_ingest::logs_from_request(request.into_inner(), project.as_deref());
        if decoded.items.is_empty() && decoded.rejected > 0 {
            return Err(Status::invalid_argument(rejection_text(&decoded.rejection_messages, decoded.rejected)));
        }
        let rejected = decoded.rejected;
        let message = if rejected > 0 { rejection_text(&decoded.rejection_messages, rejected) } else { String::new() };
        self.state
            .write(WriteBatch { spans: Vec::new(), logs: decoded.items })
            .await
            .map_err(|e| Status::unavailable(format!("store: {e}")))?;
        Ok(Response::new(ExportLogsServiceResponse {
            partial_success: (rejected > 0).then(|| ExportLogsPartialSuccess { rejected_log_records: rejected as i64, error_message: message }),
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(&self, _request: Request<ExportMetricsServiceRequest>) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Serves OTLP/gRPC on an already-bound listener until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limit = state.config.max_body_bytes;
    let traces = TraceServiceServer::new(Otlp { state: state.clone() })
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let logs = LogsServiceServer::new(Otlp { state: state.clone() })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let metrics = MetricsServiceServer::new(Otlp { state })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .add_service(traces)
        .add_service(logs)
        .add_service(metrics)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
