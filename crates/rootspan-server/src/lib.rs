//! The rootspan server: OTLP/HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`) and the REST API on
//! one HTTP listener, OTLP/gRPC (TraceService, LogsService, MetricsService) on another.
//!
//! Thin adapters over [`rootspan_app::App`]: both listeners hand the request bytes to the same
//! export use case, so a span is durable and queryable when its request is acknowledged, and
//! both transports accept, reject and word their answers alike. Errors map to statuses in one
//! place ([`error`]).
//!
//! Under load, exports are shed rather than queued ([`admission`]): a byte budget bounds the
//! requests in flight and a few export slots bound the store work, so queries keep answering.
//! Silent connections are closed ([`idle`]). The web UI ([`ui`]) is served on the HTTP listener.
//!
//! Accepted exports are forwarded to other OTLP backends when the app has a forwarder
//! ([`forward`]), and `GET /metrics` exposes the counters in Prometheus format ([`metrics`]).

pub mod admission;
pub mod api;
pub mod auth;
pub mod error;
pub mod forward;
pub mod grpc;
pub mod idle;
pub mod metrics;
pub mod otlp_http;
pub mod ui;

use rootspan_app::App;
use std::net::SocketAddr;
use std::time::Duration;

/// Server settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    /// Largest accepted request body on the wire (413 above it over HTTP).
    pub max_body_bytes: usize,
    /// Bytes of export requests in flight, decoding charged ([`admission`]); over it, requests
    /// are shed with 429 / RESOURCE_EXHAUSTED and a retry delay.
    pub max_inflight_bytes: usize,
    /// Exports running on blocking threads at once; the others wait within the budget.
    pub export_concurrency: usize,
    /// A connection must send its first byte, and an HTTP/1 request its whole head, within this.
    pub header_read_timeout: Duration,
    /// A connection on which nothing moves for this long is closed.
    pub idle_timeout: Duration,
    /// Host names the HTTP listener answers besides its own address ([`auth`]).
    pub allowed_hosts: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            max_body_bytes: 64 * 1024 * 1024,
            max_inflight_bytes: 256 * 1024 * 1024,
            export_concurrency: 2,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            allowed_hosts: Vec::new(),
        }
    }
}

/// Shared state of both listeners.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: ServerConfig,
    pub admission: admission::Admission,
    pub metrics: std::sync::Arc<metrics::Metrics>,
}

impl AppState {
    /// The state of a server over `app`, with the budget and export slots `config` sets.
    pub fn new(app: App, config: ServerConfig) -> AppState {
        let admission = admission::Admission::new(config.max_inflight_bytes, config.export_concurrency);
        AppState { app, config, admission, metrics: Default::default() }
    }
}

/// Runs a use case on a blocking thread (the store contract is synchronous).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> rootspan_app::AppResult<T> + Send + 'static,
) -> rootspan_app::AppResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(error) => Err(rootspan_app::AppError::internal(format!("a blocking task failed: {error}"))),
    }
}

/// Binds both listeners (so callers learn bind errors at once) and serves until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let http_listener = tokio::net::TcpListener::bind(state.config.http_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (HTTP): {e}", state.config.http_addr))?;
    let grpc_listener = tokio::net::TcpListener::bind(state.config.grpc_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (gRPC): {e}", state.config.grpc_addr))?;
    tracing::info!(http = %state.config.http_addr, grpc = %state.config.grpc_addr, "rootspan listening");
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut stop_http = stop_tx.subscribe();
    let mut stop_grpc = stop_tx.subscribe();
    let forwarding = match state.app.forwarder() {
        Some(forwarder) => Some(forward::start(forwarder.clone())?),
        None => None,
    };
    let router = http_router(&state);
    let (header_read_timeout, idle_timeout) = (state.config.header_read_timeout, state.config.idle_timeout);
    let http = tokio::spawn(serve_http(http_listener, router, header_read_timeout, idle_timeout, async move {
        let _ = stop_http.recv().await;
    }));
    let grpc = tokio::spawn(grpc::serve(state, grpc_listener, async move {
        let _ = stop_grpc.recv().await;
    }));
    shutdown.await;
    let _ = stop_tx.send(());
    http.await??;
    grpc.await??;
    if let Some(forwarding) = forwarding {
        forwarding.shutdown(FORWARD_DRAIN).await;
    }
    Ok(())
}

/// Serves OTLP/HTTP, REST and the UI (no gRPC) on a listener the caller bound, until `shutdown`
/// resolves: for in-process receivers on an ephemeral port (`rootspan eval run` captures the
/// traces of the agents it runs this way).
pub async fn serve_http_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = http_router(&state);
    let (header_read_timeout, idle_timeout) = (state.config.header_read_timeout, state.config.idle_timeout);
    serve_http(listener, router, header_read_timeout, idle_timeout, shutdown).await
}

/// Every route of the HTTP listener, behind the host guard and the key check ([`auth`]).
pub fn http_router(state: &AppState) -> axum::Router {
    otlp_http::router(state.clone())
        .merge(api::router(state.clone()))
        .merge(ui::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard))
}

/// How long a shutdown lets the forwarding queues drain.
const FORWARD_DRAIN: Duration = Duration::from_secs(5);

/// How long a shutdown waits for requests in flight before it closes their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves HTTP/1 and HTTP/2 (cleartext) on `listener` with hyper directly (axum::serve does not
/// expose timeouts): a header-read timeout, an inactivity limit per connection, and a graceful
/// shutdown that lets requests in flight finish.
async fn serve_http(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    // No HTTP/2 keep-alive pings: they would keep silent connections busy forever.
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(%error, "accepting an HTTP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(idle::IdleIo::new(stream, header_read_timeout, idle_timeout));
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection_with_upgrades(io, service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "HTTP connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {} s; closing their connections", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}
