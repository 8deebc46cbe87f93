//! Failure clustering: many failing traces, few causes.
//!
//! Every failing trace gets one [`Signature`], computed once (at ingest) by
//! [`trace_signatures`] from the trace and its [`Diagnosis`]:
//!
//! ```text
//! error | agent>tool | orders service unavailable (request id <uuid>)
//! empty_tool_result_used | agent>tool | returned {query:<str>,results:[],total:<n>}
//! ```
//!
//! 1. **class**: `error` when the cause is an error message, else the diagnosis' failure mode
//!    (else its first finding's detector). [`Signature::detector`] keeps the detector either way;
//!    a trace the diagnosis calls healthy but with a failed span gets the class `error` too;
//! 2. **path**: the span kinds from the root to the span where the cause shows, structural spans
//!    (workflow, other) left out and repeats collapsed, so instrumentations agree;
//! 3. **cause**: the template of the innermost error of the cause span (see
//!    [`evidence::error_core`] and [`template::template`]: numbers, ids, uuids, hex, paths, urls,
//!    emails, quoted values and amounts masked). The same failure mode from different causes
//!    (an orders 503, a payments 401, an inventory timeout) thus stays apart, while the variants
//!    of one cause — on whichever tool — group together. When the cause is not an error (an
//!    empty result, swapped arguments, a repeated call), the cause is the structural template
//!    of what the tool returned (or, without a result, of the call: tool name and arguments).
//!    When the cause is an error, the class is `error` whichever detector saw it: the same
//!    outage may be ignored in one run and retried in a loop in another.
//!
//! The signature id is a stable FNV-1a hash of the signature text, so [`cluster_signatures`]
//! groups stored signatures by id in O(n), and a new trace joins its cluster without
//! re-clustering. Deterministic and explainable: the signature text is the cluster's key.

pub mod evidence;
pub mod template;

use crate::Diagnosis;
use evidence::{Evidence, EvidenceText, find_evidence, parse_payload};
use rootspan_model::ids::fnv1a64;
use rootspan_model::{SpanKind, SpanTree, TraceId, span_id_hex, trace_id_hex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The failure signature of one trace (maps 1:1 onto the store's `TraceSignature`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub trace_id: TraceId,
    /// 16 hex digits: FNV-1a of `signature`.
    pub signature_id: String,
    /// The human-readable signature: `detector | path | cause`.
    pub signature: String,
    pub detector: String,
    pub service: String,
    pub model: Option<String>,
    pub start_time_unix_nano: u64,
}

/// A group of traces with the same signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub signature_id: String,
    pub signature: String,
    /// The most frequent detector of the members.
    pub detector: String,
    /// Every detector seen among the members, most frequent first.
    pub detectors: Vec<String>,
    pub count: u64,
    /// Hex trace ids, oldest first.
    pub trace_ids: Vec<String>,
    /// The most recent trace of the cluster.
    pub representative_trace_id: String,
    pub first_seen_unix_nano: u64,
    pub last_seen_unix_nano: u64,
    pub services: Vec<String>,
    pub models: Vec<String>,
}

/// The failure signatures of a trace: one for a failing trace, none for a healthy one.
pub fn trace_signatures(tree: &SpanTree, diagnosis: &Diagnosis) -> Vec<Signature> {
    let Some(first) = tree.spans.first() else {
        return Vec::new();
    };
    let failed = !diagnosis.failure_mode.is_empty() && diagnosis.failure_mode != "none";
    let detector = if failed {
        diagnosis.failure_mode.clone()
    } else if let Some(finding) = diagnosis.findings.first() {
        finding.detector.clone()
    } else if evidence::first_error_span(tree).is_some() {
        "error".to_owned()
    } else {
        return Vec::new();
    };
    let by_id = |hex: &str| tree.spans.iter().position(|span| span_id_hex(&span.span_id) == hex);
    let cause = diagnosis
        .root_cause
        .as_ref()
        .and_then(|root| by_id(&root.span_id))
        .or_else(|| diagnosis.findings.first().and_then(|finding| by_id(&finding.span_id)));
    let chain: Vec<usize> = diagnosis.causal_chain.iter().filter_map(|link| by_id(&link.span_id)).collect();
    let signature = match find_evidence(tree, cause, &chain) {
        // An error names its cause whatever detector saw it (the same outage may be ignored in
        // one run and looped on in another): the class is `error`.
        Some(found @ Evidence { text: EvidenceText::Error(_), .. }) => {
            format!("error | {} | {}", kind_path(tree, found.span), cause_text(&found.text))
        }
        Some(found) => format!("{detector} | {} | {}", kind_path(tree, found.span), cause_text(&found.text)),
        None => format!("{detector} | |"),
    };
    let root = tree.root().unwrap_or(first);
    vec![Signature {
        trace_id: first.trace_id,
        signature_id: signature_id(&signature),
        signature,
        detector,
        service: root.service_name().to_owned(),
        model: tree.spans.iter().find_map(|span| span.gen_ai.model.clone()),
        start_time_unix_nano: tree.spans.iter().map(|span| span.start_time_unix_nano).min().unwrap_or(0),
    }]
}

