//! The evidence a failure signature is built from: the span where the cause shows, and the text
//! that names the cause, reduced to its core so that different instrumentations of the same
//! failure agree.
//!
//! One failure reaches a trace in many shapes: an exception event (`payments-api POST /v1/charges
//! -> HTTP 401 Unauthorized: invalid API key ...`), a status message that wraps it with the
//! exception class and a traceback (`PaymentsUnauthorized('...')Traceback ...`), a framework's
//! wrapper (`Error running tool (non-fatal): {'tool_name': ..., 'error': '...'}`), or an error
//! envelope returned as the tool result (`{"error": {"status": 401, "message": "invalid API
//! key ..."}}`). [`error_core`] reduces all of them to the innermost cause of the error chain
//! (`invalid API key for merchant acct_...`), which [`super::template::template`] then masks.

use rootspan_model::{AnyValue, Span, SpanKind, SpanTree, StatusCode};
use serde_json::Value;

/// Where and what: the span index the evidence comes from and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub span: usize,
    pub text: EvidenceText,
}

/// The kind of text found.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceText {
    /// An error message (core of the error chain).
    Error(String),
    /// A tool call that did not fail by its own account: tool name, arguments, result.
    Call { tool: String, arguments: Option<String>, result: Option<String> },
    /// Nothing textual: the span's kind is all there is.
    Nothing,
}

/// The error text a span carries: exception event message, status message, an error envelope
/// in its tool result or output. `None` when the span did not fail by any of those accounts.
pub fn span_error(span: &Span) -> Option<String> {
    let exception = span
        .events
        .iter()
        .filter(|event| event.name == "exception")
        .find_map(|event| {
            rootspan_model::value::find(&event.attributes, "exception.message").and_then(AnyValue::as_str)
        })
        .filter(|text| !text.trim().is_empty());
    if let Some(text) = exception {
        return Some(text.to_owned());
    }
    if span.status.code == StatusCode::Error && !span.status.message.trim().is_empty() {
        return Some(span.status.message.clone());
    }
    if let Some(message) = span.gen_ai.tool_result.as_deref().and_then(envelope_error) {
        return Some(message);
    }
    if span.status.code == StatusCode::Error {
        return span.gen_ai.error_message.clone().or_else(|| span.gen_ai.error_type.clone()).or(Some(String::new()));
    }
    None
}

/// The message of a JSON error envelope (`{"error": {"message": ...}}`, `{"error": "..."}`,
/// `{"detail": ...}`), after unwrapping framework message envelopes.
fn envelope_error(text: &str) -> Option<String> {
    let value = parse_payload(text)?;
    if let Some(items) = value.as_array() {
        return validation_list(items);
    }
    let object = value.as_object()?;
    let error = object.get("error").or_else(|| object.get("errors")).or_else(|| object.get("detail"))?;
    match error {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Object(inner) => inner
            .get("message")
            .or_else(|| inner.get("msg"))
            .or_else(|| inner.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| Some(error.to_string())),
        Value::Array(items) if !items.is_empty() => Some(error.to_string()),
        _ => None,
    }
}

/// A list of validation errors as pydantic serialises them (`[{"type", "loc", "msg", ...}]`),
/// written in pydantic's text form so that [`error_core`] reads both alike.
fn validation_list(items: &[Value]) -> Option<String> {
    let types: Option<Vec<&str>> =
        items.iter().map(|item| item.get("msg").and(item.get("type")).and_then(Value::as_str)).collect();
    let types = types.filter(|types| !types.is_empty())?;
    let mut text = format!("{} validation errors", types.len());
    for kind in types {
        text.push_str(&format!("\n  [type={kind}, ]"));
    }
    Some(text)
}

/// JSON payload of a tool result, unwrapping message envelopes (`{"type": "tool", "data":
/// {"content": "<json>"}}`, `{"content": "<json>"}`) as LangChain and others serialise them.
pub fn parse_payload(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let mut value: Value = serde_json::from_str(trimmed).ok()?;
    for _ in 0..4 {
        let inner = value
            .get("data")
            .and_then(|data| data.get("content"))
            .or_else(|| value.get("type").and(value.get("content")))
            .cloned();
        match inner {
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text.trim()) {
                Ok(parsed) if parsed.is_object() || parsed.is_array() => value = parsed,
                _ => return Some(Value::String(text)),
            },
            Some(other @ (Value::Object(_) | Value::Array(_))) => value = other,
            _ => break,
        }
    }
    Some(value)
}

