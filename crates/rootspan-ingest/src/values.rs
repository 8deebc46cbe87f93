//! Attribute values between OTLP (`opentelemetry_proto` types) and the model, and the size cap
//! on single values.
//!
//! Conversion is exact in both directions (ints stay ints, bytes stay bytes, an absent value is
//! [`AnyValue::Empty`]). One value is special: OTLP/JSON may carry non-finite doubles as the
//! strings `"NaN"`, `"Infinity"`, `"-Infinity"`, which the serde mapping of opentelemetry-proto
//! cannot read; the JSON layer swaps them for marker strings ([`NON_FINITE_MARKERS`]) that this
//! module turns back into doubles.

use opentelemetry_proto::tonic::common::v1 as proto;
use rootspan_model::{AnyValue, KeyValue};

/// Largest single string or bytes value kept (longer ones are truncated).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Attribute that lists the keys whose values were truncated.
pub const TRUNCATED_KEY: &str = "rootspan.truncated";

/// Marker strings standing for non-finite doubles between the JSON pre-pass and conversion.
pub const NON_FINITE_MARKERS: [(&str, &str); 3] = [
    ("\u{0}rootspan:double:NaN\u{0}", "NaN"),
    ("\u{0}rootspan:double:Infinity\u{0}", "Infinity"),
    ("\u{0}rootspan:double:-Infinity\u{0}", "-Infinity"),
];

/// The double a marker string stands for.
fn marker_double(text: &str) -> Option<f64> {
    if !text.starts_with('\u{0}') {
        return None;
    }
    match NON_FINITE_MARKERS.iter().position(|(marker, _)| *marker == text)? {
        0 => Some(f64::NAN),
        1 => Some(f64::INFINITY),
        _ => Some(f64::NEG_INFINITY),
    }
}

/// The marker string of a non-finite double.
pub fn double_marker(number: f64) -> Option<&'static str> {
    let index = if number.is_nan() {
        0
    } else if number == f64::INFINITY {
        1
    } else if number == f64::NEG_INFINITY {
        2
    } else {
        return None;
    };
    NON_FINITE_MARKERS.get(index).map(|(marker, _)| *marker)
}

/// OTLP value -> model value.
pub fn value_from_proto(value: proto::AnyValue) -> AnyValue {
    use proto::any_value::Value;
    match value.value {
        None => AnyValue::Empty,
        Some(Value::StringValue(text)) => match marker_double(&text) {
            Some(number) => AnyValue::Double(number),
            None => AnyValue::String(text),
        },
        Some(Value::BoolValue(flag)) => AnyValue::Bool(flag),
        Some(Value::IntValue(number)) => AnyValue::Int(number),
        Some(Value::DoubleValue(number)) => AnyValue::Double(number),
        Some(Value::BytesValue(bytes)) => AnyValue::Bytes(bytes),
        Some(Value::ArrayValue(array)) => AnyValue::Array(array.values.into_iter().map(value_from_proto).collect()),
        Some(Value::KvlistValue(list)) => AnyValue::KvList(attributes_from_proto(list.values)),
        // Profiles-only string table index; meaningless outside a profile.
        Some(Value::StringValueStrindex(_)) => AnyValue::Empty,
    }
}

/// OTLP attributes -> model attributes.
pub fn attributes_from_proto(attributes: Vec<proto::KeyValue>) -> Vec<KeyValue> {
    attributes.into_iter().map(|kv| KeyValue::new(kv.key, kv.value.map(value_from_proto).unwrap_or_default())).collect()
}

/// Model value -> OTLP value. With `markers`, non-finite doubles become marker strings (for
/// the JSON writer, which restores them as `"NaN"` etc.).
pub fn value_to_proto(value: &AnyValue, markers: bool) -> proto::AnyValue {
    use proto::any_value::Value;
    let inner = match value {
        AnyValue::Empty => None,
        AnyValue::String(text) => Some(Value::StringValue(text.clone())),
        AnyValue::Bool(flag) => Some(Value::BoolValue(*flag)),
        AnyValue::Int(number) => Some(Value::IntValue(*number)),
        AnyValue::Double(number) => match double_marker(*number).filter(|_| markers) {
            Some(marker) => Some(Value::StringValue(marker.to_owned())),
            None => Some(Value::DoubleValue(*number)),
        },
        AnyValue::Bytes(bytes) => Some(Value::BytesValue(bytes.clone())),
        AnyValue::Array(items) => Some(Value::ArrayValue(proto::ArrayValue {
            values: items.iter().map(|item| value_to_proto(item, markers)).collect(),
        })),
        AnyValue::KvList(entries) => {
            Some(Value::KvlistValue(proto::KeyValueList { values: attributes_to_proto(entries, markers) }))
        }
    };
    proto::AnyValue { value: inner }
}

