//! OTLP/gRPC: TraceService/Export, LogsService/Export and MetricsService/Export (acknowledged, not
//! stored), gzip accepted.
//!
//! The methods are served through a raw-bytes codec and decoded here rather than by tonic's
//! protobuf codec, so that a malformed request gets INVALID_ARGUMENT with a message naming the
//! problem (tonic's codec answers INTERNAL). A request whose spans are all invalid is rejected
//! with INVALID_ARGUMENT; a partly invalid one gets a partial success.

use crate::AppState;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use rootspan_store::WriteBatch;
use std::convert::Infallible;
use std::marker::PhantomData;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{
    Body, BoxFuture, CompressionEncoding, Context, EnabledCompressionEncodings, Poll, StdError, http,
};
use tonic::server::{NamedService, UnaryService};
use tonic::{Request, Status};

/// A codec that passes message bytes through untouched (also usable by gRPC clients that must
/// send arbitrary bytes, as the tests do).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawCodec;

/// The encoder of [`RawCodec`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RawEncoder;

/// The decoder of [`RawCodec`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, destination: &mut EncodeBuf<'_>) -> Result<(), Status> {
        bytes::BufMut::put_slice(destination, &item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; bytes::Buf::remaining(source)];
        bytes::Buf::copy_to_slice(source, &mut out);
        Ok(Some(out))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// One OTLP signal's gRPC service.
trait Signal: Send + Sync + 'static {
    const NAME: &'static str;
    const PATH: &'static str;
    fn handle(state: AppState, request: Request<Vec<u8>>) -> BoxFuture<Vec<u8>, Status>;
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

struct Traces;

impl Signal for Traces {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    fn handle(state: AppState, request: Request<Vec<u8>>) -> BoxFuture<Vec<u8>, Status> {
        Box::pin(async move {
            let project = project_of(&request);
            let body = request.into_inner();
            let message = ExportTraceServiceRequest::decode(body.as_slice()).map_err(|e| {
                Status::invalid_argument(format!("malformed ExportTraceServiceRequest ({} bytes): {e}", body.len()))
            })?;
            let decoded =
                rootspan_ingest::spans_from_request_with(message, project.as_deref(), rootspan_ingest::Depth::Columns);
            if decoded.items.is_empty() && decoded.rejected > 0 {
                return Err(Status::invalid_argument(rejection_text(&decoded.rejection_messages, decoded.rejected)));
            }
            let rejected = decoded.rejected;
            let text = if rejected > 0 { rejection_text(&decoded.rejection_messages, rejected) } else { String::new() };
            state
                .write(WriteBatch { spans: decoded.items, logs: Vec::new() })
                .await
                .map_err(|e| Status::unavailable(format!("store: {e}")))?;
            let response = ExportTraceServiceResponse {
                partial_success: (rejected > 0)
                    .then_some(ExportTracePartialSuccess { rejected_spans: rejected as i64, error_message: text }),
            };
            Ok(response.encode_to_vec())
        })
    }
}

struct Logs;

impl Signal for Logs {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    fn handle(state: AppState, request: Request<Vec<u8>>) -> BoxFuture<Vec<u8>, Status> {
        Box::pin(async move {
            let project = project_of(&request);
            let body = request.into_inner();
            let message = ExportLogsServiceRequest::decode(body.as_slice()).map_err(|e| {
                Status::invalid_argument(format!("malformed ExportLogsServiceRequest ({} bytes): {e}", body.len()))
            })?;
            let decoded = rootspan_ingest::logs_from_request(message, project.as_deref());
            if decoded.items.is_empty() && decoded.rejected > 0 {
                return Err(Status::invalid_argument(rejection_text(&decoded.rejection_messages, decoded.rejected)));
            }
            let rejected = decoded.rejected;
            let text = if rejected > 0 { rejection_text(&decoded.rejection_messages, rejected) } else { String::new() };
            state
                .write(WriteBatch { spans: Vec::new(), logs: decoded.items })
                .await
                .map_err(|e| Status::unavailable(format!("store: {e}")))?;
            let response = ExportLogsServiceResponse {
                partial_success: (rejected > 0)
                    .then_some(ExportLogsPartialSuccess { rejected_log_records: rejected as i64, error_message: text }),
            };
            Ok(response.encode_to_vec())
        })
    }
}

struct Metrics;

impl Signal for Metrics {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    fn handle(_state: AppState, _request: Request<Vec<u8>>) -> BoxFuture<Vec<u8>, Status> {
        Box::pin(async move { Ok(ExportMetricsServiceResponse::default().encode_to_vec()) })
    }
}

struct Handler<S: Signal>(AppState, PhantomData<S>);

impl<S: Signal> UnaryService<Vec<u8>> for Handler<S> {
    type Response = Vec<u8>;
    type Future = BoxFuture<tonic::Response<Vec<u8>>, Status>;
    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        let future = S::handle(self.0.clone(), request);
        Box::pin(async move { future.await.map(tonic::Response::new) })
    }
}

/// The tower service of one signal.
struct Service<S: Signal> {
    state: AppState,
    signal: PhantomData<S>,
}

impl<S: Signal> Clone for Service<S> {
    fn clone(&self) -> Self {
        Service { state: self.state.clone(), signal: PhantomData }
    }
}

impl<S: Signal> NamedService for Service<S> {
    const NAME: &'static str = S::NAME;
}

impl<S: Signal, B> tonic::codegen::Service<http::Request<B>> for Service<S>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != S::PATH {
            let path = request.uri().path().to_owned();
            return Box::pin(async move {
                Ok(Status::unimplemented(format!("no method {path}; this service has only Export")).into_http())
            });
        }
        let state = self.state.clone();
        Box::pin(async move {
            let limit = state.config.max_body_bytes;
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            let mut grpc = tonic::server::Grpc::new(RawCodec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(limit), None);
            Ok(grpc.unary(Handler::<S>(state, PhantomData), request).await)
        })
    }
}

/// Serves OTLP/gRPC on an already-bound listener until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .add_service(Service::<Traces> { state: state.clone(), signal: PhantomData })
        .add_service(Service::<Logs> { state: state.clone(), signal: PhantomData })
        .add_service(Service::<Metrics> { state, signal: PhantomData })
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
