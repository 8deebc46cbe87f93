//! What every backend stores besides the spans themselves, computed here once so that backends
//! cannot compute it differently:
//!
//! - [`SpanRow`]: the narrow, queryable columns of one span (kind, status, tokens, cost, model,
//!   tool, session, service), derived from a span's columns view;
//! - [`TraceRecord`]: the per-trace summary row of the trace list, rolled up from the span rows of
//!   a trace with [`TraceRecord::roll_up`] (token totals counted once, depth, orphans, models,
//!   tools, the earliest session id), and turned into a [`TraceListItem`];
//! - [`kind_code`] / [`kind_from_code`]: the stable integer code of a span kind in storage.
//!
//! A backend keeps one `SpanRow` per live span (the latest delivery of a span id wins), and after
//! every write recomputes the `TraceRecord` of each trace the write touched from all its rows.

use crate::TraceListItem;
use rootspan_model::{Span, SpanId, SpanKind, SpanTree, StatusCode, TraceId, TraceSummary, trace_id_hex};
use std::collections::BTreeSet;

/// Stable numeric code of a span kind in storage columns. Never renumber: stored data uses it.
pub fn kind_code(kind: SpanKind) -> i64 {
    match kind {
        SpanKind::Other => 0,
        SpanKind::Agent => 1,
        SpanKind::Llm => 2,
        SpanKind::Tool => 3,
        SpanKind::Retrieval => 4,
        SpanKind::Embedding => 5,
        SpanKind::Workflow => 6,
        SpanKind::Handoff => 7,
        SpanKind::Guardrail => 8,
    }
}

/// The span kind of a stored code; unknown codes read as [`SpanKind::Other`].
pub fn kind_from_code(code: i64) -> SpanKind {
    match code {
        1 => SpanKind::Agent,
        2 => SpanKind::Llm,
        3 => SpanKind::Tool,
        4 => SpanKind::Retrieval,
        5 => SpanKind::Embedding,
        6 => SpanKind::Workflow,
        7 => SpanKind::Handoff,
        8 => SpanKind::Guardrail,
        _ => SpanKind::Other,
    }
}

/// How far past the backend's clock a trace's time may lie before the list caps it (one day).
pub const CLOCK_SKEW_ALLOWANCE_NS: u64 = 86_400 * 1_000_000_000;

/// The cap a backend passes to [`TraceRecord::roll_up`]: now plus the allowance.
pub fn latest_plausible_now() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
        .unwrap_or(0);
    now.saturating_add(CLOCK_SKEW_ALLOWANCE_NS)
}

/// Storage columns hold signed 64-bit integers: larger values are clamped, never wrapped.
pub fn clamp_i64(value: u64) -> i64 {
    value.min(i64::MAX as u64) as i64
}

/// The narrow, queryable columns of one span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRow {
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub name: String,
    pub kind: SpanKind,
    pub status: StatusCode,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    pub model: Option<String>,
    pub tool: Option<String>,
    pub session_id: Option<String>,
    pub service: String,
}

impl SpanRow {
    /// The row of a span. The span's view must be derived at least to
    /// [`rootspan_model::conventions::Depth::Columns`]; [`crate::WriteBatch::new`] guarantees it.
    pub fn from_span(span: &Span) -> SpanRow {
        let view = &span.gen_ai;
        SpanRow {
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            start_time_unix_nano: span.start_time_unix_nano,
            end_time_unix_nano: span.end_time_unix_nano,
            name: span.name.clone(),
            kind: view.kind,
            status: span.status.code,
            input_tokens: view.input_tokens,
            output_tokens: view.output_tokens,
            cost_usd: view.cost_usd,
            model: view.model.clone(),
            tool: view.tool_name.clone(),
            session_id: view.session_id.clone(),
            service: span.service_name().to_owned(),
        }
    }

    /// A skeleton span carrying exactly what the summary needs (ids, times, name, kind, status,
    /// usage), so that the roll-up uses the same tree rules as a full trace.
    fn skeleton(&self, trace_id: &TraceId) -> Span {
        let mut span = Span::new(*trace_id, self.span_id, self.name.clone());
        span.parent_span_id = self.parent_span_id;
        span.start_time_unix_nano = self.start_time_unix_nano;
        span.end_time_unix_nano = self.end_time_unix_nano;
        span.status.code = self.status;
        span.gen_ai.kind = self.kind;
        span.gen_ai.input_tokens = self.input_tokens;
        span.gen_ai.output_tokens = self.output_tokens;
        span.gen_ai.cost_usd = self.cost_usd;
        span
    }
}

/// The summary row of one trace: what the trace list shows and filters on.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRecord {
    pub trace_id: TraceId,
    pub project: String,
    /// Service of the root span.
    pub service: String,
    /// Name of the root span (the first root; an orphan when the real root has not arrived).
    pub root_name: String,
    pub start_time_unix_nano: u64,
    /// Never before the start, whatever the clocks said.
    pub end_time_unix_nano: u64,
    pub summary: TraceSummary,
    /// The session id of the earliest span that carries one.
    pub session_id: Option<String>,
    pub models: BTreeSet<String>,
    pub tools: BTreeSet<String>,
}

