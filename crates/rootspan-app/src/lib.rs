//! The use cases of rootspan: one place that decides what happens, called by every adapter (the
//! CLI, OTLP/HTTP and REST, OTLP/gRPC, and later the web UI and MCP), so that they cannot
//! disagree. No transport code here: adapters parse their requests, call an [`App`] method, and
//! map the result, or the [`AppError`] kind, to their own answer.
//!
//! - [`export`]: accepting an OTLP export (one path for HTTP and gRPC);
//! - [`forward`]: re-sending accepted exports, unchanged, to other OTLP backends (bounded queues);
//! - [`traces`]: resolving ids and prefixes, loading, listing, searching, exporting traces;
//! - [`analysis`]: diagnose, analyze (the seed analyses), diff, clusters, sessions;
//! - [`worker`]: the work after writes (diagnosing quiet traces, deferred indexing);
//! - [`views`]: the JSON views of traces that every adapter prints;
//! - [`outline`]: the compact tree-order rows of a trace for interactive views (huge traces);
//! - [`prevent`]: traces as recordings, failures as eval cases, failure issues and their states;
//! - [`auth`]: API keys, roles, and authenticating a presented key;
//! - [`scope`]: one project's view of the store, for callers whose key names a project;
//! - [`redact`]: replacing secrets in spans and logs before they are written or forwarded;
//! - [`governance`]: approvals, pauses, guardrail and policy events, blocked actions across traces.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let store = rootspan_store_sqlite::SqliteStore::open(&dir.path().join("a.db")).unwrap();
//! let app = rootspan_app::App::new(std::sync::Arc::new(store), rootspan_app::AppConfig::default());
//! let error = app.resolve_trace("not-an-id").unwrap_err();
//! assert_eq!(error.kind, rootspan_app::ErrorKind::InvalidRequest);
//! ```
//!
//! Every method blocks (the store contract is synchronous, ADR 003): async adapters call them on
//! blocking threads.

pub mod analysis;
pub mod auth;
pub mod error;
pub mod export;
pub mod forward;
pub mod governance;
pub mod online;
pub mod outline;
pub mod prevent;
pub mod redact;
pub mod scope;
pub mod traces;
pub mod trends;
pub mod views;
pub mod worker;

pub use error::{AppError, AppResult, ErrorKind};
pub use export::{Compression, ExportOutcome, ExportRequest, Signal};

use rootspan_model::TraceId;
use rootspan_store::{TraceStore, WriteBatch, WriteOutcome};
use std::sync::Arc;

/// Limits and settings of the use cases.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Largest decoded (decompressed) export body accepted.
    pub max_decoded_bytes: usize,
    /// Continuous evaluation of a share of incoming traces ([`online`]), when configured.
    pub online_eval: Option<Arc<online::OnlineEval>>,
    /// Replaces secrets before anything is written or forwarded ([`redact`]); `None` keeps
    /// everything verbatim. Default: the built-in rules.
    pub redactor: Option<Arc<redact::Redactor>>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            max_decoded_bytes: rootspan_ingest::DEFAULT_MAX_DECOMPRESSED_BYTES,
            online_eval: None,
            redactor: Some(redact::Redactor::builtin()),
        }
    }
}

/// The application: a store, settings, and (in a server) the after-write worker. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn TraceStore>,
    pub config: AppConfig,
    worker: Option<worker::WorkerHandle>,
    forwarder: Option<Arc<forward::Forwarder>>,
    /// Set by [`App::scoped`]: the caller's key allows one project only.
    scope: Option<scope::Scope>,
}

impl App {
    /// An application over a store, without background work (commands that run and exit).
    pub fn new(store: Arc<dyn TraceStore>, config: AppConfig) -> App {
        App { store, config, worker: None, forwarder: None, scope: None }
    }

    /// The same, with the after-write worker running on its own thread (servers).
    pub fn with_worker(store: Arc<dyn TraceStore>, config: AppConfig) -> App {
        let worker = worker::start(store.clone(), config.online_eval.clone());
        App { store, config, worker, forwarder: None, scope: None }
    }

    /// The same, forwarding every accepted export to the forwarder's destinations.
    pub fn with_forwarder(mut self, forwarder: Arc<forward::Forwarder>) -> App {
        self.forwarder = Some(forwarder);
        self
    }

    /// The forwarder, when exports are forwarded.
    pub fn forwarder(&self) -> Option<&Arc<forward::Forwarder>> {
        self.forwarder.as_ref()
    }

    /// The store (for adapters that report on it, such as health checks).
    pub fn store(&self) -> &dyn TraceStore {
        self.store.as_ref()
    }

    /// Redacts a batch with the configured rules; returns it and whether anything changed.
    pub fn redact(&self, batch: WriteBatch) -> (WriteBatch, bool) {
        let Some(redactor) = &self.config.redactor else { return (batch, false) };
        let (mut spans, mut logs) = batch.into_parts();
        let changed = redactor.redact_batch(&mut spans, &mut logs);
        (WriteBatch::new(spans, logs), changed)
    }

    /// Redacts a batch ([`App::redact`]) and writes it durably; then, with a worker, schedules
    /// the touched traces for analysis.
    pub fn write(&self, batch: WriteBatch) -> AppResult<WriteOutcome> {
        let (batch, _) = self.redact(batch);
        self.write_redacted(batch)
    }

    /// Writes a batch that was already redacted.
    fn write_redacted(&self, batch: WriteBatch) -> AppResult<WriteOutcome> {
        if batch.is_empty() {
            return Ok(WriteOutcome::default());
        }
        let touched: Vec<TraceId> = batch.trace_ids();
        let outcome = self.store.write(batch)?;
        if let Some(worker) = &self.worker
            && !touched.is_empty()
        {
            worker.notify(touched);
        }
        Ok(outcome)
    }

    /// `{"status":"ok","spans":N}`.
    pub fn health(&self) -> AppResult<serde_json::Value> {
        let spans = self.store.span_count()?;
        Ok(serde_json::json!({"status": "ok", "spans": spans}))
    }

    /// Compacts the store's on-disk state (at shutdown).
    pub fn flush(&self) -> AppResult<()> {
        Ok(self.store.flush()?)
    }
}
