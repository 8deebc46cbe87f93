//! Governance across traces: the approvals, human-in-the-loop pauses, guardrail and policy
//! events and blocked actions of the traces a filter selects (full-text search included), newest
//! trace first. Events come from `rootspan_analysis::techniques::governance`, the same extraction
//! that `rootspan analyze` prints per trace.

use crate::App;
use crate::error::AppResult;
use rootspan_analysis::techniques::governance::{GovernanceCategory, GovernanceEvent, governance_events};
use rootspan_model::SpanTree;
use rootspan_store::TraceFilter;
use serde::Serialize;

/// A category as adapters receive it: blank means any; an unknown name is an invalid request.
pub fn parse_category(text: Option<&str>) -> AppResult<Option<GovernanceCategory>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => GovernanceCategory::parse(text).map(Some).ok_or_else(|| {
            crate::AppError::invalid(format!(
                "category must be approval, human_in_the_loop, guardrail, policy or blocked_action, got {text:?}"
            ))
        }),
    }
}

/// How many traces one governance query reads at most.
pub const MAX_TRACES: usize = 500;

/// The governance events of one trace.
#[derive(Debug, Clone, Serialize)]
pub struct TraceGovernance {
    pub trace_id: String,
    pub root_name: String,
    pub service: String,
    pub start_time_unix_nano: u64,
    pub events: Vec<GovernanceEvent>,
}

/// The answer of a governance query.
#[derive(Debug, Clone, Serialize)]
pub struct GovernanceReport {
    /// Traces read (at most [`MAX_TRACES`]).
    pub traces_scanned: usize,
    /// Traces with at least one matching event, newest first.
    pub traces: Vec<TraceGovernance>,
    /// Matching events per category.
    pub counts: std::collections::BTreeMap<&'static str, u64>,
}

impl App {
    /// Governance events of the traces `filter` selects, optionally of one category.
    pub fn governance(
        &self,
        filter: &TraceFilter,
        category: Option<GovernanceCategory>,
    ) -> AppResult<GovernanceReport> {
        let mut filter = filter.clone();
        filter.limit = Some(filter.limit.unwrap_or(200).min(MAX_TRACES));
        let items = self.list_traces(&filter)?;
        let mut report =
            GovernanceReport { traces_scanned: items.len(), traces: Vec::new(), counts: Default::default() };
        for item in items {
            let Ok(spans) = self.trace_spans(&item.trace_id) else { continue };
            let events: Vec<GovernanceEvent> = governance_events(&SpanTree::build(spans))
                .into_iter()
                .filter(|e| category.is_none_or(|c| e.category == c))
                .collect();
            if events.is_empty() {
                continue;
            }
            for event in &events {
                *report.counts.entry(event.category.as_str()).or_default() += 1;
            }
            report.traces.push(TraceGovernance {
                trace_id: item.trace_id,
                root_name: item.root_name,
                service: item.service,
                start_time_unix_nano: item.start_time_unix_nano,
                events,
            });
        }
        Ok(report)
    }
}
