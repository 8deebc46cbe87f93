//! Sessions: traces that share a session or conversation id (OpenInference `session.id`, GenAI
//! `gen_ai.conversation.id`, user-set attributes — normalised into `span.gen_ai.session_id`).
//!
//! [`group_sessions`] turns per-trace rows into sessions; [`session_report`] orders one session's
//! traces and says, per failing trace, whether its failure is a one-off or part of a pattern
//! (its failure signature recurs in the session, or consecutive traces fail).
//!
//! Pure: callers (CLI, REST) read the rows from a store and pass them in.

use rootspan_model::SpanTree;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The session id of a trace: the first span (in canonical order) that names one.
pub fn session_of(tree: &SpanTree) -> Option<String> {
    tree.spans.iter().find_map(|span| span.gen_ai.session_id.clone())
}

/// What a session view needs about one trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTrace {
    pub trace_id: String,
    pub session_id: String,
    pub root_name: String,
    pub service: String,
    pub start_time_unix_nano: u64,
    pub duration_ns: u64,
    /// Whether any span failed or a failure signature is attached.
    pub failed: bool,
    pub total_tokens: u64,
    pub cost_usd: f64,
    /// Failure signature ids attached to the trace.
    pub signatures: Vec<String>,
}

/// One row of the session list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub session_id: String,
    pub traces: u64,
    pub failed_traces: u64,
    pub first_seen_unix_nano: u64,
    pub last_seen_unix_nano: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    pub services: Vec<String>,
    /// Signature ids seen in at least two traces of the session.
    pub recurring_signatures: Vec<String>,
}

/// Whether a failing trace's failure recurs in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    /// The trace did not fail.
    Ok,
    /// Failed once; no other trace of the session shares its signature, nor fails next to it.
    OneOff,
    /// Its signature recurs in the session.
    Recurring,
    /// No shared signature, but the traces just before or after it failed too.
    Streak,
}

/// One trace within a session report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// 1-based position in the session.
    pub position: usize,
    #[serde(flatten)]
    pub trace: SessionTrace,
    pub recurrence: Recurrence,
    /// How many traces of the session share one of this trace's signatures (itself included).
    pub same_signature_count: u64,
}

/// A session with its traces in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionReport {
    pub summary: SessionSummary,
    pub traces: Vec<SessionEntry>,
    /// One line: one-off, or the pattern.
    pub verdict: String,
}

/// Groups trace rows into sessions, most recently active first. Rows without a session id are
/// skipped by the caller (they carry an empty one here and are ignored).
pub fn group_sessions(rows: &[SessionTrace]) -> Vec<SessionSummary> {
    let mut by_session: BTreeMap<&str, Vec<&SessionTrace>> = BTreeMap::new();
    for row in rows.iter().filter(|row| !row.session_id.is_empty()) {
        by_session.entry(&row.session_id).or_default().push(row);
    }
    let mut out: Vec<SessionSummary> = by_session.into_values().map(|traces| summarize(&traces)).collect();
    out.sort_by(|x, y| y.last_seen_unix_nano.cmp(&x.last_seen_unix_nano).then(x.session_id.cmp(&y.session_id)));
    out
}

fn summarize(traces: &[&SessionTrace]) -> SessionSummary {
    let mut signature_counts: BTreeMap<&str, u64> = BTreeMap::new();
    for trace in traces {
        let mut seen: Vec<&str> = trace.signatures.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for id in seen {
            *signature_counts.entry(id).or_default() += 1;
        }
    }
    let mut services: Vec<String> = traces.iter().map(|t| t.service.clone()).collect();
    services.sort();
    services.dedup();
    SessionSummary {
        session_id: traces.first().map(|t| t.session_id.clone()).unwrap_or_default(),
        traces: traces.len() as u64,
        failed_traces: traces.iter().filter(|t| t.failed).count() as u64,
        first_seen_unix_nano: traces.iter().map(|t| t.start_time_unix_nano).min().unwrap_or(0),
        last_seen_unix_nano: traces.iter().map(|t| t.start_time_unix_nano + t.duration_ns).max().unwrap_or(0),
        total_tokens: traces.iter().map(|t| t.total_tokens).sum(),
        cost_usd: traces.iter().map(|t| t.cost_usd).sum(),
        services,
        recurring_signatures: signature_counts
            .into_iter()
            .filter(|(_, n)| *n >= 2)
            .map(|(id, _)| id.to_owned())
            .collect(),
    }
}

