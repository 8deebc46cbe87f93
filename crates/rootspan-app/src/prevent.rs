//! Replay and prevention over stored traces: a trace as a recording, a diagnosed failure as an
//! eval case, failure issues with their states, user actions on them, eval outcomes, and the
//! automatic `regressed` marking when a new trace matches a resolved issue.

use crate::App;
use crate::analysis::diagnosed_failure_mode;
use crate::error::{AppError, AppResult};
use rootspan_analysis::DiagnoseOptions;
use rootspan_evals::case::{CASE_FORMAT, RECORDING_FILE};
use rootspan_evals::issues::{self, Action, Issue, REGRESSED, RESOLVED};
use rootspan_evals::{EvalCase, Expected, Origin, Scorer, Target};
use rootspan_model::{DEFAULT_PROJECT, TraceId, trace_id_hex};
use rootspan_replay::Recording;
use rootspan_store::{IssueEvent, TraceSignature, TraceStore};
use std::collections::HashSet;

/// Buckets of an issue's trend.
pub const TREND_BUCKETS: usize = 12;

fn now_unix_nano() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// A time after every entry already in the log, so that entries keep their order.
fn next_time(events: &[IssueEvent]) -> u64 {
    let last = events.iter().map(|e| e.at_unix_nano).max().unwrap_or(0);
    now_unix_nano().max(last + 1)
}

/// What a user action did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActionOutcome {
    pub issue: Issue,
    /// Linked eval cases that have not passed (a resolution they do not back).
    pub unpassed_eval_cases: Vec<String>,
}

/// An eval case made from a trace, with its recording.
pub struct NewCase {
    pub case: EvalCase,
    pub recording: Recording,
}

/// Replaces a trace's signatures and marks regressed every resolved issue whose signature the
/// trace newly carries. The issue log is read once, and only when the trace has signatures;
/// the trace's previous signatures are read only when one of them names a resolved issue.
pub fn put_signatures(
    store: &dyn TraceStore,
    trace: &TraceId,
    project: &str,
    signatures: &[TraceSignature],
) -> AppResult<()> {
    if signatures.is_empty() {
        return Ok(store.put_signatures(trace, signatures)?);
    }
    let events = store.issue_events(None)?;
    let states = issues::states(&events);
    let resolved: Vec<&TraceSignature> =
        signatures.iter().filter(|s| states.get(&s.signature_id).is_some_and(|(state, _)| state == RESOLVED)).collect();
    if resolved.is_empty() {
        return Ok(store.put_signatures(trace, signatures)?);
    }
    let before: HashSet<String> = store
        .list_signatures(Some(project))?
        .into_iter()
        .filter(|s| &s.trace_id == trace)
        .map(|s| s.signature_id)
        .collect();
    store.put_signatures(trace, signatures)?;
    let entries: Vec<IssueEvent> = (next_time(&events)..)
        .zip(resolved.into_iter().filter(|s| !before.contains(&s.signature_id)))
        .map(|(at, signature)| IssueEvent {
            issue_id: signature.signature_id.clone(),
            project: project.to_owned(),
            at_unix_nano: at,
            kind: "regressed".into(),
            state: Some(REGRESSED.into()),
            cause: format!("trace {} matched the signature after the issue was resolved", trace_id_hex(trace)),
            trace_id: Some(trace_id_hex(trace)),
            case_id: None,
        })
        .collect();
    if !entries.is_empty() {
        tracing::info!(trace = %trace_id_hex(trace), count = entries.len(), "resolved issues regressed");
        store.append_issue_events(&entries)?;
    }
    Ok(())
}

impl App {
    /// The recording of a stored trace (`rootspan record export`).
    pub fn record_export(&self, text: &str) -> AppResult<Recording> {
        Ok(rootspan_replay::recording_from_trace(&self.load_tree(text)?))
    }

    /// Failure issues (one per signature cluster) with their states, largest first.
    pub fn issues(&self, project: Option<&str>) -> AppResult<Vec<Issue>> {
        let clusters = self.clusters(project)?;
        let trends = self.signature_trends(project, TREND_BUCKETS)?;
        let events = self.store.issue_events(project)?;
        Ok(issues::issues(&clusters, &trends.counts, &events))
    }

