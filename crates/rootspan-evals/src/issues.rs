//! Failure issues: each failure signature (cluster) is an issue whose state comes from the
//! append-only issue log.
//!
//! - **active**: seen, not resolved (the state of an issue with no log entry);
//! - **resolved**: the user resolved it (`rootspan issue ID resolve`);
//! - **regressed**: after it was resolved, a new trace matched its signature, or one of its eval
//!   cases failed; marked automatically, with the trace or case as the cause;
//! - **ignored**: the user does not want to hear of it; it stays ignored whatever happens.
//!
//! `reopen` makes it active again. Counts, first and last seen and the trend come from the
//! stored signatures.

use rootspan_analysis::cluster::Cluster;
use rootspan_store::IssueEvent;
use serde::Serialize;
use std::collections::BTreeMap;

pub const ACTIVE: &str = "active";
pub const RESOLVED: &str = "resolved";
pub const REGRESSED: &str = "regressed";
pub const IGNORED: &str = "ignored";

/// What a user can do to an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Resolve,
    Reopen,
    Ignore,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "resolve" => Some(Action::Resolve),
            "reopen" => Some(Action::Reopen),
            "ignore" => Some(Action::Ignore),
            _ => None,
        }
    }

    /// The log entry's kind and the state after it.
    pub fn kind_and_state(self) -> (&'static str, &'static str) {
        match self {
            Action::Resolve => ("resolved", RESOLVED),
            Action::Reopen => ("reopened", ACTIVE),
            Action::Ignore => ("ignored", IGNORED),
        }
    }
}

/// The last state change of an issue.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: String,
    pub at_unix_nano: u64,
    pub cause: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

/// One issue as `rootspan issues --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub id: String,
    pub state: String,
    pub count: u64,
    pub signature: String,
    pub detector: String,
    pub services: Vec<String>,
    pub first_seen_unix_nano: u64,
    pub last_seen_unix_nano: u64,
    /// Members per equal time bucket over the store's signature time range, oldest first.
    pub trend: Vec<u64>,
    pub representative_trace_id: String,
    /// Eval cases linked to the issue, with their last outcome (`passed`, `failed`, or `never run`).
    pub eval_cases: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change: Option<Change>,
}

/// The state of every issue the log mentions, from its entries in order.
pub fn states(events: &[IssueEvent]) -> BTreeMap<String, (String, Option<Change>)> {
    let mut out: BTreeMap<String, (String, Option<Change>)> = BTreeMap::new();
    for event in events {
        let entry = out.entry(event.issue_id.clone()).or_insert_with(|| (ACTIVE.to_owned(), None));
        if let Some(state) = &event.state {
            entry.0.clone_from(state);
            entry.1 = Some(Change {
                kind: event.kind.clone(),
                at_unix_nano: event.at_unix_nano,
                cause: event.cause.clone(),
                trace_id: event.trace_id.clone(),
                case_id: event.case_id.clone(),
            });
        }
    }
    out
}

/// Linked eval cases of every issue with their last outcome.
pub fn eval_cases(events: &[IssueEvent]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for event in events {
        let Some(case) = &event.case_id else { continue };
        let outcome = match event.kind.as_str() {
            "eval_passed" => "passed",
            "eval_failed" => "failed",
            "eval_linked" => "never run",
            _ => continue,
        };
        let cases = out.entry(event.issue_id.clone()).or_default();
        if outcome != "never run" || !cases.contains_key(case) {
            cases.insert(case.clone(), outcome.to_owned());
        }
    }
    out
}

/// The issues of a set of clusters, with the states of the log, largest first.
pub fn issues(clusters: &[Cluster], trends: &BTreeMap<String, Vec<u64>>, events: &[IssueEvent]) -> Vec<Issue> {
    let states = states(events);
    let mut cases = eval_cases(events);
    clusters
        .iter()
        .map(|cluster| {
            let (state, last_change) =
                states.get(&cluster.signature_id).cloned().unwrap_or_else(|| (ACTIVE.to_owned(), None));
            Issue {
                id: cluster.signature_id.clone(),
                state,
                count: cluster.count,
                signature: cluster.signature.clone(),
                detector: cluster.detector.clone(),
                services: cluster.services.clone(),
                first_seen_unix_nano: cluster.first_seen_unix_nano,
                last_seen_unix_nano: cluster.last_seen_unix_nano,
                trend: trends.get(&cluster.signature_id).cloned().unwrap_or_default(),
                representative_trace_id: cluster.representative_trace_id.clone(),
                eval_cases: cases.remove(&cluster.signature_id).unwrap_or_default(),
                last_change,
            }
        })
        .collect()
}
