//! Traces: resolving a full id or a unique prefix, loading, listing, filtering, searching, and
//! giving a trace back in an interchange format.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::views::{SpanPage, SpanPayload, SpanRowView, TraceView, span_payload, trace_view};
use prost::Message;
use rootspan_model::{Span, SpanTree, TraceId, span_id_hex, trace_id_hex};
use rootspan_store::{PrefixMatch, TraceFilter, TraceListItem};
use std::collections::BTreeMap;
use std::path::Path;

/// Spans per page when the caller names no limit.
pub const DEFAULT_PAGE: usize = 1_000;
/// The largest page.
pub const MAX_PAGE: usize = 10_000;

/// Formats a trace can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    OtlpJson,
    OtlpProtobuf,
    Jsonl,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "otlp-json" => Some(ExportFormat::OtlpJson),
            "otlp-proto" | "otlp-protobuf" => Some(ExportFormat::OtlpProtobuf),
            "jsonl" => Some(ExportFormat::Jsonl),
            _ => None,
        }
    }
}

impl App {
    /// A full trace id (32 hex digits) or a unique prefix of at least 4 hex digits.
    /// Malformed text and ambiguous prefixes are invalid requests; a well-formed id that matches
    /// no trace is not found.
    pub fn resolve_trace(&self, text: &str) -> AppResult<TraceId> {
        let trimmed = text.trim();
        if let Ok(id) = rootspan_model::parse_trace_id(trimmed) {
            return Ok(id);
        }
        if rootspan_store::normalise_prefix(trimmed).is_none() {
            return Err(AppError::invalid(format!(
                "trace id {text:?} is not 32 hex digits or a prefix of at least 4 hex digits"
            )));
        }
        match self.store.resolve_trace_id(trimmed)? {
            PrefixMatch::Unique(id) => Ok(id),
            PrefixMatch::None => Err(AppError::not_found(format!(
                "no trace matches id {text:?} (give the 32 hex digits, or a unique prefix of at least 4)"
            ))),
            PrefixMatch::Ambiguous => {
                Err(AppError::invalid(format!("trace id prefix {text:?} matches several traces; give more digits")))
            }
        }
    }

    /// The spans of a trace (full view derived), by id or prefix.
    pub fn trace_spans(&self, text: &str) -> AppResult<Vec<Span>> {
        let id = self.resolve_trace(text)?;
        self.store.get_trace(&id)?.ok_or_else(|| AppError::not_found(format!("trace {text} is not in the store")))
    }

    /// The span tree of a trace, by id or prefix.
    pub fn load_tree(&self, text: &str) -> AppResult<SpanTree> {
        Ok(SpanTree::build(self.trace_spans(text)?))
    }

    /// The JSON view of a trace (`show --json`, `GET /api/traces/{id}`).
    pub fn trace_view(&self, text: &str) -> AppResult<TraceView> {
        Ok(trace_view(&self.load_tree(text)?))
    }

