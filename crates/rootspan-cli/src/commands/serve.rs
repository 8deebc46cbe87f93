//! `rootspan serve`: OTLP/HTTP + REST on one listener, OTLP/gRPC on another, embedded store.

use crate::store::StoreArgs;
use anyhow::Context;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// HTTP address for OTLP/HTTP and the REST API [env: ROOTSPAN_LISTEN; config: listen; default 127.0.0.1:4318]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// gRPC address for OTLP/gRPC [env: ROOTSPAN_GRPC_LISTEN; config: grpc_listen; default 127.0.0.1:4317]
    #[arg(long, value_name = "ADDR")]
    pub grpc_listen: Option<String>,
    /// Largest accepted request body in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_body_mib: usize,
}

fn address(
    flag: Option<String>,
    env: &str,
    config: Option<String>,
    default: &str,
    what: &str,
) -> anyhow::Result<SocketAddr> {
    let text = flag
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
        .or(config)
        .unwrap_or_else(|| default.to_owned());
    text.parse().with_context(|| format!("{what} address {text:?} is not HOST:PORT (e.g. 127.0.0.1:4318)"))
}

/// Caps glibc's malloc arenas: each of the server's threads would otherwise get its own arena,
/// and memory freed in one is not reused by another, which inflates the resident set under load.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only changes allocator tuning; called before the server's threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    limit_malloc_arenas();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ROOTSPAN_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none())
        .init();
    let config = crate::config::load()?;
    let http_addr = address(args.listen, "ROOTSPAN_LISTEN", config.listen, "127.0.0.1:4318", "HTTP")?;
    let grpc_addr = address(args.grpc_listen, "ROOTSPAN_GRPC_LISTEN", config.grpc_listen, "127.0.0.1:4317", "gRPC")?;
    let location = args.store.location()?;
    let store = crate::store::open(&location)?;
    let max_body_bytes = args.max_body_mib.saturating_mul(1024 * 1024);
    let app_config = rootspan_app::AppConfig {
        max_decoded_bytes: max_body_bytes.max(rootspan_ingest::DEFAULT_MAX_DECOMPRESSED_BYTES),
    };
    let app = rootspan_app::App::with_worker(store, app_config);
    let server_config = rootspan_server::ServerConfig { http_addr, grpc_addr, max_body_bytes };
    let state = rootspan_server::AppState { app: app.clone(), config: server_config };
    let runtime = tokio::runtime::Builder::new_multi_thread().max_blocking_threads(8).enable_all().build()?;
    eprintln!("rootspan: store {location}");
    eprintln!("rootspan: OTLP/HTTP and REST on http://{http_addr} (POST /v1/traces, /v1/logs; GET /api/traces)");
    eprintln!("rootspan: OTLP/gRPC on {grpc_addr}");
    runtime.block_on(rootspan_server::serve(state, shutdown_signal()))?;
    app.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!("rootspan: shutting down");
}
