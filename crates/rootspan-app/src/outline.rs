//! The outline of a trace for interactive views: every span in tree order as one compact row
//! (no payloads), with its depth, the size of its subtree, its timing relative to the trace, its
//! self time and whether it is on the critical path. A 100,000-span trace is one outline of a few
//! megabytes; a span's payload is fetched when it is opened ([`crate::App::span_payload`]).
//!
//! The critical path and self times come from `rootspan_analysis::techniques::profile`, the
//! same computation `rootspan analyze` prints, so the views cannot disagree with it.

use crate::App;
use crate::error::AppResult;
use crate::views::TraceHeader;
use rootspan_analysis::techniques::profile;
use rootspan_model::{SpanTree, TraceSummary, span_id_hex};
use serde::Serialize;

/// The names of a row's fields, in order (the JSON carries rows as arrays to stay small).
pub const ROW_FIELDS: [&str; 14] = [
    "span_id",
    "parent",
    "depth",
    "subtree",
    "name",
    "kind",
    "start_offset_ns",
    "duration_ns",
    "self_ns",
    "status",
    "label",
    "tokens",
    "cost_usd",
    "flags",
];

/// Flag bits of a row.
pub const FLAG_CRITICAL: u8 = 1;
pub const FLAG_ORPHAN: u8 = 2;
pub const FLAG_ERROR_TEXT: u8 = 4;

/// One span as an outline row: the fields of [`ROW_FIELDS`].
#[derive(Debug, Clone, Serialize)]
pub struct OutlineRow(
    /// Span id (16 hex digits).
    pub String,
    /// Row index of the parent, -1 for roots and orphans.
    pub i64,
    /// Depth (roots 0).
    pub u32,
    /// Rows in this span's subtree, itself included (the rows that follow it in the outline).
    pub u32,
    /// Span name.
    pub String,
    /// Normalised kind.
    pub &'static str,
    /// Start relative to the trace start.
    pub u64,
    /// Duration.
    pub u64,
    /// Self time (not covered by children).
    pub u64,
    /// unset, ok or error.
    pub &'static str,
    /// What the span is about: model, tool or agent name.
    pub String,
    /// Input + output tokens, 0 when unknown.
    pub u64,
    /// Cost in USD, 0 when unknown.
    pub f64,
    /// [`FLAG_CRITICAL`] | [`FLAG_ORPHAN`] | [`FLAG_ERROR_TEXT`].
    pub u8,
);

/// Self time by span kind, over the whole trace.
#[derive(Debug, Clone, Serialize)]
pub struct KindTime {
    pub kind: &'static str,
    pub self_ns: u64,
    pub spans: u64,
}

/// The outline of one trace.
#[derive(Debug, Clone, Serialize)]
pub struct TraceOutline {
    #[serde(flatten)]
    pub header: TraceHeader,
    pub summary: TraceSummary,
    pub fields: [&'static str; 14],
    /// In tree order (depth-first, children by start time).
    pub rows: Vec<OutlineRow>,
    /// Where the time went: self time per kind, largest first.
    pub latency_by_kind: Vec<KindTime>,
    /// Nanoseconds of the critical path per kind.
    pub critical_path_ns: u64,
}

/// Builds the outline of a tree.
pub fn outline(tree: &SpanTree) -> TraceOutline {
    let order = tree.preorder();
    let mut row_of = vec![0usize; tree.spans.len()];
    for (row, &index) in order.iter().enumerate() {
        row_of[index] = row;
    }
    let own = profile::self_times(tree);
    let path = profile::critical_path(tree);
    let mut on_path = vec![false; tree.spans.len()];
    let mut critical_path_ns = 0;
    for (index, ns) in &path {
        on_path[*index] = true;
        critical_path_ns += ns;
    }
    // Subtree sizes, children before parents (reverse pre-order).
    let mut subtree = vec![1u32; tree.spans.len()];
    for &index in order.iter().rev() {
        if let Some(parent) = tree.parent[index] {
            subtree[parent] = subtree[parent].saturating_add(subtree[index]);
        }
    }
    let header = TraceHeader::of(tree);
    let start = header.start_time_unix_nano;
    let mut by_kind: std::collections::BTreeMap<&'static str, (u64, u64)> = Default::default();
    let rows = order
        .iter()
        .map(|&index| {
            let span = &tree.spans[index];
            let view = &span.gen_ai;
            let kind = view.kind.as_str();
            let entry = by_kind.entry(kind).or_default();
            entry.0 += own[index];
            entry.1 += 1;
            let label = view
                .tool_name
                .clone()
                .or_else(|| view.model.clone())
                .or_else(|| view.agent_name.clone())
                .unwrap_or_default();
            let mut flags = 0;
            if on_path[index] {
                flags |= FLAG_CRITICAL;
            }
            if tree.orphan[index] {
                flags |= FLAG_ORPHAN;
            }
            if view.error_message.is_some() || view.error_type.is_some() {
                flags |= FLAG_ERROR_TEXT;
            }
            OutlineRow(
                span_id_hex(&span.span_id),
                tree.parent[index].map(|p| row_of[p] as i64).unwrap_or(-1),
                u32::try_from(tree.depth[index]).unwrap_or(u32::MAX),
                subtree[index],
                span.name.clone(),
                kind,
                span.start_time_unix_nano.saturating_sub(start),
                span.duration_ns(),
                own[index],
                span.status.code.as_str(),
                label,
                view.total_tokens().unwrap_or(0),
                view.cost_usd.unwrap_or(0.0),
                flags,
            )
        })
        .collect();
    let mut latency_by_kind: Vec<KindTime> =
        by_kind.into_iter().map(|(kind, (self_ns, spans))| KindTime { kind, self_ns, spans }).collect();
    latency_by_kind.sort_by_key(|k| std::cmp::Reverse(k.self_ns));
    TraceOutline { header, summary: tree.summary(), fields: ROW_FIELDS, rows, latency_by_kind, critical_path_ns }
}

/// Above this many spans, the outline is built from the stored narrow rows of the spans (names,
/// kinds, times, statuses, tokens, cost, model and tool), without decoding a single payload:
/// the page of a huge trace opens fast and the payload of a span is fetched when it is opened.
/// From rows, an agent span without model or tool has no label, and the error-text flag follows
/// the span's status.
pub const ROWS_OUTLINE_ABOVE: u64 = 20_000;

impl App {
    /// The outline of one trace (by id or prefix).
    pub fn trace_outline(&self, text: &str) -> AppResult<TraceOutline> {
        let id = self.resolve_trace(text)?;
        if let Some(tree) = self.row_tree(&id)? {
            return Ok(outline(&tree));
        }
        Ok(outline(&self.load_tree(text)?))
    }

