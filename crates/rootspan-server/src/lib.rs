//! The rootspan server: OTLP/HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`) and the REST API on
//! one HTTP listener, OTLP/gRPC (TraceService, LogsService, MetricsService) on another.
//!
//! Both listeners decode with `rootspan-ingest` and write through the same [`TraceStore`], so a
//! span is durable and queryable when its export request is acknowledged.

// Handlers return `Result<_, Response>` and answer the error as it is; boxing the response would
// only add noise on paths that end the request anyway.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod api;
pub mod grpc;
pub mod otlp_http;
pub mod views;

use rootspan_model::TraceId;
use rootspan_store::{TraceStore, WriteBatch, WriteOutcome};
use std::net::SocketAddr;
use std::sync::Arc;

/// Called after each successful write with the traces it touched (e.g. to refresh analyses).
pub type WrittenHook = Arc<dyn Fn(Vec<TraceId>) + Send + Sync>;

/// Server settings.
#[derive(Clone)]
pub struct ServerConfig {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    /// Largest accepted request body, compressed or not (413 above it).
    pub max_body_bytes: usize,
    /// Largest decompressed body (400 above it).
    pub max_decompressed_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            max_body_bytes: 64 * 1024 * 1024,
            max_decompressed_bytes: rootspan_ingest::DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

/// Shared state of both listeners.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn TraceStore>,
    pub config: ServerConfig,
    pub on_written: Option<WrittenHook>,
}

impl AppState {
    /// Writes a batch on a blocking thread, then runs the hook.
    pub async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, rootspan_store::StoreError> {
        if batch.spans.is_empty() && batch.logs.is_empty() {
            return Ok(WriteOutcome::default());
        }
        let mut touched: Vec<TraceId> = batch.spans.iter().map(|s| s.trace_id).collect();
        touched.sort_unstable();
        touched.dedup();
        let store = self.store.clone();
        let outcome = tokio::task::spawn_blocking(move || store.write(batch)).await.map_err(|e| {
            rootspan_store::StoreError::new(rootspan_store::StoreErrorKind::Backend, format!("writer task failed: {e}"))
        })??;
        if let Some(hook) = &self.on_written
            && !touched.is_empty()
        {
            hook(touched);
        }
        Ok(outcome)
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
