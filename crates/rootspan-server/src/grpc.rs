//! OTLP/gRPC: TraceService/Export, LogsService/Export and MetricsService/Export (acknowledged, not
//! stored), gzip accepted.
//!
//! The methods are served through a raw-bytes codec, and the message bytes go to the same export
//! use case as OTLP/HTTP's ([`rootspan_app::export`]) rather than through tonic's protobuf codec:
//! a malformed request gets INVALID_ARGUMENT with a message naming the problem (tonic's codec
//! answers INTERNAL), and acceptance, partial success and wording are those of OTLP/HTTP.
//!
//! Admission ([`crate::admission`]) reads the message length from the frame header before the
//! message is read: a message over the size limit gets RESOURCE_EXHAUSTED without retry
//! information (not retryable; tonic's own check would answer OUT_OF_RANGE, which OTLP
//! exporters retry forever), and one that does not fit the in-flight budget gets
//! RESOURCE_EXHAUSTED with a `google.rpc.RetryInfo` detail (retryable, after its delay).
//! The store being busy is UNAVAILABLE (retryable).

use crate::AppState;
use crate::admission::{Permit, RETRY_AFTER_SECONDS, charge_for};
use crate::metrics::{Rejection, Transport};
use bytes::{Buf, Bytes, BytesMut};
use rootspan_app::{AppError, Compression, ErrorKind, ExportRequest, Signal};
use rootspan_ingest::Encoding;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
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
        let key = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim().to_owned());
        let app = match crate::auth::authenticate(&state.app, key).await {
            Ok(rootspan_app::auth::Access::Open) => state.app.clone(),
            Ok(rootspan_app::auth::Access::Key(principal)) if principal.role.can_write() => {
                state.app.scoped(&principal.project)
            }
            Ok(rootspan_app::auth::Access::Key(_)) => {
                state.metrics.auth_refused();
                return Err(Status::permission_denied(
                    "this key may not send traces (it needs the ingest or admin role)",
                ));
            }
            Ok(rootspan_app::auth::Access::Denied) => {
                state.metrics.auth_refused();
                return Err(Status::unauthenticated(crate::auth::UNAUTHENTICATED));
            }
            Err(error) => return Err(grpc_status(&error)),
        };
        let admitted = request.extensions().get::<Admitted>().cloned();
        let body = request.into_inner();
        let metrics = state.metrics.clone();
        let Some(admitted) = admitted else {
            metrics.rejected(Transport::Grpc, Rejection::Internal);
            return Err(Status::internal("the request was not admitted"));
        };
        metrics.received(Transport::Grpc, if admitted.wire_bytes > 0 { admitted.wire_bytes } else { body.len() });
        // A compressed message is charged again for what it inflated to.
        if body.len() > admitted.wire_bytes && !admitted.permit.try_grow(charge_for(body.len() - admitted.wire_bytes)) {
            metrics.rejected(Transport::Grpc, Rejection::Busy);
            return Err(shed_status(state.config.max_inflight_bytes));
        }
        let outcome = state
            .admission
            .export(move || {
                app.export(ExportRequest {
                    signal: S::SIGNAL,
                    body: &body,
                    encoding: Encoding::Protobuf,
                    compression: Compression::None,
                    project: project.as_deref(),
                })
            })
            .await;
        drop(admitted);
        match outcome {
            Ok(outcome) => {
                metrics.accepted(Transport::Grpc, S::SIGNAL, outcome.accepted, outcome.rejected);
                Ok(outcome.response_protobuf())
            }
            Err(error) => {
                metrics.rejected(Transport::Grpc, Rejection::of(error.kind));
                Err(grpc_status(&error))
            }
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
            let (parts, body) = request.into_parts();
            let (prefix, header, body) = match peek_frame_header(Box::pin(body)).await {
                Ok(peeked) => peeked,
                Err(status) => return Ok(status.into_http()),
            };
            let mut request = http::Request::from_parts(parts, Prefixed { prefix, inner: body });
            if let Some(wire_bytes) = header {
                if wire_bytes > limit {
                    state.metrics.rejected(Transport::Grpc, Rejection::TooLarge);
                    return Ok(Status::resource_exhausted(format!(
                        "the request message is {wire_bytes} bytes, over the {limit}-byte limit"
                    ))
                    .into_http());
                }
                let Some(permit) = state.admission.budget.try_acquire(charge_for(wire_bytes)) else {
                    tracing::debug!(wire_bytes, "gRPC export shed: over the in-flight budget");
                    state.metrics.rejected(Transport::Grpc, Rejection::Busy);
                    return Ok(shed_status(state.config.max_inflight_bytes).into_http());
                };
                request.extensions_mut().insert(Admitted { permit: Arc::new(permit), wire_bytes });
            } else {
                // No complete frame header: tonic answers the malformed stream; nothing to charge.
                let permit = state.admission.budget.try_acquire(0).map(Arc::new);
                if let Some(permit) = permit {
                    request.extensions_mut().insert(Admitted { permit, wire_bytes: 0 });
                }
            }
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            let mut grpc = tonic::server::Grpc::new(RawCodec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(limit), None);
            Ok(grpc.unary(Handler::<S>(state, PhantomData), request).await)
        })
    }
}