/// Stable id of a signature text.
pub fn signature_id(signature: &str) -> String {
    format!("{:016x}", fnv1a64(signature.as_bytes(), 0xcbf2_9ce4_8422_2325))
}

fn cause_text(text: &EvidenceText) -> String {
    match text {
        EvidenceText::Error(core) => template::template(core),
        // What a tool returned characterises a non-error failure (empty, wrong, repeated) —
        // whichever tool returned it (one search backend may serve several tools); the call
        // itself only when there is no result (argument encodings differ by framework).
        EvidenceText::Call { tool, arguments, result } => match (result.as_deref(), arguments.as_deref()) {
            (Some(result), _) => format!("returned {}", payload_template(result)),
            (None, Some(arguments)) => format!("{tool}({})", template::data_template(arguments)),
            (None, None) => format!("{tool}()"),
        },
        EvidenceText::Nothing => String::new(),
    }
}

/// Template of a tool payload: structural for JSON (after unwrapping envelopes), else the start
/// of the text's template.
fn payload_template(text: &str) -> String {
    match parse_payload(text) {
        Some(serde_json::Value::String(inner)) => short_template(&inner),
        Some(value) => template::template(&value.to_string()),
        None => short_template(text),
    }
}

fn short_template(text: &str) -> String {
    if text.trim().is_empty() {
        return "\"\"".to_owned();
    }
    template::template(text).chars().take(60).collect()
}

/// Span kinds from the root to `index`, without workflow/other spans, repeats collapsed.
fn kind_path(tree: &SpanTree, index: usize) -> String {
    let mut kinds = Vec::new();
    let mut at = Some(index);
    while let Some(node) = at {
        let kind = tree.spans[node].gen_ai.kind;
        if !matches!(kind, SpanKind::Workflow | SpanKind::Other) && kinds.last() != Some(&kind) {
            kinds.push(kind);
        }
        at = tree.parent[node];
    }
    kinds.reverse();
    kinds.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(">")
}

/// Groups signatures by id: O(n). Clusters are ordered by count (largest first), then by last
/// seen (most recent first), then by id.
pub fn cluster_signatures(signatures: &[Signature]) -> Vec<Cluster> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Vec<&Signature>> = Vec::new();
    for signature in signatures {
        let slot = *index.entry(signature.signature_id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(signature);
    }
    let mut clusters: Vec<Cluster> = groups.into_iter().map(|members| cluster_of(&members)).collect();
    clusters.sort_by(|x, y| {
        y.count
            .cmp(&x.count)
            .then(y.last_seen_unix_nano.cmp(&x.last_seen_unix_nano))
            .then(x.signature_id.cmp(&y.signature_id))
    });
    clusters
}

fn cluster_of(members: &[&Signature]) -> Cluster {
    let mut members: Vec<&Signature> = members.to_vec();
    members.sort_by(|x, y| x.start_time_unix_nano.cmp(&y.start_time_unix_nano).then(x.trace_id.cmp(&y.trace_id)));
    members.dedup_by(|x, y| x.trace_id == y.trace_id);
    let first = members[0];
    let last = members[members.len() - 1];
    let mut services: Vec<String> = members.iter().map(|m| m.service.clone()).collect();
    services.sort();
    services.dedup();
    let mut models: Vec<String> = members.iter().filter_map(|m| m.model.clone()).collect();
    models.sort();
    models.dedup();
    let mut detector_counts: HashMap<&str, usize> = HashMap::new();
    for member in &members {
        *detector_counts.entry(member.detector.as_str()).or_default() += 1;
    }
    let mut detectors: Vec<(&str, usize)> = detector_counts.into_iter().collect();
    detectors.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let detectors: Vec<String> = detectors.into_iter().map(|(name, _)| name.to_owned()).collect();
    Cluster {
        signature_id: first.signature_id.clone(),
        signature: first.signature.clone(),
        detector: detectors.first().cloned().unwrap_or_default(),
        detectors,
        count: members.len() as u64,
        trace_ids: members.iter().map(|m| trace_id_hex(&m.trace_id)).collect(),
        representative_trace_id: trace_id_hex(&last.trace_id),
        first_seen_unix_nano: first.start_time_unix_nano,
        last_seen_unix_nano: last.start_time_unix_nano,
        services,
        models,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(trace: u8, text: &str, start: u64) -> Signature {
        Signature {
            trace_id: [trace; 16],
            signature_id: signature_id(text),
            signature: text.to_owned(),
            detector: "d".to_owned(),
            service: "svc".to_owned(),
            model: Some("m".to_owned()),
            start_time_unix_nano: start,
        }
    }

    #[test]
    fn groups_by_id_largest_first() {
        let signatures =
            vec![signature(1, "a", 10), signature(2, "b", 20), signature(3, "a", 30), signature(3, "a", 30)];
        let clusters = cluster_signatures(&signatures);
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0].signature, "a");
        assert_eq!(clusters[0].count, 2);
        assert_eq!(clusters[0].representative_trace_id, trace_id_hex(&[3; 16]));
        assert_eq!(clusters[0].first_seen_unix_nano, 10);
        assert_eq!(clusters[1].count, 1);
    }
}
