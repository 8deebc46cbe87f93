//! The analyses users ask for, over stored traces: diagnose, analyze (the seed analyses), diff
//! (with the most similar good run picked automatically), failure clusters and sessions, and
//! keeping stored failure signatures current (so a new failure joins its cluster without
//! re-clustering the store).

use crate::App;
use crate::error::{AppError, AppResult};
use rootspan_analysis::cluster::{Cluster, Signature};
use rootspan_analysis::diff::{TraceDiff, diff_traces, trace_similarity};
use rootspan_analysis::sessions::{SessionReport, SessionSummary, SessionTrace, group_sessions, session_report};
use rootspan_analysis::{Analysis, AnalyzeOptions, DiagnoseOptions, Diagnosis};
use rootspan_model::{SpanTree, TraceId, trace_id_hex};
use rootspan_store::{TraceFilter, TraceListItem, TraceSignature, TraceStore};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// At most this many successful runs are compared when picking a good run automatically.
pub const AUTO_CANDIDATES: usize = 50;
/// Traces read when grouping sessions.
const SESSION_SCAN_LIMIT: usize = 100_000;
/// Traces read when recomputing every signature.
const RECOMPUTE_LIMIT: usize = 1_000_000;

/// How the good run of a diff was picked.
#[derive(Debug, Clone, Serialize)]
pub struct AutoPick {
    pub trace_id: String,
    pub similarity: f64,
    pub candidates: usize,
}

/// A diff, plus how the good run was picked when it was (`diff --json`, `GET /api/diff`).
#[derive(Debug, Serialize)]
pub struct DiffReport {
    #[serde(flatten)]
    pub diff: TraceDiff,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoPick>,
}

/// One session in order, with the text of its traces' signatures (`session ID --json`).
#[derive(Debug, Serialize)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub report: SessionReport,
    /// Signature id -> signature text, for the signatures of the session's traces.
    pub signatures: BTreeMap<String, String>,
}

/// The failure mode of a diagnosis as the trace list names it: `None` when it found no failure.
pub fn diagnosed_failure_mode(diagnosis: &Diagnosis) -> Option<String> {
    let mode = diagnosis.failure_mode.as_str();
    (!mode.is_empty() && mode != "none").then(|| mode.to_owned())
}

/// The analysis crate does not depend on the store; these two map its signature onto the stored
/// row (which also records the failure mode of the diagnosis it came from).
fn to_stored(s: Signature, failure_mode: Option<String>) -> TraceSignature {
    TraceSignature {
        trace_id: s.trace_id,
        signature_id: s.signature_id,
        signature: s.signature,
        detector: s.detector,
        service: s.service,
        model: s.model,
        start_time_unix_nano: s.start_time_unix_nano,
        failure_mode,
    }
}

fn from_stored(s: TraceSignature) -> Signature {
    Signature {
        trace_id: s.trace_id,
        signature_id: s.signature_id,
        signature: s.signature,
        detector: s.detector,
        service: s.service,
        model: s.model,
        start_time_unix_nano: s.start_time_unix_nano,
    }
}

/// Diagnoses one stored trace and replaces its signatures.
pub fn refresh_one(
    store: &dyn TraceStore,
    trace_id: &TraceId,
    online: Option<&crate::online::OnlineEval>,
) -> AppResult<()> {
    let Some(spans) = store.get_trace(trace_id)? else { return Ok(()) };
    let tree = SpanTree::build(spans);
    let diagnosis = rootspan_analysis::diagnose(&tree, &DiagnoseOptions::default());
    // The same diagnosis `rootspan diagnose` gives with default options, so the failure mode the
    // trace list shows is the one `diagnose` prints.
    let failure_mode = diagnosed_failure_mode(&diagnosis);
    let mut signatures: Vec<TraceSignature> = rootspan_analysis::cluster::trace_signatures(&tree, &diagnosis)
        .into_iter()
        .map(|signature| to_stored(signature, failure_mode.clone()))
        .collect();
    if let Some(online) = online {
        signatures.extend(online.signatures(&tree, &diagnosis));
    }
    let project = tree.root().map_or(rootspan_model::DEFAULT_PROJECT.to_owned(), |r| r.project.clone());
    crate::prevent::put_signatures(store, trace_id, &project, &signatures)
}

