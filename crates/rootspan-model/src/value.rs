//! Attribute values: the OTLP `AnyValue` union, kept exactly (ints stay ints, bytes stay bytes).

use serde::{Deserialize, Serialize};

/// One OTLP attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum AnyValue {
    /// The value was present but empty (`{}` in OTLP/JSON).
    #[default]
    Empty,
    String(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<AnyValue>),
    KvList(Vec<KeyValue>),
}

/// A key and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: AnyValue,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: AnyValue) -> Self {
        Self { key: key.into(), value }
    }
}

impl From<&str> for AnyValue {
    fn from(text: &str) -> Self {
        AnyValue::String(text.to_owned())
    }
}

impl From<String> for AnyValue {
    fn from(text: String) -> Self {
        AnyValue::String(text)
    }
}

impl AnyValue {
    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AnyValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// An integer view: ints, integral doubles and numeric strings.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AnyValue::Int(number) => Some(*number),
            AnyValue::Double(number) if number.fract() == 0.0 && number.is_finite() => Some(*number as i64),
            AnyValue::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A float view: doubles, ints and numeric strings.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AnyValue::Double(number) => Some(*number),
            AnyValue::Int(number) => Some(*number as f64),
            AnyValue::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean view: bools and "true"/"false" strings.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AnyValue::Bool(flag) => Some(*flag),
            AnyValue::String(text) => match text.as_str() {
                "true" | "True" => Some(true),
                "false" | "False" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Text for display and search: strings as they are, everything else as JSON.
    pub fn to_text(&self) -> String {
        match self {
            AnyValue::String(text) => text.clone(),
            other => other.to_json().to_string(),
        }
    }

    /// A plain JSON rendering (arrays as arrays, kvlists as objects, bytes as base16).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            AnyValue::Empty => Value::Null,
            AnyValue::String(text) => Value::String(text.clone()),
            AnyValue::Bool(flag) => Value::Bool(*flag),
            AnyValue::Int(number) => Value::from(*number),
            AnyValue::Double(number) => serde_json::Number::from_f64(*number)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(number.to_string())),
            AnyValue::Bytes(bytes) => Value::String(hex::encode(bytes)),
            AnyValue::Array(items) => Value::Array(items.iter().map(AnyValue::to_json).collect()),
            AnyValue::KvList(entries) => {
                Value::Object(entries.iter().map(|kv| (kv.key.clone(), kv.value.to_json())).collect())
            }
        }
    }

    /// Builds a value from plain JSON (used by importers of non-OTLP formats).
    pub fn from_json(value: &serde_json::Value) -> AnyValue {
        use serde_json::Value;
        match value {
            Value::Null => AnyValue::Empty,
            Value::Bool(flag) => AnyValue::Bool(*flag),
            Value::Number(number) => match number.as_i64() {
                Some(int) => AnyValue::Int(int),
                None => AnyValue::Double(number.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => AnyValue::String(text.clone()),
            Value::Array(items) => AnyValue::Array(items.iter().map(AnyValue::from_json).collect()),
            Value::Object(map) => AnyValue::KvList(
                map.iter().map(|(key, value)| KeyValue::new(key.clone(), AnyValue::from_json(value))).collect(),
            ),
        }
    }

    /// Approximate heap size in bytes, for limits.
    pub fn approx_size(&self) -> usize {
        match self {
            AnyValue::String(text) => text.len(),
            AnyValue::Bytes(bytes) => bytes.len(),
            AnyValue::Array(items) => items.iter().map(AnyValue::approx_size).sum(),
            AnyValue::KvList(entries) => entries.iter().map(|kv| kv.key.len() + kv.value.approx_size()).sum(),
            _ => 8,
        }
    }
}

/// Finds an attribute by key (first match).
pub fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes.iter().find(|kv| kv.key == key).map(|kv| &kv.value)
}
