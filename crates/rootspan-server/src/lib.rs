//! The rootspan server: OTLP/HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`) and the REST API on
//! one HTTP listener, OTLP/gRPC (TraceService, LogsService, MetricsService) on another.
//!
//! Thin adapters over [`rootspan_app::App`]: both listeners hand the request bytes to the same
//! export use case, so a span is durable and queryable when its request is acknowledged, and
//! both transports accept, reject and word their answers alike. Errors map to statuses in one
//! place ([`error`]).

pub mod api;
pub mod error;
pub mod grpc;
pub mod otlp_http;

use rootspan_app::App;
use std::net::SocketAddr;

/// Server settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    /// Largest accepted request body on the wire (413 above it over HTTP).
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Shared state of both listeners.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: ServerConfig,
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
    let router = otlp_http::router(state.clone()).merge(api::router(state.clone()));
    let http = tokio::spawn(async move {
        axum::serve(http_listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_http.recv().await;
            })
            .await
    });
    let grpc = tokio::spawn(grpc::serve(state, grpc_listener, async move {
        let _ = stop_grpc.recv().await;
    }));
    shutdown.await;
    let _ = stop_tx.send(());
    http.await??;
    grpc.await??;
    Ok(())
}
