//! State-transition validation: each step's output checked against a declared JSON Schema for
//! that step (by tool name, or by span name for other steps). A step whose output is not JSON,
//! or breaks its schema, is an invalid transition; the first one is where the state went wrong.

use crate::detectors::wrong_tool_args::schema_violations;
use crate::view::TraceView;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One invalid transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionViolation {
    pub span_id: String,
    /// The tool or span name the schema was declared for.
    pub step: String,
    pub problems: Vec<String>,
}

/// Validates every step that has a schema in `schemas` (keyed by tool name or span name).
pub fn validate_transitions(view: &TraceView, schemas: &BTreeMap<String, Value>) -> Vec<TransitionViolation> {
    let mut out = Vec::new();
    for step in &view.steps {
        // Tool steps by tool name; model steps by span name (their `tool_name` is the call they emit).
        let name = match step.kind {
            rootspan_model::SpanKind::Tool | rootspan_model::SpanKind::Retrieval => {
                step.tool_name.clone().unwrap_or_else(|| view.span_name(step.span).to_owned())
            }
            _ => view.span_name(step.span).to_owned(),
        };
        let schema = schemas.get(&name).or_else(|| schemas.get(view.span_name(step.span)));
        let Some(schema) = schema else { continue };
        let problems = if let Some(error) = &step.error {
            vec![format!("the step failed: {error}")]
        } else {
            match serde_json::from_str::<Value>(&step.output) {
                Ok(value) => schema_violations(&value, schema),
                Err(_) => vec!["the output is not JSON".to_owned()],
            }
        };
        if !problems.is_empty() {
            out.push(TransitionViolation { span_id: view.span_id(step.span), step: name, problems });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;
    use serde_json::json;

    #[test]
    fn outputs_are_checked_against_their_schema() {
        let tree = fixture::tree();
        let view = TraceView::new(&tree);
        let schemas: BTreeMap<String, Value> = [
            ("get_order".to_owned(), json!({"type":"object","properties":{"total":{"type":"number"},"status":{"type":"string"}},"required":["status"]})),
            ("refund".to_owned(), json!({"type":"object"})),
        ]
        .into();
        let violations = validate_transitions(&view, &schemas);
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].problems, vec!["missing required argument `status`".to_owned()]);
        assert!(violations[1].problems[0].starts_with("the step failed"));
    }
}
