//! The result types of `diagnose`: the stable JSON schema that CLI, REST and MCP print
//! (documented in `docs/diagnose-schema.md`).

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

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Some(match text.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
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

/// One link of the causal chain from the root cause to the visible symptom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    pub span_id: String,
    pub span_name: String,
    /// `root_cause`, `propagation` or `symptom`.
    pub role: String,
}

/// The blame of one candidate span, in [0, 1]; the scores of a diagnosis sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blame {
    pub span_id: String,
    pub span_name: String,
    pub score: f64,
    /// Detectors that point at this span.
    pub detectors: Vec<String>,
}

/// The whole diagnosis of one trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub trace_id: String,
    /// `none`, a ground-truth label (`tool_error_ignored`, ...), or another detector id.
    pub failure_mode: String,
    pub root_cause: Option<RootCause>,
    pub findings: Vec<Finding>,
    /// From the root cause to the visible symptom (empty when `failure_mode` is `none`).
    #[serde(default)]
    pub causal_chain: Vec<ChainLink>,
    /// Blame per candidate span, highest first.
    #[serde(default)]
    pub blame: Vec<Blame>,
}

impl Diagnosis {
    /// Whether any finding is at or above `severity` (the CI gate of `--fail-on`).
    pub fn has_findings_at(&self, severity: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= severity)
    }
}