/// The report of one session from its traces (any order).
pub fn session_report(rows: &[SessionTrace]) -> SessionReport {
    let mut traces: Vec<&SessionTrace> = rows.iter().collect();
    traces.sort_by(|x, y| x.start_time_unix_nano.cmp(&y.start_time_unix_nano).then(x.trace_id.cmp(&y.trace_id)));
    let summary = summarize(&traces);
    let mut signature_counts: HashMap<&str, u64> = HashMap::new();
    for trace in &traces {
        let mut seen: Vec<&str> = trace.signatures.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for id in seen {
            *signature_counts.entry(id).or_default() += 1;
        }
    }
    let failed: Vec<bool> = traces.iter().map(|t| t.failed).collect();
    let entries: Vec<SessionEntry> = traces
        .iter()
        .enumerate()
        .map(|(index, trace)| {
            let same = trace.signatures.iter().map(|id| signature_counts[id.as_str()]).max().unwrap_or(0);
            let neighbour_failed = (index > 0 && failed[index - 1]) || failed.get(index + 1).copied().unwrap_or(false);
            let recurrence = if !trace.failed {
                Recurrence::Ok
            } else if same >= 2 {
                Recurrence::Recurring
            } else if neighbour_failed {
                Recurrence::Streak
            } else {
                Recurrence::OneOff
            };
            SessionEntry { position: index + 1, trace: (*trace).clone(), recurrence, same_signature_count: same }
        })
        .collect();
    let verdict = verdict(&summary, &entries);
    SessionReport { summary, traces: entries, verdict }
}

fn verdict(summary: &SessionSummary, entries: &[SessionEntry]) -> String {
    let failed = summary.failed_traces;
    if failed == 0 {
        return format!("healthy: {} traces, none failed", summary.traces);
    }
    let recurring = entries.iter().filter(|e| e.recurrence == Recurrence::Recurring).count();
    if recurring > 0 {
        let signatures = summary.recurring_signatures.len();
        return format!(
            "pattern: {recurring} of {} traces fail with a recurring signature ({signatures} signature{})",
            summary.traces,
            if signatures == 1 { "" } else { "s" }
        );
    }
    if entries.iter().any(|e| e.recurrence == Recurrence::Streak) {
        return format!("pattern: {failed} of {} traces fail in a row, with different signatures", summary.traces);
    }
    if failed == 1 {
        return format!("one-off: 1 of {} traces failed", summary.traces);
    }
    format!("one-offs: {failed} of {} traces failed, each differently", summary.traces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, start: u64, failed: bool, signatures: &[&str]) -> SessionTrace {
        SessionTrace {
            trace_id: id.to_owned(),
            session_id: "s1".to_owned(),
            root_name: "agent".to_owned(),
            service: "svc".to_owned(),
            start_time_unix_nano: start,
            duration_ns: 10,
            failed,
            total_tokens: 5,
            cost_usd: 0.0,
            signatures: signatures.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn recurring_signature_is_a_pattern_and_a_lone_failure_a_one_off() {
        let rows = vec![row("c", 30, true, &["x"]), row("a", 10, true, &["x"]), row("b", 20, false, &[])];
        let report = session_report(&rows);
        assert_eq!(report.traces[0].trace.trace_id, "a");
        assert_eq!(report.traces[0].recurrence, Recurrence::Recurring);
        assert_eq!(report.traces[1].recurrence, Recurrence::Ok);
        assert!(report.verdict.starts_with("pattern"), "{}", report.verdict);
        let rows = vec![row("a", 10, false, &[]), row("b", 20, true, &["y"]), row("c", 30, false, &[])];
        let report = session_report(&rows);
        assert_eq!(report.traces[1].recurrence, Recurrence::OneOff);
        assert!(report.verdict.starts_with("one-off"), "{}", report.verdict);
        assert_eq!(group_sessions(&rows).len(), 1);
    }
}
