//! `rootspan serve`: OTLP/HTTP + REST on one listener, OTLP/gRPC on another, embedded store.

use crate::store::StoreArgs;
use anyhow::Context;
use rootspan_store::TraceStore;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

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
    /// Memory for export requests in flight, in MiB (each is charged its size plus what decoding
    /// makes of it); a request that does not fit gets 429 / RESOURCE_EXHAUSTED with a retry delay.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_inflight_mib: u64,
    /// Exports that run at once (the others wait, within the in-flight budget).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub export_concurrency: u64,
    /// Seconds a connection has to send its first byte, and an HTTP/1 request its head (also
    /// the limit on an HTTP/1 connection idle between requests).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// Seconds without a byte in either direction after which a connection is closed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// What an acknowledged write survives: normal (a crash or kill of the process) or full
    /// (also an OS crash or power loss; one fsync per write).
    #[arg(long, default_value = "normal", value_parser = ["normal", "full"])]
    pub durability: String,
    /// Re-export every accepted export, unchanged, to this OTLP/HTTP base URL (BASE/v1/traces,
    /// BASE/v1/logs); repeatable. Credentials in the URL (http://user:password@host) are sent as
    /// basic authentication and never logged [config: forward]
    #[arg(long, value_name = "OTLP_URL")]
    pub forward: Vec<String>,
    /// The bound of each forwarding destination's retry queue, in MiB; when it is full, the
    /// oldest requests are dropped (and counted in /metrics).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub forward_queue_mib: u64,
    /// Continuous evaluation: a JSON file with `share` (0 to 1) and `scorers` (as in eval
    /// cases); the sampled traces are scored after the detectors, and each failed scorer becomes
    /// a failure signature (`eval | <scorer>`), hence an issue.
    #[arg(long, value_name = "FILE")]
    pub online_eval: Option<std::path::PathBuf>,
    /// Also answer requests whose Host header is this name (the listener always answers its
    /// own address, localhost and loopback; other names are refused with 403, the
    /// DNS-rebinding guard); repeatable [config: allowed_hosts]
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// Serve a non-loopback address although no API key exists, so that anyone who reaches the
    /// address can read and write every trace.
    #[arg(long)]
    pub allow_unauthenticated_network: bool,
    #[command(flatten)]
    pub redact: super::redaction::RedactArgs,
}

/// Opens the store with the durability asked for (the SQLite backend is the only one).
fn open_store(location: &str, durability: &str) -> anyhow::Result<Arc<dyn TraceStore>> {
    use rootspan_store_sqlite::{Durability, SqliteOptions, SqliteStore};
    let durability =
        Durability::parse(durability).with_context(|| format!("--durability {durability:?}: use normal or full"))?;
    if durability == Durability::Normal {
        return crate::store::open(location);
    }
    if location.contains("://") && !location.starts_with("sqlite://") {
        anyhow::bail!(
            "--durability full needs the embedded store (a file path or sqlite://PATH), not {}",
            crate::store::display(location)
        );
    }
    let path = location.strip_prefix("sqlite://").unwrap_or(location);
    let store = SqliteStore::open_with(std::path::Path::new(path), &SqliteOptions { durability })
        .with_context(|| format!("opening store {path}"))?;
    Ok(Arc::new(store))
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
    let http_addr = address(args.listen, "ROOTSPAN_LISTEN", config.listen.clone(), "127.0.0.1:4318", "HTTP")?;
    let grpc_addr =
        address(args.grpc_listen, "ROOTSPAN_GRPC_LISTEN", config.grpc_listen.clone(), "127.0.0.1:4317", "gRPC")?;
    let location = args.store.location()?;
    let store = open_store(&location, &args.durability)?;
    let max_body_bytes = args.max_body_mib.saturating_mul(1024 * 1024);
    let online_eval = match &args.online_eval {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let config = rootspan_app::online::OnlineEval::parse(&text, &path.display().to_string())?;
            eprintln!(
                "rootspan: scoring {:.0}% of incoming traces with {} scorer(s)",
                config.share * 100.0,
                config.scorers.len()
            );
            Some(std::sync::Arc::new(config))
        }
        None => None,
    };
    let app_config = rootspan_app::AppConfig {
        max_decoded_bytes: max_body_bytes.max(rootspan_ingest::DEFAULT_MAX_DECOMPRESSED_BYTES),
        online_eval,
        redactor: args.redact.redactor(&config)?,
    };
    let keys_exist = !store.list_keys()?.is_empty();
    let exposed: Vec<SocketAddr> = [http_addr, grpc_addr].into_iter().filter(|a| !a.ip().is_loopback()).collect();
    if !keys_exist && !exposed.is_empty() && !args.allow_unauthenticated_network {
        anyhow::bail!(
            "refusing to serve {} without authentication: no API key exists, so anyone who reaches that address could \
             read and write every trace. Create a key first (rootspan keys create --project P --role admin), listen on \
             loopback, or pass --allow-unauthenticated-network",
            exposed.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
        );
    }
    let mut allowed_hosts = args.allowed_hosts.clone();
    allowed_hosts.extend(config.allowed_hosts.iter().flatten().cloned());
    let forward_urls = if args.forward.is_empty() { config.forward.clone().unwrap_or_default() } else { args.forward };
    let queue_bytes = usize::try_from(args.forward_queue_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
    let mut destinations = Vec::new();
    for url in &forward_urls {
        destinations.push(rootspan_server::forward::destination(url, queue_bytes)?);
    }
    let mut app = rootspan_app::App::with_worker(store, app_config);
    if !destinations.is_empty() {
        for destination in &destinations {
            eprintln!(
                "rootspan: forwarding accepted exports to {} (queue {} MiB)",
                destination.label(),
                args.forward_queue_mib
            );
        }
        app = app.with_forwarder(Arc::new(rootspan_app::forward::Forwarder::new(destinations)));
    }
    let server_config = rootspan_server::ServerConfig {
        http_addr,
        grpc_addr,
        max_body_bytes,
        max_inflight_bytes: usize::try_from(args.max_inflight_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
        export_concurrency: args.export_concurrency as usize,
        header_read_timeout: Duration::from_secs(args.header_read_timeout_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs),
        allowed_hosts,
    };
    let state = rootspan_server::AppState::new(app.clone(), server_config);
    let runtime = tokio::runtime::Builder::new_multi_thread().max_blocking_threads(8).enable_all().build()?;
    eprintln!("rootspan: store {} (durability {})", crate::store::display(&location), args.durability);
    eprintln!("rootspan: OTLP/HTTP and REST on http://{http_addr} (POST /v1/traces, /v1/logs; GET /api/traces)");
    eprintln!("rootspan: OTLP/gRPC on {grpc_addr}");
    eprintln!("rootspan: Prometheus metrics on http://{http_addr}/metrics");
    if keys_exist {
        eprintln!("rootspan: authentication on: every request needs an API key (Authorization: Bearer KEY)");
    } else if exposed.is_empty() {
        eprintln!("rootspan: authentication off (no API key exists); serving loopback only");
    } else {
        eprintln!(
            "rootspan: WARNING: authentication off (no API key exists) on a network address, as \
             --allow-unauthenticated-network asked; anyone who reaches it can read and write every trace"
        );
    }
    runtime.block_on(rootspan_server::serve(state, shutdown_signal()))?;
    app.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
