//! Stepwise logical decomposition of the reasoning chain: each model step split into what it
//! observed (tool results it received since the previous step), what it decided (tool calls) and
//! what it claimed (sentences of its text), with every numeric claim checked against the
//! observations so far. The first step with an unsupported claim is where the logic breaks.

use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use serde::Serialize;

/// One model step, decomposed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasoningStep {
    pub span_id: String,
    /// Tool results received since the previous model step.
    pub observations: Vec<String>,
    /// Tool calls decided: `name(arguments)`.
    pub actions: Vec<String>,
    /// Sentences of the step's text.
    pub claims: Vec<String>,
    /// Numbers the step states that no observation, the request or earlier steps contain.
    pub unsupported_numbers: Vec<String>,
}

/// Sentences: split at `.`, `!`, `?` followed by whitespace or the end, and at line breaks (so
/// `$89.99` stays whole).
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let boundary = c == '\n' || (matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace()));
        if c != '\n' {
            current.push(c);
        }
        if boundary {
            let sentence = current.trim().trim_end_matches(['.', '!', '?']).trim().to_owned();
            if sentence.len() > 2 {
                out.push(sentence);
            }
            current.clear();
        }
    }
    let rest = current.trim().to_owned();
    if rest.len() > 2 {
        out.push(rest);
    }
    out
}

/// Decomposes every model step of the trace.
pub fn decompose_reasoning(view: &TraceView) -> Vec<ReasoningStep> {
    let mut known: Vec<f64> = text::numbers(&view.user_request).iter().map(|n| n.value).collect();
    let mut pending: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for step in &view.steps {
        if step.kind != SpanKind::Llm {
            known.extend(text::numbers(&step.output).iter().map(|n| n.value));
            if let Some(arguments) = &step.arguments {
                known.extend(text::numbers(arguments).iter().map(|n| n.value));
            }
            pending.push(text::clip(step.error.as_deref().unwrap_or(&step.output), 200));
            continue;
        }
        let claims = sentences(&step.output);
        let unsupported_numbers = text::numbers(&step.output)
            .into_iter()
            .filter(|n| !known.iter().any(|k| (k - n.value).abs() < 1e-9))
            .map(|n| step.output[n.start..n.end].to_owned())
            .collect();
        known.extend(text::numbers(&step.output).iter().map(|n| n.value));
        out.push(ReasoningStep {
            span_id: view.span_id(step.span),
            observations: std::mem::take(&mut pending),
            actions: step.tool_calls.iter().map(|(name, arguments)| format!("{name}({arguments})")).collect(),
            claims,
            unsupported_numbers,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;

    #[test]
    fn steps_carry_observations_actions_and_claims() {
        let tree = fixture::tree();
        let view = TraceView::new(&tree);
        let steps = decompose_reasoning(&view);
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].observations.len(), 1);
        assert!(steps[1].actions[0].starts_with("refund("));
        assert_eq!(steps[2].claims, vec!["Your refund of $89.99 is done".to_owned()]);
        assert!(steps[2].unsupported_numbers.is_empty());
    }
}
