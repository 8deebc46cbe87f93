//! Token use per model step against the model's context window: how close each call came to
//! the limit, and how the context grew over the run (the picture behind `context-overflow`).

use crate::view::TraceView;
use rootspan_model::SpanKind;
use rootspan_model::pricing::PriceTable;
use serde::Serialize;

/// One model call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenStep {
    pub span_id: String,
    pub span_name: String,
    pub model: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The model's context window from the price table; `null` for an unknown model.
    pub context_window: Option<u64>,
    /// (input + output) / window; `null` without both.
    pub share_of_window: Option<f64>,
}

/// Token use of every model call, in run order.
pub fn token_usage(view: &TraceView, table: &PriceTable) -> Vec<TokenStep> {
    view.steps
        .iter()
        .filter(|step| step.kind == SpanKind::Llm)
        .map(|step| {
            let context_window = step.model.as_deref().and_then(|m| table.context_window(m));
            let used = match (step.input_tokens, step.output_tokens) {
                (None, None) => None,
                (input, output) => Some(input.unwrap_or(0) + output.unwrap_or(0)),
            };
            TokenStep {
                span_id: view.span_id(step.span),
                span_name: view.tree.spans[step.span].name.clone(),
                model: step.model.clone(),
                input_tokens: step.input_tokens,
                output_tokens: step.output_tokens,
                context_window,
                share_of_window: match (used, context_window) {
                    (Some(used), Some(window)) if window > 0 => Some(used as f64 / window as f64),
                    _ => None,
                },
            }
        })
        .collect()
}
