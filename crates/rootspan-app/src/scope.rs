//! One project's view of the store: what an [`App`] scoped to a project by its caller's key
//! ([`App::scoped`]) reads and writes through. Every query of the store contract is narrowed to
//! the project here, once, so no use case (list, get, search, diagnose, clusters, sessions,
//! governance, MCP tools, the UI) can forget it:
//!
//! - lists, signatures, the analysis queue and the issue log are of the project only, whatever
//!   project the caller asked for;
//! - a trace of another project is unknown: `None`, exactly as for a trace that does not exist,
//!   and a prefix that matches only such a trace matches none;
//! - a write can neither add spans nor attach log records to another project's trace
//!   ([`App::drop_foreign`]), and its spans are stored in the project.

use crate::App;
use crate::error::AppResult;
use rootspan_model::{Span, SpanId, TraceId, TraceSummary};
use rootspan_store::{
    ApiKey, IssueEvent, PrefixMatch, StoreResult, TraceFilter, TraceListItem, TraceSignature, TraceStore, WriteBatch,
    WriteOutcome, rows::SpanRow,
};
use std::collections::HashMap;
use std::sync::Arc;

/// The project an [`App`] is scoped to, and the whole store under it.
#[derive(Clone)]
pub struct Scope {
    pub project: String,
    base: Arc<dyn TraceStore>,
}

/// A store narrowed to one project.
pub struct ScopedStore {
    inner: Arc<dyn TraceStore>,
    project: String,
}

impl ScopedStore {
    pub fn new(inner: Arc<dyn TraceStore>, project: String) -> ScopedStore {
        ScopedStore { inner, project }
    }

    fn owns(&self, trace_id: &TraceId) -> StoreResult<bool> {
        Ok(self.inner.trace_project(trace_id)?.as_deref() == Some(self.project.as_str()))
    }
}

impl TraceStore for ScopedStore {
    fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome> {
        let (mut spans, logs) = batch.into_parts();
        for span in &mut spans {
            if span.project != self.project {
                span.project.clone_from(&self.project);
            }
        }
        self.inner.write(WriteBatch::new(spans, logs))
    }
    fn load_trace(&self, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
        if !self.owns(trace_id)? {
            return Ok(None);
        }
        self.inner.load_trace(trace_id)
    }
    fn span_rows_page(
        &self,
        trace_id: &TraceId,
        after: Option<&SpanId>,
        limit: usize,
    ) -> StoreResult<Option<Vec<SpanRow>>> {
        if !self.owns(trace_id)? {
            return Ok(None);
        }
        self.inner.span_rows_page(trace_id, after, limit)
    }
    fn get_span(&self, trace_id: &TraceId, span_id: &SpanId) -> StoreResult<Option<Span>> {
        if !self.owns(trace_id)? {
            return Ok(None);
        }
        self.inner.get_span(trace_id, span_id)
    }
    fn list_traces(&self, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
        let filter = TraceFilter { project: Some(self.project.clone()), ..filter.clone() };
        self.inner.list_traces(&filter)
    }
    fn trace_summary(&self, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>> {
        if !self.owns(trace_id)? {
            return Ok(None);
        }
        self.inner.trace_summary(trace_id)
    }
    fn resolve_trace_id(&self, prefix: &str) -> StoreResult<PrefixMatch> {
        match self.inner.resolve_trace_id(prefix)? {
            PrefixMatch::Unique(id) if !self.owns(&id)? => Ok(PrefixMatch::None),
            other => Ok(other),
        }
    }
    fn put_signatures(&self, trace_id: &TraceId, signatures: &[TraceSignature]) -> StoreResult<()> {
        if !self.owns(trace_id)? {
            return Ok(());
        }
        self.inner.put_signatures(trace_id, signatures)
    }
    fn unanalysed_traces(&self, _project: Option<&str>) -> StoreResult<Vec<TraceId>> {
        self.inner.unanalysed_traces(Some(&self.project))
    }
    fn list_signatures(&self, _project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
        self.inner.list_signatures(Some(&self.project))
    }
    fn append_issue_events(&self, events: &[IssueEvent]) -> StoreResult<()> {
        let events: Vec<IssueEvent> =
            events.iter().map(|e| IssueEvent { project: self.project.clone(), ..e.clone() }).collect();
        self.inner.append_issue_events(&events)
    }
    fn issue_events(&self, _project: Option<&str>) -> StoreResult<Vec<IssueEvent>> {
        self.inner.issue_events(Some(&self.project))
    }
    fn put_key(&self, key: &ApiKey) -> StoreResult<()> {
        self.inner.put_key(key)
    }
    fn list_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.inner.list_keys()
    }
    fn find_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        self.inner.find_key_by_hash(hash)
    }
    fn revoke_key(&self, prefix: &str, at_unix_nano: u64) -> StoreResult<bool> {
        self.inner.revoke_key(prefix, at_unix_nano)
    }
    fn trace_project(&self, trace_id: &TraceId) -> StoreResult<Option<String>> {
        Ok(self.inner.trace_project(trace_id)?.filter(|p| *p == self.project))
    }
    /// Spans of the whole store: a count, not content.
    fn span_count(&self) -> StoreResult<u64> {
        self.inner.span_count()
    }
    fn signature_counts(&self) -> StoreResult<Vec<(String, u64)>> {
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for signature in self.list_signatures(None)? {
            *counts.entry(signature.detector).or_default() += 1;
        }
        Ok(counts.into_iter().collect())
    }
    fn size_bytes(&self) -> StoreResult<Option<u64>> {
        self.inner.size_bytes()
    }
    fn background_work(&self) -> StoreResult<bool> {
        self.inner.background_work()
    }
    fn flush(&self) -> StoreResult<()> {
        self.inner.flush()
    }
}

impl App {
    /// The same application, seeing and writing only `project`'s traces (a caller's key).
    pub fn scoped(&self, project: &str) -> App {
        let base = self.scope.as_ref().map_or_else(|| self.store.clone(), |scope| scope.base.clone());
        let mut scoped = self.clone();
        scoped.store = Arc::new(ScopedStore::new(base.clone(), project.to_owned()));
        scoped.scope = Some(Scope { project: project.to_owned(), base });
        scoped
    }

    /// The project this application is scoped to, if any.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_ref().map(|scope| scope.project.as_str())
    }

    /// With a scope: removes the spans and log records of the batch that belong to a trace of
    /// another project; returns the rest and how many items were removed. Without one: the batch.
    pub fn drop_foreign(&self, batch: WriteBatch) -> AppResult<(WriteBatch, u64)> {
        let Some(Scope { project, base }) = self.scope.as_ref() else { return Ok((batch, 0)) };
        let (spans, logs) = batch.into_parts();
        let mut owner: HashMap<TraceId, bool> = HashMap::new();
        let mut foreign = |trace_id: &TraceId| -> AppResult<bool> {
            if let Some(known) = owner.get(trace_id) {
                return Ok(*known);
            }
            let other = base.trace_project(trace_id)?.is_some_and(|p| p != *project);
            owner.insert(*trace_id, other);
            Ok(other)
        };
        let mut removed = 0u64;
        let mut kept_spans = Vec::with_capacity(spans.len());
        for span in spans {
            if foreign(&span.trace_id)? {
                removed += 1;
            } else {
                kept_spans.push(span);
            }
        }
        let mut kept_logs = Vec::with_capacity(logs.len());
        for log in logs {
            if foreign(&log.trace_id)? {
                removed += 1;
            } else {
                kept_logs.push(log);
            }
        }
        Ok((WriteBatch::new(kept_spans, kept_logs), removed))
    }
}
