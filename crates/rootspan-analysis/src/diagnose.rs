//! `diagnose`: runs every detector over a trace and answers whether the run failed, in which
//! failure mode, where it started (the first faulty span), why (evidence), and how it propagated
//! (causal chain and a blame score per candidate span).
//!
//! ```
//! use rootspan_analysis::{diagnose, DiagnoseOptions};
//! use rootspan_model::{Span, SpanTree};
//! let tree = SpanTree::build(vec![Span::new([1; 16], [1; 8], "agent run")]);
//! let diagnosis = diagnose(&tree, &DiagnoseOptions::default());
//! assert_eq!(diagnosis.failure_mode, "none");
//! ```

use crate::detectors::{self, Hit};
use crate::diagnosis::{Blame, ChainLink, Diagnosis, Severity};
use crate::view::TraceView;
use rootspan_model::pricing::PriceTable;
use rootspan_model::{SpanTree, trace_id_hex};

/// Options of a diagnosis. `Default` runs every detector with the built-in price table.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// The answer the run should have given; enables the expected-answer check.
    pub expected_answer: Option<String>,
    /// Prices and context windows (the built-in table when `None`).
    pub prices: Option<PriceTable>,
    /// Only run these detector ids (all when empty).
    pub only: Vec<String>,
    /// Skip these detector ids.
    pub skip: Vec<String>,
    /// Findings below this severity do not set the failure mode (default: Medium).
    pub min_severity: Option<Severity>,
}

/// Diagnoses one trace.
pub fn diagnose(tree: &SpanTree, options: &DiagnoseOptions) -> Diagnosis {
    let view = TraceView::new(tree);
    let trace_id = tree.spans.first().map(|s| trace_id_hex(&s.trace_id)).unwrap_or_default();
    let mut scored: Vec<(u8, &'static str, Hit)> = Vec::new();
    for info in detectors::all() {
        if !options.only.is_empty() && !options.only.iter().any(|id| id == info.id) {
            continue;
        }
        if options.skip.iter().any(|id| id == info.id) {
            continue;
        }
        for hit in (info.run)(&view, options) {
            scored.push((info.priority, info.failure_mode, hit));
        }
    }
    let threshold = options.min_severity.unwrap_or(Severity::Medium);
    // Primary: highest severity class (Medium+ counts the same), then detector priority, then earliest.
    let primary = scored
        .iter()
        .filter(|(_, _, hit)| hit.severity >= threshold)
        .min_by_key(|(priority, _, hit)| (*priority, hit.span));
    let (failure_mode, root_cause, causal_chain) = match primary {
        None => ("none".to_owned(), None, Vec::new()),
        Some((_, mode, hit)) => {
            let chain = hit
                .chain
                .iter()
                .enumerate()
                .map(|(position, &span)| ChainLink {
                    span_id: view.span_id(span),
                    span_name: view.span_name(span).to_owned(),
                    role: if position == 0 {
                        "root_cause".to_owned()
                    } else if position + 1 == hit.chain.len() {
                        "symptom".to_owned()
                    } else {
                        "propagation".to_owned()
                    },
                })
                .collect();
            (
                (*mode).to_owned(),
                Some(crate::diagnosis::RootCause {
                    span_id: view.span_id(hit.span),
                    span_name: view.span_name(hit.span).to_owned(),
                }),
                chain,
            )
        }
    };
    let blame = blame_scores(&view, &scored, primary.map(|p| &p.2));
    let mut findings: Vec<_> = scored.iter().map(|(_, _, hit)| (hit.span, hit.to_finding(&view))).collect();
    findings.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(a.0.cmp(&b.0)).then(a.1.detector.cmp(&b.1.detector)));
    Diagnosis {
        trace_id,
        failure_mode,
        root_cause,
        findings: findings.into_iter().map(|(_, f)| f).collect(),
        causal_chain,
        blame,
    }
}

fn severity_weight(severity: Severity) -> f64 {
    match severity {
        Severity::Info => 0.1,
        Severity::Low => 0.25,
        Severity::Medium => 0.5,
        Severity::High => 0.8,
        Severity::Critical => 1.0,
    }
}

/// Blame per candidate span: each hit gives its first faulty span its weight (severity x
/// confidence) and the spans of its chain a decaying share; the primary hit counts double.
/// Normalised so the scores sum to 1.
fn blame_scores(view: &TraceView, scored: &[(u8, &'static str, Hit)], primary: Option<&Hit>) -> Vec<Blame> {
    let mut totals: Vec<(usize, f64, Vec<String>)> = Vec::new();
    let mut add = |span: usize, weight: f64, detector: &str| {
        if let Some(entry) = totals.iter_mut().find(|e| e.0 == span) {
            entry.1 += weight;
            if !entry.2.iter().any(|d| d == detector) {
                entry.2.push(detector.to_owned());
            }
        } else {
            totals.push((span, weight, vec![detector.to_owned()]));
        }
    };
    for (_, _, hit) in scored {
        let boost = if primary.is_some_and(|p| std::ptr::eq(p, hit)) { 2.0 } else { 1.0 };
        let weight = severity_weight(hit.severity) * hit.confidence * boost;
        for (position, span) in hit.chain.iter().enumerate() {
            add(*span, weight / (1.0 + position as f64 * 2.0), hit.detector);
        }
    }
    let sum: f64 = totals.iter().map(|e| e.1).sum();
    let mut out: Vec<Blame> = totals
        .into_iter()
        .map(|(span, weight, detectors)| Blame {
            span_id: view.span_id(span),
            span_name: view.span_name(span).to_owned(),
            score: if sum > 0.0 { (weight / sum * 1000.0).round() / 1000.0 } else { 0.0 },
            detectors,
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.span_id.cmp(&b.span_id)));
    out
}