/// The innermost cause of an error chain, without tracebacks, exception class names and
/// framework wrappers. Validation errors (pydantic) become their sorted error type codes.
pub fn error_core(text: &str) -> String {
    let mut text = text.trim().to_owned();
    // Tracebacks: keep what precedes them, or their last line when nothing does.
    if let Some(position) = text.find("Traceback (most recent call last)") {
        let before = text[..position].trim();
        text = if before.is_empty() {
            text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("").trim().to_owned()
        } else {
            before.to_owned()
        };
    }
    if let Some(codes) = validation_codes(&text) {
        return codes;
    }
    // Framework wrappers holding the error as a dict/JSON value: `{... 'error': '...'}`.
    if let Some(inner) = quoted_error_field(&text) {
        return error_core(&inner);
    }
    // `ClassName('message')` / `ClassName("message")`.
    text = unwrap_constructor(&text).unwrap_or(text);
    // Only the first line: later lines are details and stack frames.
    let first_line = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("").trim().to_owned();
    innermost(&first_line)
}

/// The last segment of a `context: context -> cause` chain that still says something (two or
/// more words); leading exception class names are dropped.
fn innermost(line: &str) -> String {
    let segments: Vec<&str> = line.split(": ").flat_map(|part| part.split(" -> ")).map(str::trim).collect();
    let says_something =
        |segment: &str| segment.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count() >= 2;
    let mut chosen = String::new();
    for segment in segments.iter().rev() {
        if chosen.is_empty() {
            chosen = (*segment).to_owned();
        } else {
            chosen = format!("{segment}: {chosen}");
        }
        if says_something(&chosen) {
            break;
        }
    }
    if chosen.is_empty() { line.to_owned() } else { chosen }
}

fn validation_codes(text: &str) -> Option<String> {
    if !text.contains("validation error") {
        return None;
    }
    let mut codes: Vec<&str> = text
        .split("[type=")
        .skip(1)
        .filter_map(|rest| rest.split([',', ']']).next())
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .collect();
    if codes.is_empty() {
        return None;
    }
    codes.sort_unstable();
    codes.dedup();
    Some(format!("validation error [{}]", codes.join(", ")))
}

fn quoted_error_field(text: &str) -> Option<String> {
    for key in ["'error': ", "\"error\": ", "'message': ", "\"message\": "] {
        let Some(position) = text.find(key) else { continue };
        let rest = &text[position + key.len()..];
        let quote = rest.chars().next()?;
        if quote != '\'' && quote != '"' {
            continue;
        }
        let body = &rest[1..];
        // Up to the closing quote that ends the value (followed by `,` or `}` or end).
        let mut end = None;
        let mut escaped = false;
        for (index, c) in body.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            if c == '\\' {
                escaped = true;
                continue;
            }
            if c == quote {
                let after = body[index + 1..].trim_start();
                if after.is_empty() || after.starts_with(',') || after.starts_with('}') {
                    end = Some(index);
                    break;
                }
            }
        }
        if let Some(end) = end {
            return Some(body[..end].replace("\\n", "\n").replace("\\'", "'").replace("\\\"", "\""));
        }
    }
    None
}

fn unwrap_constructor(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let name = &text[..open];
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') {
        return None;
    }
    let rest = &text[open + 1..];
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let close = rest.rfind(&format!("{quote})"))?;
    (close > 0).then(|| rest[1..close].to_owned())
}

