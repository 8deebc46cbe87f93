//! The storage contract of rootspan.
//!
//! [`TraceStore`] is what every backend (embedded SQLite, ClickHouse) implements, and
//! [`conformance`] (feature `conformance`) is the one suite every backend's tests run, so that
//! backends cannot drift apart.
//!
//! # Contract
//! - **Durability**: when [`TraceStore::write`] returns `Ok`, every span and log record in the
//!   batch is durable and visible to [`TraceStore::get_trace`] and [`TraceStore::list_traces`]
//!   from any process reading the same store.
//! - **Idempotency**: writing a span whose (trace id, span id) is already stored replaces it;
//!   delivering the same batch twice leaves the store as after one delivery.
//! - **Order**: spans and logs may arrive in any order and in any batch; log records are attached
//!   to their span whichever arrives first.
//! - **Missing**: `get_trace` of an unknown id returns `Ok(None)`, never an error.
//! - **Listing**: `list_traces` returns summaries newest first (by trace start time), after
//!   filters, at most `limit`.
//! - **Projects**: every span belongs to a project; queries are scoped to one project unless
//!   the filter's project is `None`.

use rootspan_model::{LogRecord, Span, TraceId, TraceSummary};
use serde::{Deserialize, Serialize};

#[cfg(feature = "conformance")]
pub mod conformance;

/// Errors a store reports. `kind` is what callers match on.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub message: String,
}

/// What went wrong, for callers to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The store could not be opened (path, permissions, version).
    Open,
    /// The store is busy or locked for longer than the timeout.
    Busy,
    /// Stored data could not be decoded.
    Corrupt,
    /// The request was invalid (bad filter).
    InvalidRequest,
    /// Any other backend failure.
    Backend,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: message.into() }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A batch to write: spans and log records, possibly of many traces and projects.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
}

/// What a write did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOutcome {
    pub spans_written: u64,
    pub logs_written: u64,
    pub traces_touched: u64,
}

/// One row of the trace list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceListItem {
    pub trace_id: String,
    pub project: String,
    pub service: String,
    pub root_name: String,
    pub start_time_unix_nano: u64,
    pub duration_ns: u64,
    pub span_count: u64,
    pub llm_calls: u64,
    pub tool_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    /// "error" when any span has ERROR status, else "ok".
    pub status: String,
    pub error_spans: u64,
    pub session_id: Option<String>,
    pub models: Vec<String>,
    pub tools: Vec<String>,
    /// Failure signature ids attached by analysis at ingest time (empty when none).
    #[serde(default)]
    pub signatures: Vec<String>,
}

/// Filters for listing traces. Every field narrows; `None` means "any".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TraceFilter {
    pub project: Option<String>,
    pub service: Option<String>,
    /// Trace start >= this.
    pub start_from_unix_nano: Option<u64>,
    /// Trace start < this.
    pub start_to_unix_nano: Option<u64>,
    /// `Some(true)`: only traces with an error span; `Some(false)`: only those without.
    pub has_error: Option<bool>,
    pub min_duration_ns: Option<u64>,
    pub model: Option<String>,
    pub tool: Option<String>,
    pub session_id: Option<String>,
    /// Full-text search over prompts, outputs, tool arguments/results and error messages.
    pub text: Option<String>,
    pub limit: Option<usize>,
}

/// A failure signature attached to a trace (written by the analysis step after ingest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSignature {
    pub trace_id: TraceId,
    /// Stable id of the signature (a hash of `signature`).
    pub signature_id: String,
    /// The human-readable signature.
    pub signature: String,
    pub detector: String,
    pub service: String,
    pub model: Option<String>,
    pub start_time_unix_nano: u64,
}

/// The storage contract; see the crate docs for ordering, idempotency and durability.
pub trait TraceStore: Send + Sync {
    /// Writes a batch durably (see crate docs).
    fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome>;
    /// All spans of a trace (with their logs attached and `gen_ai` normalised), or `None`.
    fn get_trace(&self, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>>;
    /// Trace summaries, newest first.
    fn list_traces(&self, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>>;
    /// The summary counts of one trace, or `None`.
    fn trace_summary(&self, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>>;
    /// Resolves a unique trace id prefix (at least 4 hex digits) to a full id.
    fn resolve_trace_id(&self, prefix: &str) -> StoreResult<Option<TraceId>>;
    /// Replaces the failure signatures of a trace and records that the trace, at its current span
    /// count, has been analysed.
    fn put_signatures(&self, trace_id: &TraceId, signatures: &[TraceSignature]) -> StoreResult<()>;
    /// Traces never analysed, or analysed before spans were added to them, oldest first.
    fn unanalysed_traces(&self, project: Option<&str>) -> StoreResult<Vec<TraceId>>;
    /// All stored failure signatures (for clustering), optionally for one project.
    fn list_signatures(&self, project: Option<&str>) -> StoreResult<Vec<TraceSignature>>;
    /// Number of spans stored.
    fn span_count(&self) -> StoreResult<u64>;
    /// Does one bounded step of deferred work (such as full-text indexing); returns whether more
    /// is pending. Callers run it when idle. Results of queries never depend on it having run.
    fn background_work(&self) -> StoreResult<bool> {
        Ok(false)
    }
    /// Compacts the on-disk state at shutdown (SQLite: checkpoints the WAL). Optional.
    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }
}
