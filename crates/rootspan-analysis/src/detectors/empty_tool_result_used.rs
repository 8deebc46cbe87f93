//! `empty-tool-result-used`: a tool returned nothing and later steps treated it as data.
//!
//! **What.** A tool span whose recorded result is empty (`""`, `[]`, `{}`, `null`, an object whose
//! values are all empty, or a "no results"/"not found" message) and a final answer that does not
//! say the data was missing.
//!
//! **Why.** The model fills the gap with invented data (a delivery date for an order that was never
//! found), which looks like a normal successful run.
//!
//! **Example.** `search_kb` returns `[]`; the answer cites a refund policy anyway.
//!
//! **False positives.** Tools whose empty result is itself the answer ("no open incidents") when
//! the final answer words it in an unusual way; results that were not recorded are never flagged.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;

pub const ID: &str = "empty-tool-result-used";

/// Whether a recorded tool result carries no data.
pub fn is_empty_result(result: &str) -> bool {
    let trimmed = result.trim();
    if matches!(trimmed, "" | "[]" | "{}" | "null" | "None" | "\"\"" | "nil" | "undefined") {
        return true;
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
        return json_is_empty(&value);
    }
    let lower = trimmed.to_lowercase();
    lower.len() < 80
        && [
            "no results",
            "no result found",
            "not found",
            "nothing found",
            "0 results",
            "no matches",
            "no data",
            "no records",
        ]
        .iter()
        .any(|marker| lower.contains(marker))
}

fn json_is_empty(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => {
            // An envelope whose collection is empty and that carries nothing else of substance
            // (`{query, results: [], total: 0, request_id}`).
            let collection = |key: &str| {
                matches!(
                    key,
                    "results" | "items" | "data" | "hits" | "documents" | "records" | "matches" | "entries" | "rows"
                )
            };
            map.is_empty()
                || (map.iter().any(|(key, v)| collection(key) && json_is_empty(v))
                    && map
                        .iter()
                        .all(|(key, v)| (collection(key) && json_is_empty(v)) || !(v.is_array() || v.is_object())))
        }
        _ => false,
    }
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let Some((answer_span, answer)) = &view.final_answer else {
        return Vec::new();
    };
    if text::admits_failure(answer) {
        return Vec::new();
    }
    for step in &view.steps {
        if !matches!(step.kind, SpanKind::Tool | SpanKind::Retrieval)
            || step.span >= *answer_span
            || step.error.is_some()
        {
            continue;
        }
        if !step.result_recorded || !is_empty_result(&step.output) {
            continue;
        }
        let tool = step.tool_name.clone().unwrap_or_default();
        let first_reader = view.llm_steps_after(step.span).next().map(|s| s.span);
        let mut chain: Vec<usize> = first_reader.into_iter().collect();
        chain.push(*answer_span);
        return vec![
            Hit::new(
                ID,
                step.span,
                Severity::High,
                format!("tool `{tool}` returned nothing, but the answer presents data"),
            )
            .chain(chain)
            .evidence(format!("tool result: {:?}", text::clip(&step.output, 120)))
            .evidence(format!("final answer: {}", text::clip(answer, 240)))
            .confidence(0.85),
        ];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::is_empty_result;

    #[test]
    fn empty_shapes() {
        for text in ["[]", "{}", "null", " ", "{\"results\": []}", "No results found."] {
            assert!(is_empty_result(text), "{text}");
        }
        for text in ["[1]", "{\"a\": 1}", "The order shipped."] {
            assert!(!is_empty_result(text), "{text}");
        }
    }
}
