//! Our detector ids mapped onto external failure taxonomies, and the per-step predictions the
//! benchmarks score: TRAIL `(span_id, category)` pairs.
//!
//! TRAIL marks the model call that *caused* an error (the call that emitted bad tool arguments, not
//! the tool span that raised), the first instance of an error, and the *last* instance of Resource
//! Abuse. The predictions follow that convention.

use crate::Diagnosis;
use crate::detectors::error_class::{ErrorClass, classify};
use crate::detectors::wrong_tool_args::is_argument_validation_error;
use crate::view::TraceView;
use rootspan_model::{SpanKind, SpanTree};
use std::collections::{BTreeSet, HashMap};

/// Detector id -> TRAIL category, in one table.
pub const DETECTOR_TO_TRAIL: &[(&str, &str)] = &[
    ("tool-error-ignored", "Tool Output Misinterpretation"),
    ("empty-tool-result-used", "Poor Information Retrieval"),
    ("wrong-tool-args", "Formatting Errors"),
    ("retry-loop", "Resource Abuse"),
    ("resource-abuse", "Resource Abuse"),
    ("context-overflow", "Context Handling Failures"),
    ("goal-drift", "Goal Deviation"),
    ("cascading-multi-agent", "Task Orchestration"),
    ("silent-wrong-answer", "Language-only"),
    ("rate-limited", "Rate Limiting"),
    ("auth-error", "Authentication Errors"),
    ("timeout", "Timeout Issues"),
    ("resource-not-found", "Resource Not Found"),
    ("service-error", "Service Errors"),
    ("format-error", "Formatting Errors"),
    // Step-level checks of `trail_predictions` (not detectors of `diagnose`).
    ("step-off-goal-code-action", "Goal Deviation"),
    ("step-text-instead-of-tool-call", "Instruction Non-compliance"),
];

/// The TRAIL category of a detector id.
pub fn trail_category(detector: &str) -> Option<&'static str> {
    DETECTOR_TO_TRAIL.iter().find(|(id, _)| *id == detector).map(|(_, category)| *category)
}

fn class_category(class: Option<ErrorClass>, error: &str) -> &'static str {
    if is_argument_validation_error(error) || error.contains("unexpected keyword argument") {
        return "Formatting Errors";
    }
    match class {
        Some(ErrorClass::RateLimited) => "Rate Limiting",
        Some(ErrorClass::Auth) => "Authentication Errors",
        Some(ErrorClass::Timeout) => "Timeout Issues",
        Some(ErrorClass::NotFound) => "Resource Not Found",
        Some(ErrorClass::Service) => "Service Errors",
        Some(ErrorClass::Format) => "Formatting Errors",
        None => "Tool-related",
    }
}

/// What kind of model step a span is, from its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelStep {
    /// Emits tool calls.
    ToolCall,
    /// Emits code to run (CodeAct style: a fenced block or `Code:`).
    Code,
    /// Writes a plan or a list of facts.
    Plan,
    /// Plain text (an answer, or prose where an action was expected).
    Text,
}

/// Classifies a model step by its output.
pub fn model_step(tool_calls: usize, output: &str) -> ModelStep {
    if tool_calls > 0 {
        return ModelStep::ToolCall;
    }
    if output.contains("Code:") || output.contains("```") {
        return ModelStep::Code;
    }
    let head: String = output.chars().take(300).collect::<String>().to_lowercase();
    if head.contains("facts") || head.contains("plan") {
        return ModelStep::Plan;
    }
    ModelStep::Text
}

/// TRAIL-style predictions for one trace: `(span_id, category)` pairs.
pub fn trail_predictions(tree: &SpanTree, diagnosis: &Diagnosis) -> BTreeSet<(String, String)> {
    let view = TraceView::new(tree);
    let mut out = BTreeSet::new();
    // Failed tool calls: blame the model call that issued them.
    let mut last_llm: Option<usize> = None;
    let mut repeats: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for step in &view.steps {
        match step.kind {
            SpanKind::Llm => last_llm = Some(step.span),
            SpanKind::Tool | SpanKind::Retrieval => {
                let blamed = last_llm.unwrap_or(step.span);
                if let Some(error) = &step.error {
                    out.insert((view.span_id(blamed), class_category(classify(error), error).to_owned()));
                }
                if let (Some(tool), Some(canonical)) = (&step.tool_name, &step.canonical_arguments) {
                    repeats.entry((tool.clone(), canonical.clone())).or_default().push(blamed);
                }
            }
            _ => {}
        }
    }
    for spans in repeats.values().filter(|spans| spans.len() >= 3) {
        if let Some(last) = spans.last() {
            out.insert((view.span_id(*last), "Resource Abuse".to_owned()));
        }
    }
    // Step-level checks on model calls.
    let tool_calling_run = view.steps.iter().any(|s| !s.tool_calls.is_empty());
    for step in view.steps.iter().filter(|s| s.kind == SpanKind::Llm) {
        let kind = model_step(step.tool_calls.len(), &step.output);
        let already = out.iter().any(|(id, _)| *id == view.span_id(step.span));
        if already {
            continue;
        }
        let check = match kind {
            ModelStep::Code => Some("step-off-goal-code-action"),
            ModelStep::Text if tool_calling_run && !step.output.trim().is_empty() => {
                Some("step-text-instead-of-tool-call")
            }
            _ => None,
        };
        if let Some(category) = check.and_then(trail_category) {
            out.insert((view.span_id(step.span), category.to_owned()));
        }
    }
    // Detector findings (first instances), mapped.
    for finding in &diagnosis.findings {
        if let Some(category) = trail_category(&finding.detector)
            && !out.iter().any(|(id, _)| *id == finding.span_id)
        {
            out.insert((finding.span_id.clone(), category.to_owned()));
        }
    }
    out
}