    /// One page of a trace's spans (narrow columns, no payloads) in span id order. `cursor` is
    /// the `next_cursor` of the previous page (absent for the first); at most `limit` spans
    /// (default [`DEFAULT_PAGE`], at most [`MAX_PAGE`]).
    pub fn span_page(&self, text: &str, cursor: Option<&str>, limit: Option<usize>) -> AppResult<SpanPage> {
        let id = self.resolve_trace(text)?;
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::invalid(format!("limit must be between 1 and {MAX_PAGE}, got {limit}")));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(text) => Some(
                rootspan_model::parse_span_id(text)
                    .map_err(|_| AppError::invalid(format!("cursor {text:?} is not a cursor this API gave")))?,
            ),
        };
        let rows = self
            .store
            .span_rows_page(&id, after.as_ref(), limit)?
            .ok_or_else(|| AppError::not_found(format!("trace {text} is not in the store")))?;
        let next_cursor = (rows.len() == limit).then(|| rows.last().map(|r| span_id_hex(&r.span_id))).flatten();
        Ok(SpanPage {
            trace_id: trace_id_hex(&id),
            spans: rows.iter().map(SpanRowView::from_row).collect(),
            next_cursor,
        })
    }

    /// One span's whole payload.
    pub fn span_payload(&self, trace: &str, span: &str) -> AppResult<SpanPayload> {
        let trace_id = self.resolve_trace(trace)?;
        let span_id = rootspan_model::parse_span_id(span.trim())
            .map_err(|_| AppError::invalid(format!("span id {span:?} is not 16 hex digits")))?;
        let found = self
            .store
            .get_span(&trace_id, &span_id)?
            .ok_or_else(|| AppError::not_found(format!("span {span} is not in trace {trace}")))?;
        Ok(span_payload(&found))
    }

    /// Trace summaries, newest first, after the filter.
    pub fn list_traces(&self, filter: &TraceFilter) -> AppResult<Vec<TraceListItem>> {
        if let Some(limit) = filter.limit
            && limit == 0
        {
            return Err(AppError::invalid("limit must be at least 1"));
        }
        Ok(self.store.list_traces(filter)?)
    }

    /// A stored trace in an interchange format, lossless.
    pub fn export_trace(&self, text: &str, format: ExportFormat) -> AppResult<Vec<u8>> {
        let spans = self.trace_spans(text)?;
        let mut bytes = Vec::new();
        match format {
            ExportFormat::OtlpJson => {
                bytes.extend_from_slice(rootspan_ingest::spans_to_otlp_json(&spans).as_bytes());
                bytes.push(b'\n');
            }
            ExportFormat::OtlpProtobuf => bytes = rootspan_ingest::spans_to_request(&spans).encode_to_vec(),
            ExportFormat::Jsonl => rootspan_ingest::write_jsonl(&spans, &mut bytes)
                .map_err(|e| AppError::internal(format!("writing JSONL: {e}")))?,
        }
        Ok(bytes)
    }
}

/// Groups spans by trace id into trees.
pub fn trees_by_trace(spans: Vec<Span>) -> BTreeMap<String, SpanTree> {
    let mut grouped: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for span in spans {
        grouped.entry(trace_id_hex(&span.trace_id)).or_default().push(span);
    }
    grouped.into_iter().map(|(id, spans)| (id, SpanTree::build(spans))).collect()
}

/// One trace of a trace file (OTLP protobuf/JSON, TRAIL, native JSONL, message logs), without a
/// store: the only one, or the one whose id starts with `wanted`.
pub fn tree_from_file(path: &Path, wanted: Option<&str>) -> AppResult<SpanTree> {
    let bytes = std::fs::read(path).map_err(|e| AppError::invalid(format!("reading {}: {e}", path.display())))?;
    let imported = rootspan_ingest::import_file(path, &bytes, None)
        .map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))?;
    let mut trees = trees_by_trace(imported.spans);
    match wanted {
        Some(prefix) => {
            let prefix = prefix.to_lowercase();
            let matches: Vec<String> = trees.keys().filter(|id| id.starts_with(&prefix)).cloned().collect();
            match matches.as_slice() {
                [one] => Ok(trees.remove(one).unwrap_or_else(|| SpanTree::build(Vec::new()))),
                [] => Err(AppError::not_found(format!("trace {prefix} is not in {}", path.display()))),
                _ => Err(AppError::invalid(format!("trace prefix {prefix} is ambiguous in {}", path.display()))),
            }
        }
        None if trees.len() == 1 => Ok(trees.into_values().next().unwrap_or_else(|| SpanTree::build(Vec::new()))),
        None if trees.is_empty() => Err(AppError::invalid(format!("{} holds no spans", path.display()))),
        None => Err(AppError::invalid(format!(
            "{} holds {} traces; name one: {}",
            path.display(),
            trees.len(),
            trees.keys().take(10).cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}
