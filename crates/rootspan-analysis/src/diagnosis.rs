//! The result types of `diagnose`: the stable JSON schema that CLI, REST and MCP print.

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// One detector's finding on one span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable detector id, kebab-case (`tool-error-ignored`).
    pub detector: String,
    /// Span where the problem shows (hex).
    pub span_id: String,
    pub span_name: String,
    pub severity: Severity,
    /// One-line explanation.
    pub message: String,
    /// Exact excerpts of inputs/outputs/errors that show the problem.
    pub evidence: Vec<String>,
    /// Detector confidence in [0, 1].
    pub confidence: f64,
}

/// The span blamed for the failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub span_id: String,
    pub span_name: String,
}

/// The whole diagnosis of one trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub trace_id: String,
    /// `none`, a ground-truth label (`tool_error_ignored`, ...), or another detector id.
    pub failure_mode: String,
    pub root_cause: Option<RootCause>,
    pub findings: Vec<Finding>,
}
