//! `context-overflow`: token use approaching or exceeding the model's context window.
//!
//! **What.** A model call whose input + output tokens reach 90% of the model's context window
//! (built-in table in `rootspan_model::pricing`, extendable through `DiagnoseOptions::prices`) and
//! either hits the window or is cut off (`finish_reason` `length`/`max_tokens`), or a provider
//! error that says the context length was exceeded. The first faulty span is the truncated call
//! (or the call that errored); the chain starts at the first call above 90%.
//!
//! **Why.** Truncated answers and forgotten instructions look like model mistakes; the fix is in the
//! context management (summarise, drop tool output, retrieve less).
//!
//! **Example.** Input grows by 11,200 tokens per step to 127,200 of 128,000; the last response stops
//! with `finish_reason=length`.
//!
//! **False positives.** Models whose window is not in the table are only judged on explicit errors;
//! a deliberately small `max_tokens` near a full window.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use rootspan_model::pricing::PriceTable;

pub const ID: &str = "context-overflow";

const ERROR_MARKERS: &[&str] = &[
    "context length",
    "context_length_exceeded",
    "maximum context",
    "context window",
    "too many tokens",
    "prompt is too long",
    "input is too long",
    "reduce the length",
];

pub fn detect(view: &TraceView, options: &DiagnoseOptions) -> Vec<Hit> {
    let table = options.prices.as_ref().unwrap_or_else(|| PriceTable::builtin());
    let mut first_high: Option<usize> = None;
    // Window lookups are string matches over the table: once per model name.
    let mut windows: std::collections::HashMap<&str, Option<u64>> = std::collections::HashMap::new();
    for step in &view.steps {
        if step.kind != SpanKind::Llm {
            // Provider errors can surface on any span.
            if let Some(error) = &step.error
                && ERROR_MARKERS.iter().any(|m| error.to_lowercase().contains(m))
            {
                return vec![error_hit(view, step.span, error)];
            }
            continue;
        }
        if let Some(error) = &step.error
            && ERROR_MARKERS.iter().any(|m| error.to_lowercase().contains(m))
        {
            return vec![error_hit(view, step.span, error)];
        }
        let (Some(model), Some(input)) = (&step.model, step.input_tokens) else { continue };
        let window = match windows.get(model.as_str()) {
            Some(window) => *window,
            None => *windows.entry(model.as_str()).or_insert_with(|| table.context_window(model)),
        };
        let Some(window) = window else { continue };
        let used = input + step.output_tokens.unwrap_or(0);
        let ratio = used as f64 / window as f64;
        if ratio >= 0.9 && first_high.is_none() {
            first_high = Some(step.span);
        }
        let truncated =
            step.finish_reasons.iter().any(|r| matches!(r.as_str(), "length" | "max_tokens" | "MAX_TOKENS"));
        if (truncated && ratio >= 0.9) || ratio >= 1.0 {
            let start = first_high.unwrap_or(step.span);
            let mut hit = Hit::new(
                ID,
                step.span,
                Severity::High,
                format!(
                    "model call used {used} of {window} context tokens ({:.0}%){}",
                    ratio * 100.0,
                    if truncated { " and was cut off" } else { "" }
                ),
            )
            .evidence(format!(
                "input_tokens={input} output_tokens={} window={window} model={model}",
                step.output_tokens.unwrap_or(0)
            ))
            .confidence(if truncated { 0.95 } else { 0.85 });
            if truncated {
                hit = hit.evidence(format!("finish_reason={}", step.finish_reasons.join(",")));
            }
            if !step.output.is_empty() {
                hit = hit.evidence(format!("output: {}", text::clip(&step.output, 200)));
            }
            // Chain: from the first call above 90% to the truncated call.
            let mut chain = vec![step.span];
            if start != step.span {
                chain.insert(0, start);
            }
            hit.chain = chain;
            return vec![hit];
        }
    }
    Vec::new()
}

fn error_hit(view: &TraceView, span: usize, error: &str) -> Hit {
    let _ = view;
    Hit::new(ID, span, Severity::High, "the provider rejected the request: context length exceeded")
        .evidence(format!("error: {}", text::clip(error, 240)))
        .confidence(0.95)
}
