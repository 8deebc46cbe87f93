//! The attribute encoding of the native JSONL format (docs/jsonl-format.md): plain JSON where
//! that is unambiguous, a one-key tagged object where it is not.
//!
//! | model value | JSONL |
//! |---|---|
//! | `Empty` | `null` |
//! | `String` / `Bool` | JSON string / bool |
//! | `Int` with abs <= 2^53 | JSON integer (`5`); larger: `{"int":"9007199254740993"}` |
//! | `Double` finite | JSON number that always has `.` or `e` (`5.0`); non-finite: `{"double":"NaN"}` |
//! | `Bytes` | `{"bytes":"<base64>"}` |
//! | `Array` | JSON array of encoded values |
//! | `KvList` | `{"kvlist":{...attributes...}}` |
//!
//! Attribute lists are JSON objects read in order, duplicate keys kept, so lists survive exactly.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rootspan_model::{AnyValue, KeyValue};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

const SAFE_INT: i64 = 1 << 53;

/// One value in the JSONL encoding.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Val(pub AnyValue);

/// An attribute list in the JSONL encoding (a JSON object, order and duplicates kept).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attrs(pub Vec<KeyValue>);

/// Serialises a value by reference.
pub struct ValRef<'a>(pub &'a AnyValue);

/// Serialises an attribute list by reference.
pub struct AttrsRef<'a>(pub &'a [KeyValue]);

impl AttrsRef<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ValRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AnyValue::Empty => serializer.serialize_unit(),
            AnyValue::String(text) => serializer.serialize_str(text),
            AnyValue::Bool(flag) => serializer.serialize_bool(*flag),
            AnyValue::Int(number) if (-SAFE_INT..=SAFE_INT).contains(number) => serializer.serialize_i64(*number),
            AnyValue::Int(number) => tagged(serializer, "int", &number.to_string()),
            AnyValue::Double(number) if number.is_finite() => serializer.serialize_f64(*number),
            AnyValue::Double(number) => {
                let name = if number.is_nan() {
                    "NaN"
                } else if *number > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                tagged(serializer, "double", name)
            }
            AnyValue::Bytes(bytes) => tagged(serializer, "bytes", &BASE64.encode(bytes)),
            AnyValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&ValRef(item))?;
                }
                seq.end()
            }
            AnyValue::KvList(entries) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("kvlist", &AttrsRef(entries))?;
                map.end()
            }
        }
    }
}

fn tagged<S: Serializer>(serializer: S, tag: &str, text: &str) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(tag, text)?;
    map.end()
}

impl Serialize for AttrsRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for kv in self.0 {
            map.serialize_entry(&kv.key, &ValRef(&kv.value))?;
        }
        map.end()
    }
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ValRef(&self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValVisitor).map(Val)
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AttrsVisitor).map(Attrs)
    }
}

struct AttrsVisitor;

impl<'de> Visitor<'de> for AttrsVisitor {
    type Value = Vec<KeyValue>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<String>()? {
            let Val(value) = map.next_value()?;
            out.push(KeyValue::new(key, value));
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = AnyValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value (JSON value, or {\"int\"|\"double\"|\"bytes\"|\"kvlist\": ...})")
    }
    fn visit_unit<E: de::Error>(self) -> Result<AnyValue, E> {
        Ok(AnyValue::Empty)
    }
    fn visit_none<E: de::Error>(self) -> Result<AnyValue, E> {
        Ok(AnyValue::Empty)
    }
    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<AnyValue, E> {
        Ok(AnyValue::Bool(flag))
    }
    fn visit_i64<E: de::Error>(self, number: i64) -> Result<AnyValue, E> {
        Ok(AnyValue::Int(number))
    }
    fn visit_u64<E: de::Error>(self, number: u64) -> Result<AnyValue, E> {
        i64::try_from(number)
            .map(AnyValue::Int)
            .map_err(|_| E::custom(format!("integer {number} is out of the int64 range")))
    }
    fn visit_f64<E: de::Error>(self, number: f64) -> Result<AnyValue, E> {
        Ok(AnyValue::Double(number))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<AnyValue, E> {
        Ok(AnyValue::String(text.to_owned()))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<AnyValue, E> {
        Ok(AnyValue::String(text))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(Val(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(AnyValue::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        let Some(tag) = map.next_key::<String>()? else {
            return Err(de::Error::custom("empty object is not a value: use null, or {\"kvlist\":{}}"));
        };
        let value = match tag.as_str() {
            "int" => {
                let text: String = map.next_value()?;
                AnyValue::Int(
                    text.trim()
                        .parse()
                        .map_err(|_| de::Error::custom(format!("{{\"int\":{text:?}}}: not an int64")))?,
                )
            }
            "double" => {
                let text: String = map.next_value()?;
                AnyValue::Double(match text.trim() {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    other => other
                        .parse()
                        .map_err(|_| de::Error::custom(format!("{{\"double\":{text:?}}}: not a double")))?,
                })
            }
            "bytes" => {
                let text: String = map.next_value()?;
                AnyValue::Bytes(
                    BASE64
                        .decode(text.trim())
                        .map_err(|e| de::Error::custom(format!("{{\"bytes\":...}}: not base64: {e}")))?,
                )
            }
            "kvlist" => AnyValue::KvList(map.next_value::<Attrs>()?.0),
            other => {
                return Err(de::Error::custom(format!(
                    "unknown value tag {other:?}: expected \"int\", \"double\", \"bytes\" or \"kvlist\""
                )));
            }
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(format!("tagged value {{\"{tag}\": ...}} must have exactly one key")));
        }
        Ok(value)
    }
}