impl TraceRecord {
    /// Rolls up the rows of one trace (all its live spans). `None` when there are no rows.
    ///
    /// `latest_plausible_unix_nano` caps the trace's start and end as the list sees them (a
    /// backend passes its clock plus [`CLOCK_SKEW_ALLOWANCE_NS`]): spans keep the timestamps they
    /// were sent with, but a trace stamped in the far future (2^64-1, a clock gone wrong) is listed
    /// at the cap, and sinks below newer traces instead of pinning the top of the list for ever.
    pub fn roll_up(
        trace_id: &TraceId,
        project: &str,
        rows: &[SpanRow],
        latest_plausible_unix_nano: u64,
    ) -> Option<TraceRecord> {
        if rows.is_empty() {
            return None;
        }
        let cap = latest_plausible_unix_nano;
        let start = rows.iter().map(|r| r.start_time_unix_nano).min().unwrap_or(0).min(cap);
        let end = rows.iter().map(|r| r.end_time_unix_nano).max().unwrap_or(0).min(cap).max(start);
        let models = rows.iter().filter_map(|r| r.model.clone()).collect();
        let tools = rows.iter().filter_map(|r| r.tool.clone()).collect();
        let session_id = rows
            .iter()
            .filter_map(|r| r.session_id.as_ref().map(|s| (r.start_time_unix_nano, s)))
            .min()
            .map(|(_, s)| s.clone());
        let tree = SpanTree::build(rows.iter().map(|r| r.skeleton(trace_id)).collect());
        let summary = tree.summary();
        let (root_name, service) = match tree.root() {
            Some(root) => {
                let service = rows
                    .iter()
                    .rev()
                    .find(|r| r.span_id == root.span_id)
                    .map(|r| r.service.clone())
                    .unwrap_or_default();
                (root.name.clone(), service)
            }
            None => (String::new(), String::new()),
        };
        Some(TraceRecord {
            trace_id: *trace_id,
            project: project.to_owned(),
            service,
            root_name,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            summary,
            session_id,
            models,
            tools,
        })
    }

    /// The trace-list item of this record, with the trace's stored signature ids and the
    /// failure mode its stored analysis diagnosed.
    pub fn list_item(&self, signatures: Vec<String>, failure_mode: Option<String>) -> TraceListItem {
        let summary = &self.summary;
        let failure_mode = failure_mode.filter(|mode| !mode.is_empty() && mode != "none");
        TraceListItem {
            trace_id: trace_id_hex(&self.trace_id),
            project: self.project.clone(),
            service: self.service.clone(),
            root_name: self.root_name.clone(),
            start_time_unix_nano: self.start_time_unix_nano,
            duration_ns: self.end_time_unix_nano.saturating_sub(self.start_time_unix_nano),
            span_count: summary.spans,
            llm_calls: summary.llm_calls,
            tool_calls: summary.tool_calls,
            input_tokens: summary.input_tokens,
            output_tokens: summary.output_tokens,
            total_tokens: summary.input_tokens.saturating_add(summary.output_tokens),
            cost_usd: summary.cost_usd,
            status: if summary.error_spans > 0 { "error".into() } else { "ok".into() },
            error_spans: summary.error_spans,
            session_id: self.session_id.clone(),
            models: self.models.iter().cloned().collect(),
            tools: self.tools.iter().cloned().collect(),
            signatures,
            silent_failure: failure_mode.is_some() && summary.error_spans == 0,
            failure_mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u8, parent: Option<u8>, start: u64, input: Option<u64>) -> SpanRow {
        SpanRow {
            span_id: [id; 8],
            parent_span_id: parent.map(|p| [p; 8]),
            start_time_unix_nano: start,
            end_time_unix_nano: start + 10,
            name: format!("s{id}"),
            kind: if input.is_some() { SpanKind::Llm } else { SpanKind::Agent },
            status: StatusCode::Unset,
            input_tokens: input,
            output_tokens: None,
            cost_usd: None,
            model: input.map(|_| "m".to_owned()),
            tool: None,
            session_id: (id == 2).then(|| "s".to_owned()),
            service: "svc".into(),
        }
    }

    #[test]
    fn roll_up_counts_usage_once_and_finds_the_root() {
        let rows = [row(2, Some(1), 5, Some(7)), row(1, None, 0, Some(7))];
        let record = TraceRecord::roll_up(&[1; 16], "p", &rows, u64::MAX).unwrap();
        assert_eq!(record.root_name, "s1");
        assert_eq!(record.summary.input_tokens, 7, "the parent repeating its child's usage is not added");
        assert_eq!(record.summary.max_depth, 1);
        assert_eq!(record.session_id.as_deref(), Some("s"));
        assert_eq!(record.list_item(vec![], None).duration_ns, 15);
        assert!(TraceRecord::roll_up(&[1; 16], "p", &[], u64::MAX).is_none());
    }

    #[test]
    fn far_future_times_are_capped_for_the_list_only() {
        let mut future = row(1, None, u64::MAX - 10, None);
        future.end_time_unix_nano = u64::MAX;
        let record = TraceRecord::roll_up(&[1; 16], "p", &[future.clone()], 1_000).unwrap();
        assert_eq!((record.start_time_unix_nano, record.end_time_unix_nano), (1_000, 1_000));
        assert_eq!(future.start_time_unix_nano, u64::MAX - 10, "the row keeps what was sent");
    }

    #[test]
    fn kind_codes_round_trip() {
        for kind in [SpanKind::Agent, SpanKind::Llm, SpanKind::Tool, SpanKind::Guardrail, SpanKind::Other] {
            assert_eq!(kind_from_code(kind_code(kind)), kind);
        }
    }
}
