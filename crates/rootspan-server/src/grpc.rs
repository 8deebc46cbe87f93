//! OTLP/gRPC: TraceService/Export, LogsService/Export and MetricsService/Export (acknowledged, not
//! stored), gzip accepted.
//!
//! The methods are served through a raw-bytes codec, and the message bytes go to the same export
//! use case as OTLP/HTTP's ([`rootspan_app::export`]) rather than through tonic's protobuf codec:
//! a malformed request gets INVALID_ARGUMENT with a message naming the problem (tonic's codec
//! answers INTERNAL), and acceptance, partial success and wording are those of OTLP/HTTP.

use crate::AppState;
use rootspan_app::{AppError, Compression, ErrorKind, ExportRequest, Signal};
use rootspan_ingest::Encoding;
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

/// The gRPC status of a use-case error (the same kinds the HTTP adapter maps to statuses).
pub fn grpc_status(error: &AppError) -> Status {
    let message = error.public_message().to_owned();
    match error.kind {
        ErrorKind::InvalidRequest => Status::invalid_argument(message),
        // Not retryable: RESOURCE_EXHAUSTED without RetryInfo, as OTLP asks for requests over a limit.
        ErrorKind::TooLarge => Status::resource_exhausted(message),
        ErrorKind::NotFound => Status::not_found(message),
        ErrorKind::Busy => Status::unavailable(message),
        ErrorKind::Unsupported => Status::unimplemented(message),
        ErrorKind::Internal => {
            tracing::error!(error = %error.message, "gRPC export failed");
            Status::internal(message)
        }
    }
}

/// One OTLP signal's gRPC service.
trait OtlpSignal: Send + Sync + 'static {
    const NAME: &'static str;
    const PATH: &'static str;
    const SIGNAL: Signal;
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

/// The export use case, for every signal: the message bytes go to the same path as OTLP/HTTP's.
fn handle<S: OtlpSignal>(state: AppState, request: Request<Vec<u8>>) -> BoxFuture<Vec<u8>, Status> {
    Box::pin(async move {
        let project = project_of(&request);
        let body = request.into_inner();
        let app = state.app.clone();
        let outcome = crate::blocking(move || {
            app.export(ExportRequest {
                signal: S::SIGNAL,
                body: &body,
                encoding: Encoding::Protobuf,
                compression: Compression::None,
                project: project.as_deref(),
            })
        })
        .await;
        match outcome {
            Ok(outcome) => Ok(outcome.response_protobuf()),
            Err(error) => Err(grpc_status(&error)),
        }
    })
}

struct Traces;

impl OtlpSignal for Traces {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const SIGNAL: Signal = Signal::Traces;
}

struct Logs;

impl OtlpSignal for Logs {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const SIGNAL: Signal = Signal::Logs;
}

struct Metrics;

impl OtlpSignal for Metrics {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const SIGNAL: Signal = Signal::Metrics;
}

struct Handler<S: OtlpSignal>(AppState, PhantomData<S>);

impl<S: OtlpSignal> UnaryService<Vec<u8>> for Handler<S> {
    type Response = Vec<u8>;
    type Future = BoxFuture<tonic::Response<Vec<u8>>, Status>;
    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        let future = handle::<S>(self.0.clone(), request);
        Box::pin(async move { future.await.map(tonic::Response::new) })
    }
}

/// The tower service of one signal.
struct Service<S: OtlpSignal> {
    state: AppState,
    signal: PhantomData<S>,
}

impl<S: OtlpSignal> Clone for Service<S> {
    fn clone(&self) -> Self {
        Service { state: self.state.clone(), signal: PhantomData }
    }
}

impl<S: OtlpSignal> NamedService for Service<S> {
    const NAME: &'static str = S::NAME;
}

impl<S: OtlpSignal, B> tonic::codegen::Service<http::Request<B>> for Service<S>
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