/// The evidence of a failure: the error of the cause span (from the diagnosis, else the first
/// innermost error of the trace), else the first error along the diagnosis' causal `chain` (a
/// log page blamed for a context overflow: the overflow error), else — for a model call — the
/// tool call it emitted or the error or tool result it acted on, else the tool call itself.
pub fn find_evidence(tree: &SpanTree, cause: Option<usize>, chain: &[usize]) -> Option<Evidence> {
    let cause = cause.or_else(|| first_error_span(tree))?;
    for &link in std::iter::once(&cause).chain(chain) {
        if let Some(text) = span_error(&tree.spans[link]) {
            return Some(Evidence { span: link, text: EvidenceText::Error(error_core(&text)) });
        }
    }
    // A model call blamed for acting on something: the tool call it emitted, else the error it
    // last received (the nearest failed step before it).
    let span = &tree.spans[cause];
    if span.gen_ai.kind == SpanKind::Llm {
        if let Some(call) = span.gen_ai.output_messages.iter().flat_map(|m| &m.tool_calls).next() {
            let executed = tree.spans[cause + 1..]
                .iter()
                .position(|s| {
                    s.gen_ai.kind == SpanKind::Tool && s.gen_ai.tool_name.as_deref() == Some(call.name.as_str())
                })
                .map(|offset| cause + 1 + offset);
            if let Some(text) = executed.and_then(|i| span_error(&tree.spans[i])) {
                let span = executed.unwrap_or(cause);
                return Some(Evidence { span, text: EvidenceText::Error(error_core(&text)) });
            }
            return Some(Evidence {
                span: executed.unwrap_or(cause),
                text: EvidenceText::Call {
                    tool: call.name.clone(),
                    arguments: Some(call.arguments.clone()),
                    result: executed.and_then(|i| tree.spans[i].gen_ai.tool_result.clone()),
                },
            });
        }
        if let Some(before) = (0..cause).rev().find(|&i| span_error(&tree.spans[i]).is_some()) {
            let text = span_error(&tree.spans[before]).unwrap_or_default();
            return Some(Evidence { span: before, text: EvidenceText::Error(error_core(&text)) });
        }
        // Else the tool result it acted on: the last tool call before it.
        if let Some(before) = (0..cause).rev().find(|&i| tree.spans[i].gen_ai.kind == SpanKind::Tool) {
            return find_evidence(tree, Some(before), &[]);
        }
    }
    if span.gen_ai.kind == SpanKind::Tool {
        return Some(Evidence {
            span: cause,
            text: EvidenceText::Call {
                tool: span.gen_ai.tool_name.clone().unwrap_or_else(|| span.name.clone()),
                arguments: span.gen_ai.tool_arguments.clone(),
                result: span.gen_ai.tool_result.clone(),
            },
        });
    }
    Some(Evidence { span: cause, text: EvidenceText::Nothing })
}

/// The first failed span that has no failed descendant (the innermost error), in canonical order.
pub fn first_error_span(tree: &SpanTree) -> Option<usize> {
    let failed: Vec<bool> = tree.spans.iter().map(|span| span_error(span).is_some()).collect();
    let mut failed_below = vec![false; tree.spans.len()];
    for (index, is_failed) in failed.iter().enumerate() {
        if !is_failed {
            continue;
        }
        let mut up = tree.parent[index];
        while let Some(parent) = up {
            if failed_below[parent] {
                break;
            }
            failed_below[parent] = true;
            up = tree.parent[parent];
        }
    }
    (0..tree.spans.len()).find(|&i| failed[i] && !failed_below[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shapes_reduce_to_the_same_core() {
        let plain = "payments-api POST /v1/charges -> HTTP 401 Unauthorized: invalid API key for merchant acct_3c";
        let wrapped = "PaymentsUnauthorized('payments-api POST /v1/charges -> HTTP 401 Unauthorized: invalid API key for merchant acct_3c')Traceback (most recent call last):\n  File x\nPaymentsUnauthorized: ...";
        let framework = "Error running tool (non-fatal): {'tool_name': 'charge_card', 'error': 'payments-api POST /v1/charges -> HTTP 401 Unauthorized: invalid API key for merchant acct_8y'}";
        let class_prefixed = "PaymentsUnauthorized: payments-api POST /v1/charges -> HTTP 401 Unauthorized: invalid API key for merchant acct_8y";
        let expected = "invalid API key for merchant acct_3c";
        assert_eq!(error_core(plain), expected);
        assert_eq!(error_core(wrapped), expected);
        assert_eq!(error_core(framework), "invalid API key for merchant acct_8y");
        assert_eq!(error_core(class_prefixed), "invalid API key for merchant acct_8y");
        assert_eq!(
            error_core("inventory-db: query timed out after 18 ms on shard 2"),
            "query timed out after 18 ms on shard 2"
        );
        let pydantic = "2 validation errors for X\ncheck_in\n  Input should be a valid date [type=date_from_datetime_parsing, input_value='1', input_type=str]";
        assert_eq!(error_core(pydantic), "validation error [date_from_datetime_parsing]");
        assert_eq!(envelope_error(r#"{"error":{"status":401,"message":"bad key"}}"#).as_deref(), Some("bad key"));
    }

    #[test]
    fn payload_envelopes_are_unwrapped() {
        let lc = r#"{"type": "tool", "data": {"content": "{\"results\": [], \"total\": 0}", "name": "search_kb"}}"#;
        assert_eq!(parse_payload(lc).unwrap(), serde_json::json!({"results": [], "total": 0}));
    }
}