/// Diagnoses the given traces; a trace that fails is logged and skipped.
pub fn refresh(store: &dyn TraceStore, trace_ids: Vec<TraceId>, online: Option<&crate::online::OnlineEval>) {
    for trace_id in trace_ids {
        if let Err(error) = refresh_one(store, &trace_id, online) {
            tracing::warn!(trace = %trace_id_hex(&trace_id), %error, "analysing a trace failed");
        }
    }
}

fn session_row(item: TraceListItem) -> SessionTrace {
    SessionTrace {
        failed: item.status == "error" || !item.signatures.is_empty(),
        session_id: item.session_id.unwrap_or_default(),
        trace_id: item.trace_id,
        root_name: item.root_name,
        service: item.service,
        start_time_unix_nano: item.start_time_unix_nano,
        duration_ns: item.duration_ns,
        total_tokens: item.total_tokens,
        cost_usd: item.cost_usd,
        signatures: item.signatures,
    }
}

impl App {
    /// Diagnoses one trace (by id or prefix).
    pub fn diagnose(&self, text: &str, options: &DiagnoseOptions) -> AppResult<Diagnosis> {
        Ok(rootspan_analysis::diagnose(&self.load_tree(text)?, options))
    }

    /// The seed analyses of one trace (by id or prefix).
    pub fn analyze(&self, text: &str, options: &AnalyzeOptions) -> AppResult<Analysis> {
        Ok(rootspan_analysis::analyze(&self.load_tree(text)?, options))
    }

    /// Two runs aligned step by step.
    pub fn diff(&self, a: &str, b: &str) -> AppResult<DiffReport> {
        let tree_a = self.load_tree(a)?;
        let tree_b = self.load_tree(b)?;
        Ok(DiffReport { diff: diff_traces(&tree_a, &tree_b), auto: None })
    }

    /// A run aligned with the most similar successful run of the same workflow.
    pub fn diff_with_good_run(&self, a: &str) -> AppResult<DiffReport> {
        let tree_a = self.load_tree(a)?;
        let (tree_b, pick) = self.pick_good_run(&tree_a)?;
        Ok(DiffReport { diff: diff_traces(&tree_a, &tree_b), auto: Some(pick) })
    }

    /// The most similar successful run of the same workflow: same project, service and root
    /// span name, no error span, no failure signature, not the trace itself. Newest wins ties.
    pub fn pick_good_run(&self, failed: &SpanTree) -> AppResult<(SpanTree, AutoPick)> {
        let root = failed.root().ok_or_else(|| AppError::invalid("the trace has no spans"))?;
        let failed_id = trace_id_hex(&root.trace_id);
        self.catch_up(Some(&root.project))?;
        let filter = TraceFilter {
            project: Some(root.project.clone()),
            service: Some(root.service_name().to_owned()),
            has_error: Some(false),
            limit: Some(AUTO_CANDIDATES * 4),
            ..TraceFilter::default()
        };
        let candidates: Vec<TraceListItem> = self
            .store
            .list_traces(&filter)?
            .into_iter()
            .filter(|item| item.root_name == root.name && item.signatures.is_empty() && item.trace_id != failed_id)
            .take(AUTO_CANDIDATES)
            .collect();
        let count = candidates.len();
        let mut best: Option<(f64, SpanTree, String)> = None;
        for item in candidates {
            let id = self.resolve_trace(&item.trace_id)?;
            let Some(spans) = self.store.get_trace(&id)? else { continue };
            let tree = SpanTree::build(spans);
            let similarity = trace_similarity(failed, &tree);
            if best.as_ref().is_none_or(|(score, _, _)| similarity > *score) {
                best = Some((similarity, tree, item.trace_id));
            }
        }
        let Some((similarity, tree, trace_id)) = best else {
            return Err(AppError::not_found(format!(
                "no successful run of {:?} (service {}) in the store to compare with; give one explicitly",
                root.name,
                root.service_name()
            )));
        };
        Ok((tree, AutoPick { trace_id, similarity, candidates: count }))
    }

