//! The storage contract of rootspan.
//!
//! [`TraceStore`] is what every backend (embedded SQLite, ClickHouse) implements; [`rows`] holds
//! what every backend stores besides the spans (the narrow span columns and the per-trace summary
//! roll-up), computed once here; and [`conformance`] (feature `conformance`) is the one suite
//! every backend's tests run, one test per case, so that backends cannot drift apart.
//!
//! # Contract
//! - **Normalisation**: a [`WriteBatch`] can only be built by [`WriteBatch::new`], which derives
//!   each span's view at [`Depth::Columns`] unless it is already derived at least that far. A
//!   backend therefore never normalises on write; it stores the raw span and the [`rows::SpanRow`]
//!   of it. On read, backends implement [`TraceStore::load_trace`] (raw spans, logs attached) and
//!   the provided [`TraceStore::get_trace`] derives the full view ([`Depth::Full`]) and orders the
//!   spans; backends do not override it.
//! - **Durability**: when [`TraceStore::write`] returns `Ok`, every span and log record in the
//!   batch is durable and visible to [`TraceStore::get_trace`] and [`TraceStore::list_traces`]
//!   from any process reading the same store. A failed write stores nothing of the batch.
//! - **Idempotency**: writing a span whose (trace id, span id) is already stored replaces it;
//!   delivering the same batch twice leaves the store as after one delivery.
//! - **Order**: spans and logs may arrive in any order and in any batch; log records are attached
//!   to their span whichever arrives first.
//! - **Summaries**: after each write, the [`rows::TraceRecord`] of every touched trace is rolled up
//!   again from all its span rows with [`rows::TraceRecord::roll_up`]. A trace keeps the project of
//!   its first write.
//! - **Missing**: `get_trace` and `trace_summary` of an unknown id return `Ok(None)`, never an
//!   error; [`TraceStore::resolve_trace_id`] says whether a prefix matched none, one or several.
//! - **Listing**: `list_traces` returns summaries newest first (by trace start time, then trace id),
//!   after filters, at most `limit` (default [`DEFAULT_LIST_LIMIT`]). A text search sees every
//!   committed write.
//! - **Projects**: every span belongs to a project; queries are scoped to one project unless
//!   the filter's project is `None`.
//! - **Keys**: API keys ([`ApiKey`]) are stored by the hash of their secret, never the secret;
//!   `find_key_by_hash` sees a key (and its revocation) as soon as the write that stored it
//!   returned; a prefix names at most one key.
//! - **Issues**: the issue log ([`IssueEvent`]) is append-only; entries come back in the order of
//!   their time, then of appending.
//! - **Errors**: [`StoreErrorKind::Busy`] means "retry later"; [`StoreErrorKind::InvalidRequest`]
//!   names the field at fault; other kinds are failures whose message is for logs, not callers.
//! - **Synchronous**: every method blocks; async adapters call them on blocking threads (ADR 003).

pub mod error;
pub mod rows;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{StoreError, StoreErrorKind, StoreResult};
pub use rootspan_model::conventions::Depth;

use rootspan_model::pricing::PriceTable;
use rootspan_model::{LogRecord, Span, SpanId, TraceId, TraceSummary, conventions};
use serde::{Deserialize, Serialize};

/// `list_traces` returns at most this many items when the filter names no limit.
pub const DEFAULT_LIST_LIMIT: usize = 100;
/// The largest `limit` a list accepts.
pub const MAX_LIST_LIMIT: usize = 1_000_000;

/// A batch to write: spans and log records, possibly of many traces and projects. Built only by
/// [`WriteBatch::new`], so every span's columns view is derived exactly once.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
}

impl WriteBatch {
    /// A batch of spans and logs. Spans whose view is not yet derived to [`Depth::Columns`] (or
    /// further) are normalised here; spans decoded by `rootspan-ingest` already are, and are not
    /// normalised twice.
    pub fn new(mut spans: Vec<Span>, logs: Vec<LogRecord>) -> WriteBatch {
        let prices = PriceTable::active();
        for span in &mut spans {
            if span.gen_ai.derived.is_none_or(|depth| depth < Depth::Columns) {
                conventions::normalize_with(span, Depth::Columns, prices);
            }
        }
        WriteBatch { spans, logs }
    }

    /// A batch of spans only.
    pub fn spans_only(spans: Vec<Span>) -> WriteBatch {
        WriteBatch::new(spans, Vec::new())
    }

    /// A batch of log records only.
    pub fn logs_only(logs: Vec<LogRecord>) -> WriteBatch {
        WriteBatch { spans: Vec::new(), logs }
    }

    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    pub fn logs(&self) -> &[LogRecord] {
        &self.logs
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.logs.is_empty()
    }