    /// The tree of a trace with more than [`ROWS_OUTLINE_ABOVE`] spans, built from its narrow
    /// rows only; `None` for smaller (or unknown) traces.
    fn row_tree(&self, id: &rootspan_model::TraceId) -> AppResult<Option<SpanTree>> {
        let Some(summary) = self.store.trace_summary(id)? else { return Ok(None) };
        if summary.spans <= ROWS_OUTLINE_ABOVE {
            return Ok(None);
        }
        let Some(rows) = self.store.span_rows_page(id, None, usize::MAX)? else { return Ok(None) };
        let project = self.store.trace_project(id)?.unwrap_or_else(|| rootspan_model::DEFAULT_PROJECT.to_owned());
        let mut resources: std::collections::HashMap<String, std::sync::Arc<rootspan_model::Resource>> =
            Default::default();
        let spans = rows
            .into_iter()
            .map(|row| {
                let resource = resources
                    .entry(row.service.clone())
                    .or_insert_with(|| {
                        std::sync::Arc::new(rootspan_model::Resource {
                            attributes: vec![rootspan_model::KeyValue::new(
                                "service.name",
                                rootspan_model::AnyValue::String(row.service.clone()),
                            )],
                            ..rootspan_model::Resource::default()
                        })
                    })
                    .clone();
                let mut span = rootspan_model::Span::new(*id, row.span_id, row.name);
                span.parent_span_id = row.parent_span_id;
                span.start_time_unix_nano = row.start_time_unix_nano;
                span.end_time_unix_nano = row.end_time_unix_nano;
                span.status.code = row.status;
                span.resource = resource;
                span.project.clone_from(&project);
                let view = &mut span.gen_ai;
                view.kind = row.kind;
                view.model = row.model;
                view.tool_name = row.tool;
                view.input_tokens = row.input_tokens;
                view.output_tokens = row.output_tokens;
                view.cost_usd = row.cost_usd;
                view.session_id = row.session_id;
                if row.status == rootspan_model::StatusCode::Error {
                    view.error_type = Some("error".into());
                }
                view.derived = Some(rootspan_model::conventions::Depth::Columns);
                span
            })
            .collect();
        Ok(Some(SpanTree::build(spans)))
    }
}

/// What the trace page shows at first: the outline, the diagnosis (when the trace is small
/// enough to diagnose before the first paint), and the payload of the span asked for.
#[derive(Debug)]
pub struct TraceOverview {
    pub outline: TraceOutline,
    pub diagnosis: Option<rootspan_analysis::Diagnosis>,
    pub selected: Option<crate::views::SpanPayload>,
}

impl App {
    /// One load of a trace for its page: the outline; the diagnosis when the trace has at most
    /// `diagnose_up_to` spans; the payload of `span` (hex id) when given and present.
    pub fn trace_overview(&self, text: &str, diagnose_up_to: usize, span: Option<&str>) -> AppResult<TraceOverview> {
        let id = self.resolve_trace(text)?;
        if diagnose_up_to as u64 <= ROWS_OUTLINE_ABOVE
            && let Some(tree) = self.row_tree(&id)?
        {
            // A huge trace: no diagnosis before the first paint, the selected span read alone.
            let selected = match span {
                Some(text) => {
                    let span_id = rootspan_model::parse_span_id(text.trim())
                        .map_err(|_| crate::AppError::invalid(format!("span id {text:?} is not 16 hex digits")))?;
                    self.store.get_span(&id, &span_id)?.as_ref().map(crate::views::span_payload)
                }
                None => None,
            };
            return Ok(TraceOverview { outline: outline(&tree), diagnosis: None, selected });
        }
        let tree = self.load_tree(text)?;
        let diagnosis = (tree.spans.len() <= diagnose_up_to)
            .then(|| rootspan_analysis::diagnose(&tree, &rootspan_analysis::DiagnoseOptions::default()));
        let wanted = match span {
            Some(text) => Some(
                rootspan_model::parse_span_id(text.trim())
                    .map_err(|_| crate::AppError::invalid(format!("span id {text:?} is not 16 hex digits")))?,
            ),
            None => None,
        };
        let selected =
            wanted.and_then(|id| tree.spans.iter().find(|s| s.span_id == id)).map(crate::views::span_payload);
        Ok(TraceOverview { outline: outline(&tree), diagnosis, selected })
    }
}
