//! Failure-mode detectors, one file each. Every detector has a stable kebab-case id (used by the
//! CLI, the API and configuration), the ground-truth failure mode it maps to, and a function from a
//! [`TraceView`] to [`Hit`]s. The module doc comment of each file is its documentation: what it
//! detects, why it matters, an example, and its known false positives.

use crate::DiagnoseOptions;
use crate::diagnosis::{Finding, Severity};
use crate::view::TraceView;

pub mod auth_error;
pub mod cascading_multi_agent;
pub mod context_overflow;
pub mod empty_tool_result_used;
pub mod error_class;
pub mod format_error;
pub mod goal_drift;
pub mod rate_limited;
pub mod resource_abuse;
pub mod resource_not_found;
pub mod retry_loop;
pub mod service_error;
pub mod silent_wrong_answer;
pub mod support;
pub mod timeout;
pub mod tool_error_ignored;
pub mod wrong_tool_args;

/// One detection: the first faulty span, the propagation chain to the visible symptom, and the
/// human-readable explanation.
#[derive(Debug, Clone)]
pub struct Hit {
    pub detector: &'static str,
    /// Span index (canonical order) of the first faulty span.
    pub span: usize,
    /// Span indexes from the root cause to the visible symptom (starts with `span`).
    pub chain: Vec<usize>,
    pub severity: Severity,
    pub message: String,
    pub evidence: Vec<String>,
    pub confidence: f64,
}

impl Hit {
    pub fn new(detector: &'static str, span: usize, severity: Severity, message: impl Into<String>) -> Hit {
        Hit {
            detector,
            span,
            chain: vec![span],
            severity,
            message: message.into(),
            evidence: Vec::new(),
            confidence: 0.8,
        }
    }

    pub fn chain(mut self, chain: Vec<usize>) -> Hit {
        let mut out = vec![self.span];
        for index in chain {
            if !out.contains(&index) {
                out.push(index);
            }
        }
        self.chain = out;
        self
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Hit {
        self.evidence.push(line.into());
        self
    }

    pub fn confidence(mut self, confidence: f64) -> Hit {
        self.confidence = confidence.clamp(0.0, 1.0);
        self
    }

    pub fn to_finding(&self, view: &TraceView) -> Finding {
        Finding {
            detector: self.detector.to_owned(),
            span_id: view.span_id(self.span),
            span_name: view.span_name(self.span).to_owned(),
            severity: self.severity,
            message: self.message.clone(),
            evidence: self.evidence.clone(),
            confidence: self.confidence,
        }
    }
}

/// A registered detector.
pub struct DetectorInfo {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// The failure mode it reports (`tool_error_ignored`, ... or its own id).
    pub failure_mode: &'static str,
    /// Rank when several detectors fire: lower wins the `failure_mode` of the diagnosis.
    pub priority: u8,
    pub run: fn(&TraceView, &DiagnoseOptions) -> Vec<Hit>,
}

/// Every detector, in priority order.
pub fn all() -> &'static [DetectorInfo] {
    const DETECTORS: &[DetectorInfo] = &[
        DetectorInfo { id: retry_loop::ID, failure_mode: "retry_loop", priority: 0, run: retry_loop::detect },
        DetectorInfo {
            id: context_overflow::ID,
            failure_mode: "context_overflow",
            priority: 1,
            run: context_overflow::detect,
        },
        DetectorInfo {
            id: cascading_multi_agent::ID,
            failure_mode: "cascading_multi_agent",
            priority: 2,
            run: cascading_multi_agent::detect,
        },
        DetectorInfo {
            id: tool_error_ignored::ID,
            failure_mode: "tool_error_ignored",
            priority: 3,
            run: tool_error_ignored::detect,
        },
        DetectorInfo {
            id: empty_tool_result_used::ID,
            failure_mode: "empty_tool_result_used",
            priority: 4,
            run: empty_tool_result_used::detect,
        },
        DetectorInfo {
            id: wrong_tool_args::ID,
            failure_mode: "wrong_tool_args",
            priority: 5,
            run: wrong_tool_args::detect,
        },
        DetectorInfo { id: goal_drift::ID, failure_mode: "goal_drift", priority: 6, run: goal_drift::detect },
        DetectorInfo {
            id: silent_wrong_answer::ID,
            failure_mode: "silent_wrong_answer",
            priority: 7,
            run: silent_wrong_answer::detect,
        },
        DetectorInfo { id: rate_limited::ID, failure_mode: rate_limited::ID, priority: 10, run: rate_limited::detect },
        DetectorInfo { id: auth_error::ID, failure_mode: auth_error::ID, priority: 11, run: auth_error::detect },
        DetectorInfo { id: timeout::ID, failure_mode: timeout::ID, priority: 12, run: timeout::detect },
        DetectorInfo {
            id: resource_not_found::ID,
            failure_mode: resource_not_found::ID,
            priority: 13,
            run: resource_not_found::detect,
        },
        DetectorInfo {
            id: service_error::ID,
            failure_mode: service_error::ID,
            priority: 14,
            run: service_error::detect,
        },
        DetectorInfo { id: format_error::ID, failure_mode: format_error::ID, priority: 15, run: format_error::detect },
        DetectorInfo {
            id: resource_abuse::ID,
            failure_mode: resource_abuse::ID,
            priority: 16,
            run: resource_abuse::detect,
        },
    ];
    DETECTORS
}

/// The detector with this id.
pub fn by_id(id: &str) -> Option<&'static DetectorInfo> {
    all().iter().find(|info| info.id == id)
}