    /// The state of every issue the log mentions (issues it does not mention are active), from
    /// the log alone: for views that already have the clusters.
    pub fn issue_states(&self, project: Option<&str>) -> AppResult<std::collections::BTreeMap<String, String>> {
        let events = self.store.issue_events(project)?;
        Ok(issues::states(&events).into_iter().map(|(id, (state, _))| (id, state)).collect())
    }

    /// One issue by id or unique prefix of its id.
    pub fn issue(&self, id: &str, project: Option<&str>) -> AppResult<Issue> {
        let wanted = id.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return Err(AppError::invalid("an issue id is needed"));
        }
        let all = self.issues(project)?;
        let matching: Vec<Issue> = all.into_iter().filter(|i| i.id.starts_with(&wanted)).collect();
        match matching.len() {
            0 => Err(AppError::not_found(format!("no issue {id:?}; `rootspan issues` lists them"))),
            1 => Ok(matching.into_iter().next().expect("one issue")),
            n => Err(AppError::invalid(format!("issue id prefix {id:?} matches {n} issues; give more digits"))),
        }
    }

    /// The log entries of one issue, oldest first.
    pub fn issue_history(&self, id: &str) -> AppResult<Vec<IssueEvent>> {
        Ok(self.store.issue_events(None)?.into_iter().filter(|e| e.issue_id == id).collect())
    }

    /// Resolves, reopens or ignores an issue; the change is kept with its time and cause.
    pub fn issue_action(
        &self,
        id: &str,
        action: Action,
        cause: Option<&str>,
        project: Option<&str>,
    ) -> AppResult<ActionOutcome> {
        let issue = self.issue(id, project)?;
        let events = self.store.issue_events(None)?;
        // The entry belongs to the issue's project (that of its traces), so that a listing of
        // that project sees it, whichever project the caller named.
        let issue_project = match rootspan_model::parse_trace_id(&issue.representative_trace_id) {
            Ok(trace) => self.store.trace_project(&trace)?,
            Err(_) => None,
        }
        .or_else(|| project.map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_PROJECT.to_owned());
        let (kind, state) = action.kind_and_state();
        let cause = cause.map(str::to_owned).unwrap_or_else(|| format!("{kind} by the user"));
        self.store.append_issue_events(&[IssueEvent {
            issue_id: issue.id.clone(),
            project: issue_project,
            at_unix_nano: next_time(&events),
            kind: kind.into(),
            state: Some(state.into()),
            cause,
            trace_id: None,
            case_id: None,
        }])?;
        let unpassed_eval_cases = if action == Action::Resolve {
            issue.eval_cases.iter().filter(|(_, outcome)| *outcome != "passed").map(|(case, _)| case.clone()).collect()
        } else {
            Vec::new()
        };
        Ok(ActionOutcome { issue: self.issue(&issue.id, project)?, unpassed_eval_cases })
    }

    /// Records eval outcomes against their issues; a failed case of a resolved issue marks it
    /// regressed. `outcomes` are (issue id, case id, passed, detail).
    pub fn record_eval_outcomes(&self, outcomes: &[(String, String, bool, String)]) -> AppResult<usize> {
        let events = self.store.issue_events(None)?;
        let states = issues::states(&events);
        let mut at = next_time(&events);
        let mut entries = Vec::new();
        let mut regressed = 0;
        for (issue_id, case_id, passed, detail) in outcomes {
            let project = events
                .iter()
                .find(|e| &e.issue_id == issue_id)
                .map_or(DEFAULT_PROJECT.to_owned(), |e| e.project.clone());
            entries.push(IssueEvent {
                issue_id: issue_id.clone(),
                project: project.clone(),
                at_unix_nano: at,
                kind: if *passed { "eval_passed" } else { "eval_failed" }.into(),
                state: None,
                cause: detail.clone(),
                trace_id: None,
                case_id: Some(case_id.clone()),
            });
            at += 1;
            if !passed && states.get(issue_id).is_some_and(|(state, _)| state == RESOLVED) {
                regressed += 1;
                entries.push(IssueEvent {
                    issue_id: issue_id.clone(),
                    project,
                    at_unix_nano: at,
                    kind: "regressed".into(),
                    state: Some(REGRESSED.into()),
                    cause: format!("eval case {case_id} failed after the issue was resolved: {detail}"),
                    trace_id: None,
                    case_id: Some(case_id.clone()),
                });
                at += 1;
            }
        }
        self.store.append_issue_events(&entries)?;
        Ok(regressed)
    }

    /// An eval case from a diagnosed trace: the user's request, the recording, the failure mode
    /// it must no longer show, and the scorers; linked to the trace's issue.
    pub fn eval_case_from_trace(&self, text: &str, id: Option<&str>) -> AppResult<NewCase> {
        let tree = self.load_tree(text)?;
        let trace_id = tree.root().map(|r| trace_id_hex(&r.trace_id)).unwrap_or_default();
        let diagnosis = rootspan_analysis::diagnose(&tree, &DiagnoseOptions::default());
        let failure_mode = diagnosed_failure_mode(&diagnosis);
        let signature = rootspan_analysis::cluster::trace_signatures(&tree, &diagnosis).into_iter().next();
        let recording = rootspan_replay::recording_from_trace(&tree);
        let project = tree.root().map_or(DEFAULT_PROJECT.to_owned(), |r| r.project.clone());
        let case_id = id.map(str::to_owned).unwrap_or_else(|| {
            let mode = failure_mode.clone().unwrap_or_else(|| "run".into()).replace('_', "-");
            format!("{mode}-{}", &trace_id[..trace_id.len().min(8)])
        });
        if case_id.is_empty() || !case_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(AppError::invalid(format!("case id {case_id:?}: use letters, digits, - and _")));
        }
        let mut scorers = Vec::new();
        let mut expected = Expected::default();
        if let Some(mode) = &failure_mode {
            expected.forbidden_failure_modes.push(mode.clone());
            scorers.push(Scorer::NoFinding { failure_modes: vec![mode.clone()] });
        } else {
            scorers.push(Scorer::NoFinding { failure_modes: vec![] });
        }
        if let Some(output) = recording.header.output.as_deref().filter(|_| failure_mode.is_none()) {
            // A run without a diagnosed failure: its answer is the reference until reviewed.
            expected.answer = Some(output.to_owned());
            scorers.push(Scorer::Exact { value: output.to_owned() });
        }
        let description = match (&failure_mode, &diagnosis.root_cause) {
            (Some(mode), Some(root)) => format!(
                "From trace {trace_id}: {mode} at span {:?}. Review: add the expected answer and the scorers that prove the fix.",
                root.span_name
            ),
            (Some(mode), None) => format!("From trace {trace_id}: {mode}. Review: add the expected answer."),
            _ => format!("From trace {trace_id}, which no detector flagged."),
        };
        let case = EvalCase {
            rootspan_eval: CASE_FORMAT,
            id: case_id.clone(),
            version: 1,
            description,
            origin: Some(Origin {
                trace_id,
                failure_mode,
                issue_id: signature.as_ref().map(|s| s.signature_id.clone()),
                signature: signature.as_ref().map(|s| s.signature.clone()),
                root_cause_span_id: diagnosis.root_cause.as_ref().map(|r| r.span_id.clone()),
                root_cause: diagnosis.root_cause.as_ref().map(|r| r.span_name.clone()),
            }),
            input: recording.header.input.clone().unwrap_or_default(),
            recording: Some(RECORDING_FILE.into()),
            expected,
            scorers,
            target: Target { mode: "replay".into(), timeout_secs: 120, ..Target::default() },
        };
        if let Some(signature) = &signature {
            let events = self.store.issue_events(None)?;
            self.store.append_issue_events(&[IssueEvent {
                issue_id: signature.signature_id.clone(),
                project,
                at_unix_nano: next_time(&events),
                kind: "eval_linked".into(),
                state: None,
                cause: format!("eval case {case_id} created from the trace"),
                trace_id: case.origin.as_ref().map(|o| o.trace_id.clone()),
                case_id: Some(case_id),
            }])?;
        }
        Ok(NewCase { case, recording })
    }
}