/// The admission of one gRPC request, carried to its handler in the request's extensions.
#[derive(Clone)]
struct Admitted {
    permit: Arc<Permit>,
    wire_bytes: usize,
}

/// `google.rpc.Status` with details, the payload of `grpc-status-details-bin`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatusDetails {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoAny {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// The type URL of [`RetryInfo`] in an `Any`.
pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// RESOURCE_EXHAUSTED with a RetryInfo detail: the request did not fit the in-flight budget, and
/// an OTLP exporter retries it after the delay.
pub fn shed_status(max_inflight_bytes: usize) -> Status {
    let message = format!(
        "the server is at its limit of {} MiB of export requests in flight; retry after {RETRY_AFTER_SECONDS} s",
        max_inflight_bytes / (1024 * 1024)
    );
    let retry = RetryInfo { retry_delay: Some(ProtoDuration { seconds: RETRY_AFTER_SECONDS as i64, nanos: 0 }) };
    let details = RpcStatusDetails {
        code: tonic::Code::ResourceExhausted as i32,
        message: message.clone(),
        details: vec![ProtoAny {
            type_url: RETRY_INFO_TYPE_URL.to_owned(),
            value: prost::Message::encode_to_vec(&retry),
        }],
    };
    Status::with_details(tonic::Code::ResourceExhausted, message, Bytes::from(prost::Message::encode_to_vec(&details)))
}

/// Reads the start of a gRPC request body until the 5-byte frame header is in (compressed flag,
/// message length). Returns the bytes read, the message length when the header is complete,
/// and the rest of the body.
async fn peek_frame_header<B>(mut body: Pin<Box<B>>) -> Result<(Bytes, Option<usize>, Pin<Box<B>>), Status>
where
    B: Body,
    B::Error: Into<StdError>,
{
    let mut prefix = BytesMut::new();
    while prefix.len() < 5 {
        let frame = std::future::poll_fn(|context| body.as_mut().poll_frame(context)).await;
        match frame {
            None => break,
            Some(Err(error)) => {
                let error: StdError = error.into();
                return Err(Status::cancelled(format!("reading the request: {error}")));
            }
            Some(Ok(frame)) => {
                if let Ok(mut data) = frame.into_data() {
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        prefix.extend_from_slice(chunk);
                        let n = chunk.len();
                        data.advance(n);
                    }
                }
            }
        }
    }
    let length = (prefix.len() >= 5).then(|| u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize);
    Ok((prefix.freeze(), length, body))
}

/// A body whose first bytes were already read: gives them back, then the rest.
struct Prefixed<B> {
    prefix: Bytes,
    inner: Pin<Box<B>>,
}

impl<B> Body for Prefixed<B>
where
    B: Body,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, B::Error>>> {
        if !self.prefix.is_empty() {
            let prefix = std::mem::take(&mut self.prefix);
            return Poll::Ready(Some(Ok(http_body::Frame::data(prefix))));
        }
        self.inner.as_mut().poll_frame(context).map(|frame| {
            frame.map(|frame| frame.map(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))))
        })
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.inner.is_end_stream()
    }
}

/// Serves OTLP/gRPC on an already-bound listener until `shutdown` resolves.
///
/// Connections are closed when silent ([`crate::idle`]), which also frees those of dead peers.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use tokio_stream::StreamExt;
    let (first_byte, idle) = (state.config.header_read_timeout, state.config.idle_timeout);
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(move |stream| {
        stream.map(|stream| {
            let _ = stream.set_nodelay(true);
            crate::idle::IdleIo::new(stream, first_byte, idle)
        })
    });
    // No server keep-alive pings: they would keep silent connections busy forever.
    tonic::transport::Server::builder()
        .add_service(Service::<Traces> { state: state.clone(), signal: PhantomData })
        .add_service(Service::<Logs> { state: state.clone(), signal: PhantomData })
        .add_service(Service::<Metrics> { state, signal: PhantomData })
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn busy_is_retryable_and_too_large_is_not() {
        let busy = grpc_status(&AppError::new(ErrorKind::Busy, "locked"));
        assert_eq!(busy.code(), tonic::Code::Unavailable);
        let too_large = grpc_status(&AppError::too_large("big"));
        assert_eq!(too_large.code(), tonic::Code::ResourceExhausted);
        assert!(too_large.details().is_empty(), "no RetryInfo: not retryable");
    }

    #[test]
    fn shed_carries_retry_info() {
        let status = shed_status(256 * 1024 * 1024);
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let details = RpcStatusDetails::decode(status.details()).unwrap();
        assert_eq!(details.code, 8);
        assert_eq!(details.message, status.message());
        assert_eq!(details.details[0].type_url, RETRY_INFO_TYPE_URL);
        let retry = RetryInfo::decode(details.details[0].value.as_slice()).unwrap();
        assert_eq!(retry.retry_delay, Some(ProtoDuration { seconds: 1, nanos: 0 }));
    }
}
