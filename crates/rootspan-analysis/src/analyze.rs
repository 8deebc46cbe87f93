//! `analyze`: the seed analyses of one trace, together, as users reach them
//! (`rootspan analyze`, `GET /api/traces/{id}/analysis`, MCP): the critical path from the root
//! with self times, the tool dependency graph with failure paths, context drift, state-transition
//! violations, confidence calibration, the retrieval audit and rollback points. The JSON shape is
//! documented in `docs/analyze-schema.md`. Every section is present; a section is empty where the
//! trace lacks the data (no tools, no confidences, no retrievals, no failure).
//!
//! ```
//! use rootspan_analysis::analyze::{AnalyzeOptions, analyze};
//! use rootspan_model::{Span, SpanTree};
//! let mut root = Span::new([1; 16], [1; 8], "agent run");
//! root.end_time_unix_nano = 50;
//! let analysis = analyze(&SpanTree::build(vec![root]), &AnalyzeOptions::default());
//! assert_eq!(analysis.critical_path[0].self_time_ns, 50);
//! assert!(analysis.dependency_graph.nodes.is_empty());
//! ```

use crate::techniques::{
    agent_graph, confidence, context_drift, dependency_graph, governance, profile, retrieval_audit, rollback,
    token_usage,
};
use crate::view::TraceView;
use crate::{DiagnoseOptions, diagnose};
use rootspan_model::{SpanKind, SpanTree, span_id_hex, trace_id_hex};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Inputs some analyses need from outside the trace.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// JSON Schemas of step outputs, by tool name or span name, for state validation. Schemas
    /// the trace declares itself (tool definitions with an output schema) are added to these.
    pub schemas: BTreeMap<String, Value>,
    /// Document ids known to be relevant, for the retrieval audit's precision and recall.
    pub relevant_documents: BTreeSet<String>,
    /// Options of the diagnosis that rollback points and calibration build on.
    pub diagnose: DiagnoseOptions,
}

/// One span on the critical path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalPathEntry {
    pub span_id: String,
    pub span_name: String,
    pub kind: &'static str,
    /// Nanoseconds this span itself spent on the critical path (not covered by a child on it).
    pub self_time_ns: u64,
    pub duration_ns: u64,
    /// Start relative to the trace start.
    pub start_offset_ns: u64,
}

/// A span with the most self time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowSpan {
    pub span_id: String,
    pub span_name: String,
    pub self_time_ns: u64,
}

/// Tool calls, the data that flowed between them, and where failures propagated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyGraphSection {
    pub nodes: Vec<dependency_graph::ToolNode>,
    /// `from` and `to` index `nodes`.
    pub edges: Vec<dependency_graph::DataEdge>,
    pub failure_paths: Vec<FailurePath>,
}

/// The calls downstream of one failed or empty call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailurePath {
    /// Index into `nodes`.
    pub failed: usize,
    pub reaches: Vec<usize>,
}

/// One model step scored against the original request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftStep {
    pub span_id: String,
    /// In [0, 1]: 1 is fully on the request's topic.
    pub alignment: f64,
    pub is_final_answer: bool,
}

/// How each model step stays aligned with the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextDriftSection {
    pub steps: Vec<DriftStep>,
    /// The first step of a sustained drop in alignment, if any.
    pub inflection_span_id: Option<String>,
    /// Mean alignment after the inflection minus before it (negative: decay); 0 without one.
    pub decay: f64,
}

/// Step outputs checked against declared schemas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateValidationSection {
    /// Names (tool or span) that had a schema.
    pub schemas: Vec<String>,
    pub violations: Vec<crate::techniques::state_validation::TransitionViolation>,
}

/// One confidence the run reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfidencePoint {
    pub span_id: String,
    pub confidence: f64,
    /// Whether the step turned out sound: no error, and not on the diagnosis' causal chain.
    pub correct: bool,
}

/// Reported confidences and how well they matched the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationSection {
    pub trajectory: Vec<ConfidencePoint>,
    /// Brier score and expected calibration error over 10 bins; `null` without confidences.
    pub calibration: Option<confidence::Calibration>,
}

/// What one retrieval step returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrievalEntry {
    pub span_id: String,
    pub span_name: String,
    pub retrieved: Vec<String>,
    /// Against the relevant documents given; `null` when none were given.
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub missing: Vec<String>,
}

/// The seed analyses of one trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub trace_id: String,
    pub duration_ns: u64,
    /// From the root, in the order the path runs.
    pub critical_path: Vec<CriticalPathEntry>,
    /// The spans with the most self time, largest first (at most 10).
    pub slowest: Vec<SlowSpan>,
    pub dependency_graph: DependencyGraphSection,
    pub context_drift: ContextDriftSection,
    pub state_validation: StateValidationSection,
    pub calibration: CalibrationSection,
    pub retrieval_audit: Vec<RetrievalEntry>,
    /// Best first; empty when nothing failed.
    pub rollback_points: Vec<rollback::RollbackPoint>,
    /// Agents as nodes, delegations and handoffs as edges, with counts.
    pub agent_graph: agent_graph::AgentGraph,
    /// Token use of every model call against its context window, in run order.
    pub token_usage: Vec<token_usage::TokenStep>,
    /// Approvals, human-in-the-loop pauses, guardrail and policy checks, blocked actions.
    pub governance: Vec<governance::GovernanceEvent>,
}