    /// The distinct trace ids of the batch's spans, sorted.
    pub fn trace_ids(&self) -> Vec<TraceId> {
        let mut ids: Vec<TraceId> = self.spans.iter().map(|s| s.trace_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn into_parts(self) -> (Vec<Span>, Vec<LogRecord>) {
        (self.spans, self.logs)
    }
}

/// What a trace id prefix matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixMatch {
    /// No stored trace id starts with it.
    None,
    /// Exactly one does.
    Unique(TraceId),
    /// Several do.
    Ambiguous,
}

/// Finishes the spans a backend loaded: derives the full view of each, attaches nothing new, and
/// orders them by start time, then span id. What [`TraceStore::get_trace`] does after
/// [`TraceStore::load_trace`].
pub fn finish_loaded(mut spans: Vec<Span>) -> Vec<Span> {
    let prices = PriceTable::active();
    for span in &mut spans {
        conventions::normalize_with(span, Depth::Full, prices);
    }
    // Sort indexes, then move each span once: spans are large, and sorting them in place moved
    // gigabytes for a 100,000-span trace.
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| {
        (spans[a].start_time_unix_nano, spans[a].span_id).cmp(&(spans[b].start_time_unix_nano, spans[b].span_id))
    });
    let mut slots: Vec<Option<Span>> = spans.into_iter().map(Some).collect();
    order.into_iter().filter_map(|position| slots[position].take()).collect()
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
    /// The failure mode the stored analysis diagnosed (the `failure_mode` of `rootspan
    /// diagnose`), or `None` when it found none or has not analysed the trace yet.
    #[serde(default)]
    pub failure_mode: Option<String>,
    /// A failure was diagnosed although no span has ERROR status: the run "succeeded" and is
    /// wrong. Derived from `status` and `failure_mode`.
    #[serde(default)]
    pub silent_failure: bool,
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
    /// Only traces after this position of the list order (newest first, then trace id): the
    /// start time and trace id of the last item of the previous page.
    #[serde(default)]
    pub after: Option<ListCursor>,
}

/// A position in the trace list: the start time and trace id of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub start_time_unix_nano: u64,
    pub trace_id: TraceId,
}

impl ListCursor {
    /// The cursor after this item.
    pub fn after(item: &TraceListItem) -> Option<ListCursor> {
        Some(ListCursor {
            start_time_unix_nano: item.start_time_unix_nano,
            trace_id: rootspan_model::parse_trace_id(&item.trace_id).ok()?,
        })
    }

    /// Opaque text form: `<start ns>-<trace id hex>`.
    pub fn encode(&self) -> String {
        format!("{}-{}", self.start_time_unix_nano, rootspan_model::trace_id_hex(&self.trace_id))
    }

    /// Parses [`ListCursor::encode`]'s form.
    pub fn decode(text: &str) -> Option<ListCursor> {
        let (start, id) = text.split_once('-')?;
        Some(ListCursor {
            start_time_unix_nano: start.parse().ok()?,
            trace_id: rootspan_model::parse_trace_id(id).ok()?,
        })
    }
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
    /// The failure mode of the diagnosis this signature came from; `None` when the diagnosis
    /// found no failure (the signature then records a lesser finding or an error span).
    #[serde(default)]
    pub failure_mode: Option<String>,
}

/// One entry of the append-only log of failure issues: a change of an issue's state, or an
/// observation about it (an eval case linked, passed or failed). An issue is a failure signature
/// (`issue_id` is its `signature_id`); its current state is the `state` of its latest entry that
/// has one. Entries are never changed or deleted, so the log is the issue's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueEvent {
    pub issue_id: String,
    pub project: String,
    pub at_unix_nano: u64,
    /// What happened, e.g. `opened`, `resolved`, `reopened`, `ignored`, `regressed`,
    /// `eval_linked`, `eval_passed`, `eval_failed`.
    pub kind: String,
    /// The state after this entry (`active`, `resolved`, `regressed`, `ignored`), or `None` when
    /// the entry does not change the state.
    pub state: Option<String>,
    /// Why, for humans: who resolved it, which trace matched, which eval case failed.
    pub cause: String,
    /// The trace that caused the entry, if any (hex id).
    #[serde(default)]
    pub trace_id: Option<String>,
    /// The eval case the entry is about, if any.
    #[serde(default)]
    pub case_id: Option<String>,
}

/// An API key as stored: everything but its secret. `hash` is the hex SHA-256 of the whole key;
/// `prefix` is the key's first characters, unique, shown in lists and used to revoke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub prefix: String,
    pub hash: String,
    pub label: String,
    pub project: String,
    /// `ingest`, `read` or `admin`.
    pub role: String,
    pub created_unix_nano: u64,
    /// When it was revoked; `None` while it is valid.
    pub revoked_unix_nano: Option<u64>,
}