    /// Analyses every trace not yet analysed at its current size, so that readers of signatures
    /// never miss a trace the worker has not reached yet.
    pub fn catch_up(&self, project: Option<&str>) -> AppResult<()> {
        let pending = self.store.unanalysed_traces(project)?;
        refresh(self.store.as_ref(), pending, self.config.online_eval.as_deref());
        Ok(())
    }

    /// Diagnoses these traces now and stores their signatures.
    pub fn refresh(&self, trace_ids: Vec<TraceId>) {
        refresh(self.store.as_ref(), trace_ids, self.config.online_eval.as_deref());
    }

    /// Diagnoses every trace of the store (or of one project) again; returns how many.
    pub fn recompute_signatures(&self, project: Option<&str>) -> AppResult<usize> {
        let filter =
            TraceFilter { project: project.map(str::to_owned), limit: Some(RECOMPUTE_LIMIT), ..TraceFilter::default() };
        let mut ids = Vec::new();
        for item in self.store.list_traces(&filter)? {
            ids.push(self.resolve_trace(&item.trace_id)?);
        }
        let count = ids.len();
        self.refresh(ids);
        Ok(count)
    }

    /// The failure clusters of the stored signatures, largest first (after catching up).
    pub fn clusters(&self, project: Option<&str>) -> AppResult<Vec<Cluster>> {
        self.catch_up(project)?;
        let signatures: Vec<Signature> = self.store.list_signatures(project)?.into_iter().map(from_stored).collect();
        Ok(rootspan_analysis::cluster::cluster_signatures(&signatures))
    }

    /// Sessions (traces sharing a session or conversation id), most recently active first.
    pub fn sessions(
        &self,
        project: Option<&str>,
        service: Option<&str>,
        limit: usize,
    ) -> AppResult<Vec<SessionSummary>> {
        self.catch_up(project)?;
        let filter = TraceFilter {
            project: project.map(str::to_owned),
            service: service.map(str::to_owned),
            limit: Some(SESSION_SCAN_LIMIT),
            ..TraceFilter::default()
        };
        let rows: Vec<SessionTrace> = self
            .store
            .list_traces(&filter)?
            .into_iter()
            .filter(|item| item.session_id.is_some())
            .map(session_row)
            .collect();
        let mut sessions = group_sessions(&rows);
        sessions.truncate(limit);
        Ok(sessions)
    }

    /// One session's traces in order, and whether its failures recur.
    pub fn session(&self, session_id: &str, project: Option<&str>) -> AppResult<SessionDetail> {
        self.catch_up(project)?;
        let filter = TraceFilter {
            project: project.map(str::to_owned),
            session_id: Some(session_id.to_owned()),
            limit: Some(SESSION_SCAN_LIMIT),
            ..TraceFilter::default()
        };
        let rows: Vec<SessionTrace> = self.store.list_traces(&filter)?.into_iter().map(session_row).collect();
        if rows.is_empty() {
            return Err(AppError::not_found(format!("no trace has session id {session_id:?}")));
        }
        let report = session_report(&rows);
        let mut signatures = BTreeMap::new();
        let wanted: HashSet<&String> = rows.iter().flat_map(|r| &r.signatures).collect();
        if !wanted.is_empty() {
            for signature in self.store.list_signatures(project)? {
                if wanted.contains(&signature.signature_id) {
                    signatures.insert(signature.signature_id, signature.signature);
                }
            }
        }
        Ok(SessionDetail { report, signatures })
    }
}
