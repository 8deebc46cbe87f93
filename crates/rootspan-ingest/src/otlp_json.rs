//! OTLP/JSON: reading through the serde mapping of opentelemetry-proto, with a tolerant retry,
//! and writing spec-shaped OTLP/JSON.
//!
//! The serde mapping is strict where exporters are sometimes sloppy (STACK-NOTES §2): explicit
//! `null`, non-finite doubles as strings (`"NaN"`), uint32 fields as strings, enums by name.
//! A body is first decoded directly (fast path); only if that fails is it parsed into a JSON tree,
//! repaired by [`tolerate`] and decoded again. An error still names the position of the first
//! fault in the original body.

use crate::error::IngestError;
use crate::values::NON_FINITE_MARKERS;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Decodes an OTLP/JSON `ExportTraceServiceRequest`; the flag says whether invalid UTF-8 in the
/// body was repaired with U+FFFD (see [`from_json`]).
pub fn traces_request_from_json(
    body: &[u8],
) -> Result<(opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest, bool), IngestError> {
    from_json(body, "ExportTraceServiceRequest")
}

/// Decodes an OTLP/JSON `ExportLogsServiceRequest`; the flag as for [`traces_request_from_json`].
pub fn logs_request_from_json(
    body: &[u8],
) -> Result<(opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest, bool), IngestError> {
    from_json(body, "ExportLogsServiceRequest")
}

/// Decodes a body; only when that fails and the body is not valid UTF-8 is it decoded again as
/// `String::from_utf8_lossy(body)` (invalid sequences become U+FFFD). The flag says whether the
/// repaired body was used. An error is always the first decode's.
fn from_json<T: DeserializeOwned + Default>(body: &[u8], what: &str) -> Result<(T, bool), IngestError> {
    match from_valid_json(body, what) {
        Ok(request) => Ok((request, false)),
        Err(error) if std::str::from_utf8(body).is_err() => {
            let repaired = String::from_utf8_lossy(body);
            from_valid_json(repaired.as_bytes(), what).map(|request| (request, true)).map_err(|_| error)
        }
        Err(error) => Err(error),
    }
}

fn from_valid_json<T: DeserializeOwned + Default>(body: &[u8], what: &str) -> Result<T, IngestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let first_error = match serde_json::from_slice::<T>(body) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    let malformed = || IngestError::malformed(format!("OTLP/JSON {what}: {first_error}"));
    let mut tree: Value = serde_json::from_slice(body).map_err(|_| malformed())?;
    if !tolerate(&mut tree) {
        return Err(malformed());
    }
    serde_json::from_value(tree).map_err(|_| malformed())
}

/// Whether the body (already known to decode to nothing) is a valid empty request: `{}` or an
/// object that explicitly carries `key`; otherwise an error of kind `Empty` that names the likely
/// cause (snake_case keys, another signal's key, the keys found).
pub fn check_empty_json(body: &[u8], key: &str) -> Result<(), IngestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let text = String::from_utf8_lossy(body);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
        return Err(IngestError::empty(format!("OTLP/JSON: expected an object with {key:?}")));
    };
    if map.is_empty() || map.contains_key(key) {
        return Ok(());
    }
    let snake = to_snake(key);
    let cause = if map.contains_key(&snake) {
        format!("it uses the snake_case key {snake:?}; OTLP/JSON requires lowerCamelCase ({key:?})")
    } else if let Some(other) =
        ["resourceSpans", "resourceLogs", "resourceMetrics", "resource_spans", "resource_logs", "resource_metrics"]
            .iter()
            .find(|other| map.contains_key(**other))
    {
        format!("it carries {other:?}: wrong signal or endpoint?")
    } else {
        let keys: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
        format!("top-level keys are {keys:?}")
    };
    Err(IngestError::empty(format!("OTLP/JSON: non-empty body without {key:?} decoded to nothing: {cause}")))
}

fn to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Repairs the common deviations in place; returns whether anything changed.
///
/// - `null` members are removed (proto3 JSON: null means default), `null` array items become `{}`;
/// - `"doubleValue": "NaN" | "Infinity" | "-Infinity"` become marker strings turned back into
///   doubles by [`crate::values`]; numeric strings become numbers;
/// - uint32/int32 fields given as strings become numbers; enums given by name become numbers.
pub fn tolerate(value: &mut Value) -> bool {
    match value {
        Value::Array(items) => {
            let mut changed = false;
            for item in items.iter_mut() {
                if item.is_null() {
                    *item = Value::Object(Map::new());
                    changed = true;
                } else {
                    changed |= tolerate(item);
                }
            }
            changed
        }
        Value::Object(map) => {
            let before = map.len();
            map.retain(|_, member| !member.is_null());
            let mut changed = map.len() != before;
            changed |= repair_double(map);
            for (key, member) in map.iter_mut() {
                if let Value::String(text) = member {
                    if let Some(number) = numeric_field(key, text) {
                        *member = Value::from(number);
                        changed = true;
                    }
                } else {
                    changed |= tolerate(member);
                }
            }
            changed
        }
        _ => false,
    }
}