/// The storage contract; see the crate docs for normalisation, ordering, idempotency and
/// durability. Every method blocks.
pub trait TraceStore: Send + Sync {
    /// Writes a batch durably and atomically (see crate docs).
    fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome>;
    /// The stored spans of a trace with their log records attached, in any order, views not
    /// derived; `None` when the trace is unknown. Callers use [`TraceStore::get_trace`].
    fn load_trace(&self, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>>;
    /// All spans of a trace, logs attached, full view derived, ordered by start time; `None` when
    /// the trace is unknown. Provided: backends implement [`TraceStore::load_trace`] instead.
    fn get_trace(&self, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
        Ok(self.load_trace(trace_id)?.map(finish_loaded))
    }
    /// One page of a trace's span rows (the narrow columns, no payloads), in span id order,
    /// starting after `after` (exclusive), at most `limit` rows; `None` when the trace is
    /// unknown. Huge traces are read this way, a page at a time. Provided (from `load_trace`);
    /// backends override it to avoid loading the whole trace.
    fn span_rows_page(
        &self,
        trace_id: &TraceId,
        after: Option<&SpanId>,
        limit: usize,
    ) -> StoreResult<Option<Vec<rows::SpanRow>>> {
        let Some(spans) = self.get_trace(trace_id)? else { return Ok(None) };
        let mut page: Vec<rows::SpanRow> =
            spans.iter().filter(|s| after.is_none_or(|a| &s.span_id > a)).map(rows::SpanRow::from_span).collect();
        page.sort_by_key(|row| row.span_id);
        page.truncate(limit);
        Ok(Some(page))
    }
    /// One span with its log records, full view derived, or `None`. Provided (from
    /// `load_trace`); backends override it to decode only the chunk that holds the span.
    fn get_span(&self, trace_id: &TraceId, span_id: &SpanId) -> StoreResult<Option<Span>> {
        Ok(self.get_trace(trace_id)?.and_then(|spans| spans.into_iter().find(|s| &s.span_id == span_id)))
    }
    /// Trace summaries, newest first; an invalid filter is [`StoreErrorKind::InvalidRequest`].
    fn list_traces(&self, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>>;
    /// The summary counts of one trace, or `None`.
    fn trace_summary(&self, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>>;
    /// What a trace id prefix (4 to 32 hex digits, any case) matches. Anything else matches none.
    fn resolve_trace_id(&self, prefix: &str) -> StoreResult<PrefixMatch>;
    /// Replaces the failure signatures of a trace and records that the trace, at its current span
    /// count, has been analysed.
    fn put_signatures(&self, trace_id: &TraceId, signatures: &[TraceSignature]) -> StoreResult<()>;
    /// Traces never analysed, or analysed before spans were added to them, oldest first.
    fn unanalysed_traces(&self, project: Option<&str>) -> StoreResult<Vec<TraceId>>;
    /// All stored failure signatures (for clustering), optionally for one project, oldest first.
    fn list_signatures(&self, project: Option<&str>) -> StoreResult<Vec<TraceSignature>>;
    /// Appends entries to the issue log, durably and atomically (all or none).
    fn append_issue_events(&self, events: &[IssueEvent]) -> StoreResult<()>;
    /// The issue log, optionally of one project: oldest first by `at_unix_nano`; entries with the
    /// same time in the order they were appended.
    fn issue_events(&self, project: Option<&str>) -> StoreResult<Vec<IssueEvent>>;
    /// Stores a new API key, durably. A key whose prefix or hash is already stored is
    /// [`StoreErrorKind::InvalidRequest`].
    fn put_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// Every stored key, revoked ones included, oldest first.
    fn list_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// The key whose `hash` this is (revoked or not), or `None`.
    fn find_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>>;
    /// Marks the key with this exact prefix revoked at `at_unix_nano`; returns whether a key that
    /// was valid until now was revoked (`false` for an unknown or already revoked prefix).
    fn revoke_key(&self, prefix: &str, at_unix_nano: u64) -> StoreResult<bool>;
    /// The project of a stored trace, or `None` when the trace is unknown. Provided (from
    /// `load_trace`); backends override it to read the summary row only.
    fn trace_project(&self, trace_id: &TraceId) -> StoreResult<Option<String>> {
        Ok(self.load_trace(trace_id)?.and_then(|spans| {
            spans.iter().min_by_key(|s| (s.parent_span_id.is_some(), s.start_time_unix_nano)).map(|s| s.project.clone())
        }))
    }
    /// Number of spans stored.
    fn span_count(&self) -> StoreResult<u64>;
    /// How many stored signatures name each detector (`TraceSignature::detector`), by detector,
    /// in detector order. Provided (from `list_signatures`); backends override it to count
    /// without reading every signature.
    fn signature_counts(&self) -> StoreResult<Vec<(String, u64)>> {
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for signature in self.list_signatures(None)? {
            *counts.entry(signature.detector).or_default() += 1;
        }
        Ok(counts.into_iter().collect())
    }
    /// The bytes the store takes on disk, when the backend knows (`None` otherwise).
    fn size_bytes(&self) -> StoreResult<Option<u64>> {
        Ok(None)
    }
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

/// Parses a trace id prefix as [`TraceStore::resolve_trace_id`] accepts it: 4 to 32 hex digits,
/// lowercased. `None` for anything else.
pub fn normalise_prefix(prefix: &str) -> Option<String> {
    let prefix = prefix.trim().to_ascii_lowercase();
    (prefix.len() >= 4 && prefix.len() <= 32 && prefix.chars().all(|c| c.is_ascii_hexdigit())).then_some(prefix)
}