const SLOWEST: usize = 10;

/// Output schemas the trace declares: tool definitions (OpenAI style or plain) whose entry has
/// an `output_schema`/`outputSchema`.
fn declared_schemas(tree: &SpanTree) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for span in &tree.spans {
        let Some(text) = span.gen_ai.tool_definitions.as_deref() else { continue };
        let Ok(Value::Array(tools)) = serde_json::from_str::<Value>(text) else { continue };
        for tool in tools {
            let tool = tool.get("function").unwrap_or(&tool);
            let name = tool.get("name").and_then(Value::as_str);
            let schema = tool.get("output_schema").or_else(|| tool.get("outputSchema"));
            if let (Some(name), Some(schema)) = (name, schema) {
                out.entry(name.to_owned()).or_insert_with(|| schema.clone());
            }
        }
    }
    out
}

/// Runs every seed analysis on one trace.
pub fn analyze(tree: &SpanTree, options: &AnalyzeOptions) -> Analysis {
    let view = TraceView::new(tree);
    let diagnosis = diagnose(tree, &options.diagnose);
    let own = profile::self_times(tree);
    let trace_start = tree.spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
    let trace_end = tree.spans.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(trace_start);

    let critical_path = profile::critical_path(tree)
        .into_iter()
        .map(|(index, self_time_ns)| {
            let span = &tree.spans[index];
            CriticalPathEntry {
                span_id: span_id_hex(&span.span_id),
                span_name: span.name.clone(),
                kind: span.gen_ai.kind.as_str(),
                self_time_ns,
                duration_ns: span.duration_ns(),
                start_offset_ns: span.start_time_unix_nano.saturating_sub(trace_start),
            }
        })
        .collect();
    let mut by_self: Vec<usize> = (0..tree.spans.len()).collect();
    by_self.sort_by_key(|&i| (std::cmp::Reverse(own[i]), i));
    let slowest = by_self
        .into_iter()
        .take(SLOWEST)
        .map(|i| SlowSpan {
            span_id: span_id_hex(&tree.spans[i].span_id),
            span_name: tree.spans[i].name.clone(),
            self_time_ns: own[i],
        })
        .collect();

    let graph = dependency_graph::tool_dependency_graph(&view);
    let dependency_graph = DependencyGraphSection {
        nodes: graph.nodes,
        edges: graph.edges,
        failure_paths: graph
            .failure_paths
            .into_iter()
            .map(|(failed, reaches)| FailurePath { failed, reaches })
            .collect(),
    };

    let drift = context_drift::context_drift(&view);
    let context_drift = ContextDriftSection {
        inflection_span_id: drift.inflection.and_then(|i| drift.steps.get(i)).map(|(id, _, _)| id.clone()),
        steps: drift
            .steps
            .into_iter()
            .map(|(span_id, alignment, is_final_answer)| DriftStep { span_id, alignment, is_final_answer })
            .collect(),
        decay: drift.decay,
    };

    let mut schemas = declared_schemas(tree);
    schemas.extend(options.schemas.clone());
    let state_validation = StateValidationSection {
        violations: crate::techniques::state_validation::validate_transitions(&view, &schemas),
        schemas: schemas.into_keys().collect(),
    };

    let blamed: BTreeSet<&str> = diagnosis.causal_chain.iter().map(|link| link.span_id.as_str()).collect();
    let failed: BTreeSet<String> =
        view.steps.iter().filter(|s| s.error.is_some()).map(|s| view.span_id(s.span)).collect();
    let trajectory: Vec<ConfidencePoint> = confidence::confidence_trajectory(&view)
        .into_iter()
        .map(|(span_id, confidence)| ConfidencePoint {
            correct: !failed.contains(&span_id) && !blamed.contains(span_id.as_str()),
            span_id,
            confidence,
        })
        .collect();
    let points: Vec<(f64, bool)> = trajectory.iter().map(|p| (p.confidence, p.correct)).collect();
    let calibration = CalibrationSection { calibration: confidence::calibration(&points, 10), trajectory };

    let relevant = &options.relevant_documents;
    let retrieval_audit = tree
        .spans
        .iter()
        .enumerate()
        .filter(|(_, span)| span.gen_ai.kind == SpanKind::Retrieval)
        .map(|(index, span)| {
            let retrieved = retrieval_audit::retrieved_ids(&view, index);
            let audit = retrieval_audit::audit(None, &retrieved, relevant);
            let given = !relevant.is_empty();
            RetrievalEntry {
                span_id: span_id_hex(&span.span_id),
                span_name: span.name.clone(),
                precision: given.then_some(audit.precision),
                recall: given.then_some(audit.recall),
                missing: audit.missing,
                retrieved,
            }
        })
        .collect();

    Analysis {
        trace_id: tree.spans.first().map(|s| trace_id_hex(&s.trace_id)).unwrap_or_default(),
        duration_ns: trace_end.saturating_sub(trace_start),
        critical_path,
        slowest,
        dependency_graph,
        context_drift,
        state_validation,
        calibration,
        retrieval_audit,
        rollback_points: rollback::rollback_points(&view, &diagnosis),
        agent_graph: agent_graph::agent_graph(&view),
        token_usage: token_usage::token_usage(
            &view,
            options.diagnose.prices.as_ref().unwrap_or_else(|| rootspan_model::pricing::PriceTable::builtin()),
        ),
        governance: governance::governance_events(tree),
    }
}