/// Model attributes -> OTLP attributes.
pub fn attributes_to_proto(attributes: &[KeyValue], markers: bool) -> Vec<proto::KeyValue> {
    attributes
        .iter()
        .map(|kv| proto::KeyValue {
            key: kv.key.clone(),
            value: Some(value_to_proto(&kv.value, markers)),
            ..Default::default()
        })
        .collect()
}

/// Whether a value (or anything nested in it) is a non-finite double.
pub fn has_non_finite(value: &AnyValue) -> bool {
    match value {
        AnyValue::Double(number) => !number.is_finite(),
        AnyValue::Array(items) => items.iter().any(has_non_finite),
        AnyValue::KvList(entries) => entries.iter().any(|kv| has_non_finite(&kv.value)),
        _ => false,
    }
}

/// Truncates a string in place to at most `max` bytes, on a char boundary. Returns whether it did.
pub fn truncate_string(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// Caps every string/bytes leaf of a value at [`MAX_VALUE_BYTES`]; returns whether any was cut.
pub fn cap_value(value: &mut AnyValue) -> bool {
    match value {
        AnyValue::String(text) => truncate_string(text, MAX_VALUE_BYTES),
        AnyValue::Bytes(bytes) if bytes.len() > MAX_VALUE_BYTES => {
            bytes.truncate(MAX_VALUE_BYTES);
            true
        }
        AnyValue::Array(items) => items.iter_mut().fold(false, |cut, item| cap_value(item) | cut),
        AnyValue::KvList(entries) => entries.iter_mut().fold(false, |cut, kv| cap_value(&mut kv.value) | cut),
        _ => false,
    }
}

/// Caps every value of `attributes`; pushes `prefix + key` of each truncated one onto `cut`.
pub fn cap_attributes(attributes: &mut [KeyValue], prefix: &str, cut: &mut Vec<String>) {
    for kv in attributes.iter_mut() {
        if cap_value(&mut kv.value) {
            cut.push(format!("{prefix}{}", kv.key));
        }
    }
}

/// Records truncated keys on an attribute list (merging with an existing `rootspan.truncated`).
pub fn mark_truncated(attributes: &mut Vec<KeyValue>, cut: Vec<String>) {
    if cut.is_empty() {
        return;
    }
    let mut listed: Vec<AnyValue> = cut.into_iter().map(AnyValue::String).collect();
    if let Some(existing) = attributes.iter_mut().find(|kv| kv.key == TRUNCATED_KEY) {
        if let AnyValue::Array(items) = &mut existing.value {
            for item in listed {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            return;
        }
        existing.value = AnyValue::Array(std::mem::take(&mut listed));
        return;
    }
    attributes.push(KeyValue::new(TRUNCATED_KEY, AnyValue::Array(listed)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_round_trip_and_markers() {
        let value = AnyValue::KvList(vec![
            KeyValue::new("s", AnyValue::from("x")),
            KeyValue::new(
                "a",
                AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Double(f64::INFINITY), AnyValue::Empty]),
            ),
            KeyValue::new("b", AnyValue::Bytes(vec![0, 1])),
        ]);
        assert_eq!(value_from_proto(value_to_proto(&value, false)), value);
        assert_eq!(value_from_proto(value_to_proto(&value, true)), value);
        assert!(has_non_finite(&value));
        let nan = value_from_proto(value_to_proto(&AnyValue::Double(f64::NAN), true));
        assert!(matches!(nan, AnyValue::Double(n) if n.is_nan()));
    }

    #[test]
    fn truncation_on_char_boundary() {
        let mut text = "é".repeat(MAX_VALUE_BYTES);
        assert!(truncate_string(&mut text, MAX_VALUE_BYTES + 1));
        assert_eq!(text.len(), MAX_VALUE_BYTES);
        let mut attributes = vec![KeyValue::new("big", AnyValue::String("x".repeat(MAX_VALUE_BYTES + 3)))];
        let mut cut = Vec::new();
        cap_attributes(&mut attributes, "", &mut cut);
        mark_truncated(&mut attributes, cut);
        assert_eq!(attributes.len(), 2);
        assert_eq!(attributes[1].value, AnyValue::Array(vec![AnyValue::from("big")]));
    }
}
