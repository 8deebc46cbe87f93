//! `wrong-tool-args`: a tool call whose arguments break the tool's declared schema or contradict
//! values the agent was given.
//!
//! **What.** For every tool call a model emitted (and every tool span), the arguments are checked
//! against the declared JSON Schema (`gen_ai.tool.definitions`, OpenInference `tool.parameters` /
//! `llm.tools.*`): missing required properties, unknown properties when `additionalProperties` is
//! false, wrong JSON types, values outside an `enum`. They are also checked against the user's
//! request: a date argument that is not a date the user gave (when the user gave one), and a
//! count-like argument (`party_size`, `quantity`, `guests`, ...) whose value the request never
//! mentions while it mentions other small numbers, and an identifier the agent was never given
//! that is one or two edits away from one in the request (`A1003` looked up for `A1002`). The
//! first faulty span is the model call that
//! emitted the arguments; the chain continues to the tool span that executed them.
//!
//! **Why.** The tool "succeeds" with the wrong input (a booking on the wrong day), so nothing errors.
//!
//! **Example.** The user asks for "4 people on March 5th 2025"; the model calls
//! `book_table(party_size=2, date="2025-05-03")`.
//!
//! **False positives.** Relative dates ("next Friday") resolved correctly by the model; counts the
//! model derived (two adults + two children = 4) when the request spells them differently.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use serde_json::Value;

pub const ID: &str = "wrong-tool-args";

const COUNT_KEYS: &[&str] = &[
    "size", "count", "quantity", "qty", "guests", "people", "persons", "adults", "number", "num", "seats", "tickets",
    "nights",
];

/// Problems of one argument object against a JSON Schema (`properties`, `required`, `type`, `enum`,
/// `additionalProperties`).
pub fn schema_violations(arguments: &Value, schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = arguments.as_object() else {
        if schema.get("type").and_then(Value::as_str) == Some("object") {
            problems.push("arguments are not a JSON object".to_owned());
        }
        return problems;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                problems.push(format!("missing required argument `{name}`"));
            }
        }
    }
    if let Some(properties) = properties {
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (name, value) in object {
            match properties.get(name) {
                None if closed => problems.push(format!("unknown argument `{name}`")),
                None => {}
                Some(property) => {
                    if let Some(expected) = property.get("type") {
                        let types: Vec<&str> = match expected {
                            Value::String(t) => vec![t.as_str()],
                            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                            _ => Vec::new(),
                        };
                        if !types.is_empty() && !types.iter().any(|t| type_matches(value, t)) {
                            problems.push(format!("argument `{name}` should be {} but is {value}", types.join("|")));
                        }
                    }
                    if let Some(allowed) = property.get("enum").and_then(Value::as_array)
                        && !allowed.contains(value)
                    {
                        problems
                            .push(format!("argument `{name}`={value} is not one of {}", Value::Array(allowed.clone())));
                    }
                }
            }
        }
    }
    problems
}