fn repair_double(map: &mut Map<String, Value>) -> bool {
    let Some(Value::String(text)) = map.get("doubleValue") else { return false };
    let replacement = match NON_FINITE_MARKERS.iter().find(|(_, name)| *name == text.trim()) {
        Some((marker, _)) => Some(("stringValue", Value::String((*marker).to_owned()))),
        None => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(|number| ("doubleValue", Value::Number(number))),
    };
    match replacement {
        Some((key, value)) => {
            map.remove("doubleValue");
            map.insert(key.to_owned(), value);
            true
        }
        None => false,
    }
}

fn numeric_field(key: &str, text: &str) -> Option<i64> {
    let enum_prefix = match key {
        "droppedAttributesCount" | "droppedEventsCount" | "droppedLinksCount" | "flags" => None,
        "kind" => Some("SPAN_KIND_"),
        "code" => Some("STATUS_CODE_"),
        "severityNumber" => Some("SEVERITY_NUMBER_"),
        _ => return None,
    };
    if let Ok(number) = text.trim().parse::<i64>() {
        return Some(number);
    }
    let name = text.trim().strip_prefix(enum_prefix?)?;
    let names: &[&str] = match key {
        "kind" => &["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"],
        "code" => &["UNSET", "OK", "ERROR"],
        _ => &[
            "UNSPECIFIED",
            "TRACE",
            "TRACE2",
            "TRACE3",
            "TRACE4",
            "DEBUG",
            "DEBUG2",
            "DEBUG3",
            "DEBUG4",
            "INFO",
            "INFO2",
            "INFO3",
            "INFO4",
            "WARN",
            "WARN2",
            "WARN3",
            "WARN4",
            "ERROR",
            "ERROR2",
            "ERROR3",
            "ERROR4",
            "FATAL",
            "FATAL2",
            "FATAL3",
            "FATAL4",
        ],
    };
    names.iter().position(|candidate| *candidate == name).and_then(|index| i64::try_from(index).ok())
}

/// Serialises an OTLP request as spec OTLP/JSON. Non-finite doubles, which the serde mapping
/// would write as `null`, are written as `"NaN"`, `"Infinity"`, `"-Infinity"` (proto3 JSON):
/// callers pass a request built with marker strings in their place, and `restore` swaps them.
pub fn to_json_string<T: serde::Serialize>(request: &T, restore: bool) -> String {
    if !restore {
        return serde_json::to_string(request).unwrap_or_else(|error| format!("{{\"error\":{:?}}}", error.to_string()));
    }
    match serde_json::to_value(request) {
        Ok(mut tree) => {
            restore_markers(&mut tree);
            tree.to_string()
        }
        Err(error) => format!("{{\"error\":{:?}}}", error.to_string()),
    }
}

fn restore_markers(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(restore_markers),
        Value::Object(map) => {
            let name = match map.get("stringValue") {
                Some(Value::String(text)) => {
                    NON_FINITE_MARKERS.iter().find(|(marker, _)| marker == text).map(|(_, name)| *name)
                }
                _ => None,
            };
            if let Some(name) = name {
                map.remove("stringValue");
                map.insert("doubleValue".to_owned(), Value::String(name.to_owned()));
                return;
            }
            map.values_mut().for_each(restore_markers);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_retry() {
        let body = br#"{"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","parentSpanId":null,"kind":"SPAN_KIND_SERVER","droppedAttributesCount":"3","status":{"code":"STATUS_CODE_ERROR"},"attributes":[{"key":"d","value":{"doubleValue":"NaN"}}]}]}]}]}"#;
        let (request, _) = traces_request_from_json(body).unwrap_or_default();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.kind, 2);
        assert_eq!(span.dropped_attributes_count, 3);
        assert_eq!(span.status.as_ref().map(|s| s.code), Some(2));
    }

    #[test]
    fn empty_causes() {
        let error = check_empty_json(br#"{"resource_spans":[]}"#, "resourceSpans").err().map(|e| e.message);
        assert!(error.unwrap_or_default().contains("snake_case"));
        assert!(check_empty_json(br#"{"resourceSpans":[]}"#, "resourceSpans").is_ok());
        assert!(check_empty_json(b" {} ", "resourceSpans").is_ok());
        assert!(check_empty_json(br#"{"resourceLogs":[]}"#, "resourceSpans").is_err());
    }
}