fn type_matches(value: &Value, expected: &str) -> bool {
    match expected {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Declared schemas by tool name from a definitions JSON text (OpenAI `tools`, GenAI
/// `gen_ai.tool.definitions`, or a bare schema for one tool).
pub fn schemas_from_definitions(text: &str) -> Vec<(String, Value)> {
    let Ok(value) = serde_json::from_str::<Value>(text) else { return Vec::new() };
    let items: Vec<Value> = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let function = item.get("function").unwrap_or(&item);
        let Some(name) = function.get("name").and_then(Value::as_str) else { continue };
        let schema = function
            .get("parameters")
            .or_else(|| function.get("parameters_json_schema"))
            .or_else(|| function.get("input_schema"))
            .cloned();
        if let Some(schema) = schema {
            out.push((name.to_owned(), schema));
        }
    }
    out
}

/// Contradictions between arguments and the user's request.
pub fn request_contradictions(arguments: &Value, request: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = arguments.as_object() else { return problems };
    let request_dates = text::dates(request);
    let date_spans: Vec<(usize, usize)> = Vec::new();
    let _ = date_spans;
    let request_numbers: Vec<f64> = text::numbers(request)
        .into_iter()
        .filter(|n| !n.decimal && n.value.abs() < 100.0 && n.value >= 1.0)
        .filter(|n| {
            // Not part of a time (7:30) or a date (5th/03-05).
            let before = request[..n.start].chars().last();
            let after = request[n.end..].chars().next();
            !matches!(before, Some(':' | '/' | '-')) && !matches!(after, Some(':' | '/'))
        })
        .map(|n| n.value)
        .collect();
    for (key, value) in object {
        if let Some(date) = value.as_str().filter(|s| text::is_iso_date(&s[..s.len().min(10)]) && s.len() >= 10) {
            let date = &date[..10];
            if !request_dates.is_empty() && !text::date_matches(date, &request_dates) {
                problems
                    .push(format!("argument `{key}`=\"{date}\" but the request gives {}", request_dates.join(", ")));
            }
        }
        let lower_key = key.to_lowercase();
        let count_like = lower_key.split(['_', '-']).any(|part| COUNT_KEYS.contains(&part));
        if count_like && let Some(number) = value.as_f64() {
            let small: Vec<f64> = request_numbers.iter().copied().filter(|n| *n <= 50.0).collect();
            if !small.is_empty() && !small.contains(&number) && request_mentions_quantity(request) {
                problems.push(format!(
                    "argument `{key}`={number} but the request mentions {}",
                    small.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    // Direction swapped: from/to values appear in the request in the opposite order.
    let lower_request = request.to_lowercase();
    let position = |value: &Value| -> Option<usize> {
        let text = value.as_str()?.trim().to_lowercase();
        if text.len() < 2 {
            return None;
        }
        lower_request.match_indices(&text).map(|(at, _)| at).find(|&at| {
            let before = lower_request[..at].chars().last();
            let after = lower_request[at + text.len()..].chars().next();
            before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
        })
    };
    let role = |key: &str, words: &[&str]| key.to_lowercase().split(['_', '-']).any(|part| words.contains(&part));
    for (from_key, from_value) in object.iter().filter(|(k, _)| role(k, FROM_KEYS)) {
        for (to_key, to_value) in object.iter().filter(|(k, _)| role(k, TO_KEYS)) {
            if let (Some(from_at), Some(to_at)) = (position(from_value), position(to_value))
                && from_at > to_at
            {
                problems.push(format!(
                    "arguments `{from_key}`={from_value} and `{to_key}`={to_value} are swapped with respect to the request"
                ));
            }
        }
    }
    problems
}

const FROM_KEYS: &[&str] = &["from", "origin", "source", "src", "base", "departure", "sender", "start"];
const TO_KEYS: &[&str] = &["to", "destination", "dest", "target", "quote", "arrival", "recipient", "end"];

/// Argument problems reported by the tool itself (a schema validation error on the arguments).
pub fn is_argument_validation_error(error: &str) -> bool {
    let lower = error.to_lowercase();
    [
        "validation error",
        "validationerror",
        "should match pattern",
        "invalid argument",
        "missing required",
        "unexpected keyword argument",
        "required positional argument",
        "input_value=",
        "is not a valid",
        "invalid value for",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

fn request_mentions_quantity(request: &str) -> bool {
    let lower = request.to_lowercase();
    let numbers = text::numbers(&lower);
    numbers.iter().any(|n| {
        let before = lower[..n.start].trim_end();
        let after = lower[n.end..].trim_start();
        before.ends_with(" for")
            || before.ends_with("party of")
            || before.ends_with("of") && !after.starts_with(char::is_numeric)
            || ["people", "person", "guest", "adult", "ticket", "seat", "night", "item", "unit", "copies", "pieces"]
                .iter()
                .any(|w| after.starts_with(w))
    })
}

/// Identifiers in tool-call arguments that the agent was never given (not in the request, the
/// system instructions or an earlier tool output) and that are one or two edits away from an
/// identifier of the user's request: the user asked about `A1002`, the model looked up `A1003`.
pub fn near_miss_identifiers(
    arguments: &str,
    request: &super::cascading_multi_agent::IdentifierIndex,
    known: &std::collections::HashSet<&str>,
) -> Vec<String> {
    text::id_tokens(arguments)
        .into_iter()
        // Identifiers mix letters and digits (`A1002`, `C-3227`); bare numbers (years, amounts)
        // are judged by the date and count checks.
        .filter(|token| token.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|token| !known.contains(token))
        .filter_map(|token| {
            request.near_miss(token).map(|given| format!("argument value `{token}` but the request gives `{given}`"))
        })
        .collect()
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut request_ids = super::cascading_multi_agent::IdentifierIndex::default();
    request_ids.add_text(&view.user_request);
    // Near misses need an identifier in the request; without one the sources are not indexed.
    let request_has_ids =
        text::id_tokens(&view.user_request).iter().any(|token| token.chars().any(|c| c.is_ascii_alphabetic()));
    let mut known: std::collections::HashSet<&str> = text::id_tokens(&view.user_request).into_iter().collect();
    known.extend(text::id_tokens(&view.system));
    for step in &view.steps {
        let span = &view.tree.spans[step.span];
        let calls: Vec<(String, String)> = match step.kind {
            SpanKind::Llm => step.tool_calls.clone(),
            _ => {
                if request_has_ids {
                    known.extend(text::id_tokens(&step.output));
                }
                continue;
            }
        };
        let definitions = span.gen_ai.tool_definitions.as_deref().map(schemas_from_definitions).unwrap_or_default();
        for (tool, arguments) in calls {
            let Ok(value) = serde_json::from_str::<Value>(&arguments) else { continue };
            let mut problems = Vec::new();
            if let Some((_, schema)) = definitions.iter().find(|(name, _)| *name == tool) {
                problems.extend(schema_violations(&value, schema));
            }
            problems.extend(request_contradictions(&value, &view.user_request));
            if request_has_ids {
                problems.extend(near_miss_identifiers(&arguments, &request_ids, &known));
            }
            if problems.is_empty() {
                continue;
            }
            // The tool span that executed these arguments.
            let executed = view
                .steps
                .iter()
                .find(|s| {
                    s.span > step.span && s.kind == SpanKind::Tool && s.tool_name.as_deref() == Some(tool.as_str())
                })
                .map(|s| s.span);
            let mut hit = Hit::new(
                ID,
                step.span,
                Severity::High,
                format!("`{tool}` called with wrong arguments: {}", problems[0]),
            )
            .chain(executed.into_iter().chain(view.final_answer.as_ref().map(|a| a.0)).collect())
            .evidence(format!("arguments: {}", text::clip(&arguments, 240)))
            .confidence(0.85);
            if !view.user_request.is_empty() {
                hit = hit.evidence(format!("request: {}", text::clip(&view.user_request, 240)));
            }
            for problem in problems {
                hit = hit.evidence(problem);
            }
            hits.push(hit);
        }
        if !hits.is_empty() {
            break;
        }
    }
    // Tools that rejected their arguments: blame the model call that emitted them.
    if hits.is_empty() {
        for (position, step) in view.steps.iter().enumerate() {
            let Some(error) = &step.error else { continue };
            if step.kind != SpanKind::Tool || !is_argument_validation_error(error) {
                continue;
            }
            let emitter = view.steps[..position]
                .iter()
                .rev()
                .find(|s| {
                    s.kind == SpanKind::Llm
                        && s.tool_calls.iter().any(|(name, _)| Some(name) == step.tool_name.as_ref())
                })
                .map(|s| s.span);
            let tool = step.tool_name.clone().unwrap_or_default();
            let root = emitter.unwrap_or(step.span);
            hits.push(
                Hit::new(ID, root, Severity::High, format!("`{tool}` rejected its arguments"))
                    .chain(vec![step.span])
                    .evidence(format!("arguments: {}", text::clip(step.arguments.as_deref().unwrap_or(""), 240)))
                    .evidence(format!("error: {}", text::clip(error, 240)))
                    .confidence(0.9),
            );
            break;
        }
    }
    // Tool spans with a declared schema of their own (OpenInference `tool.parameters`).
    if hits.is_empty() {
        for step in view.steps.iter().filter(|s| s.kind == SpanKind::Tool) {
            let span = &view.tree.spans[step.span];
            let (Some(definition), Some(arguments)) = (&span.gen_ai.tool_definitions, &step.arguments) else {
                continue;
            };
            let (Ok(schema), Ok(value)) =
                (serde_json::from_str::<Value>(definition), serde_json::from_str::<Value>(arguments))
            else {
                continue;
            };
            let schema = if schema.get("properties").is_some() { schema } else { continue };
            let problems = schema_violations(&value, &schema);
            if let Some(first) = problems.first() {
                let tool = step.tool_name.clone().unwrap_or_default();
                let mut hit =
                    Hit::new(ID, step.span, Severity::High, format!("`{tool}` called with wrong arguments: {first}"))
                        .evidence(format!("arguments: {}", text::clip(arguments, 240)))
                        .confidence(0.8);
                for problem in problems {
                    hit = hit.evidence(problem);
                }
                hits.push(hit);
                break;
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_checks() {
        let schema = json!({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","enum":["x"]}},"required":["a"],"additionalProperties":false});
        assert!(schema_violations(&json!({"a": 1, "b": "x"}), &schema).is_empty());
        assert_eq!(schema_violations(&json!({"b": "y", "c": 1}), &schema).len(), 3);
    }

    #[test]
    fn identifiers_near_the_request() {
        let mut request = crate::detectors::cascading_multi_agent::IdentifierIndex::default();
        request.add_text("What is the status of my order A1002 from 2024?");
        let known: std::collections::HashSet<&str> = ["A1002", "2024", "B7781"].into_iter().collect();
        assert_eq!(near_miss_identifiers(r#"{"order_id": "A1003"}"#, &request, &known).len(), 1);
        assert!(near_miss_identifiers(r#"{"order_id": "A1002"}"#, &request, &known).is_empty());
        assert!(near_miss_identifiers(r#"{"order_id": "B7781"}"#, &request, &known).is_empty());
        // Bare numbers are not identifiers (a year next to the one the user gave).
        assert!(near_miss_identifiers(r#"{"year": "2025"}"#, &request, &known).is_empty());
    }

    #[test]
    fn contradictions_with_request() {
        let request = "Book a table for 4 at Luigi's on March 5th 2025 at 7:30pm.";
        assert!(
            request_contradictions(&json!({"party_size": 4, "date": "2025-03-05", "time": "19:30"}), request)
                .is_empty()
        );
        assert_eq!(request_contradictions(&json!({"party_size": 2, "date": "2025-05-03"}), request).len(), 2);
        let convert = "Convert 870 AUD to GBP for me.";
        assert!(request_contradictions(&json!({"from_currency": "AUD", "to_currency": "GBP"}), convert).is_empty());
        assert_eq!(request_contradictions(&json!({"from_currency": "GBP", "to_currency": "AUD"}), convert).len(), 1);
    }
}
