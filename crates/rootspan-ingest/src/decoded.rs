//! [`Decoded`]: the result of decoding one request under OTLP partial-success rules, and the
//! shared per-item helpers (project assignment, id checks, value caps).

use crate::values::{cap_attributes, cap_value, mark_truncated};
use rootspan_model::{AnyValue, KeyValue, Resource, Scope};
use std::sync::Arc;

/// Resource attribute naming the project of its spans and logs.
pub const PROJECT_ATTRIBUTE: &str = "rootspan.project";

/// At most this many rejection messages are kept (the count is always exact).
pub const MAX_MESSAGES: usize = 100;

/// Items decoded from one request, plus what was rejected (OTLP partial success).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    pub items: Vec<T>,
    /// Items dropped because they were invalid (e.g. a trace id that is not 16 bytes).
    pub rejected: u64,
    /// One message per rejected item (at most [`MAX_MESSAGES`]), naming the item and the fault;
    /// also notes on truncated values.
    pub rejection_messages: Vec<String>,
    /// Items kept with at least one value cut to [`crate::MAX_VALUE_BYTES`].
    pub truncated: u64,
    /// Items kept with at least one string field (of their own, or of their resource or scope)
    /// that was not valid UTF-8 and was repaired with U+FFFD; each also gets a note naming the
    /// item and the fields. Counted apart from `rejected` (the item is kept).
    pub repaired: u64,
}

impl<T> Default for Decoded<T> {
    fn default() -> Self {
        Decoded { items: Vec::new(), rejected: 0, rejection_messages: Vec::new(), truncated: 0, repaired: 0 }
    }
}

impl<T> Decoded<T> {
    /// Counts a rejected item with its message.
    pub fn reject(&mut self, message: String) {
        self.rejected += 1;
        self.note(message);
    }

    /// Adds a message without counting a rejection.
    pub fn note(&mut self, message: String) {
        if self.rejection_messages.len() < MAX_MESSAGES {
            self.rejection_messages.push(message);
        }
    }
}

/// The project: the hint wins, then the resource attribute `rootspan.project`, then the default.
pub fn project_for(hint: Option<&str>, resource: &Resource) -> String {
    hint.map(str::trim)
        .filter(|name| !name.is_empty())
        .or_else(|| {
            rootspan_model::value::find(&resource.attributes, PROJECT_ATTRIBUTE)
                .and_then(AnyValue::as_str)
                .map(str::trim)
                .filter(|name| !name.is_empty())
        })
        .unwrap_or(rootspan_model::DEFAULT_PROJECT)
        .to_owned()
}

/// A fixed-size id, or a message naming the field and the length found.
pub fn fixed_id<const N: usize>(bytes: &[u8], path: &str, field: &str) -> Result<[u8; N], String> {
    let id: [u8; N] =
        bytes.try_into().map_err(|_| format!("{path}.{field}: must be {N} bytes, got {}", bytes.len()))?;
    if id.iter().all(|b| *b == 0) {
        return Err(format!("{path}.{field}: must not be all zeroes"));
    }
    Ok(id)
}

/// An optional id: empty or all zeroes is `None` (OTLP: an all-zero `parentSpanId` marks a root
/// span), otherwise it must be `N` bytes.
pub fn optional_id<const N: usize>(bytes: &[u8], path: &str, field: &str) -> Result<Option<[u8; N]>, String> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let id: [u8; N] =
        bytes.try_into().map_err(|_| format!("{path}.{field}: must be empty or {N} bytes, got {}", bytes.len()))?;
    Ok(id.iter().any(|b| *b != 0).then_some(id))
}

/// Caps resource attributes; returns the capped resource and the keys cut ("resource.<key>").
pub fn cap_resource(mut resource: Resource) -> (Resource, Vec<String>) {
    let mut cut = Vec::new();
    cap_attributes(&mut resource.attributes, "resource.", &mut cut);
    (resource, cut)
}

/// Caps scope attributes; returns the capped scope and the keys cut ("scope.<key>").
pub fn cap_scope(mut scope: Scope) -> (Scope, Vec<String>) {
    let mut cut = Vec::new();
    cap_attributes(&mut scope.attributes, "scope.", &mut cut);
    (scope, cut)
}

/// Caps a value standing alone (a log body) under the given name.
pub fn cap_named(value: &mut AnyValue, name: &str, cut: &mut Vec<String>) {
    if cap_value(value) {
        cut.push(name.to_owned());
    }
}

/// Shared resource/scope of one batch, plus the keys their caps cut.
pub struct Shared {
    pub resource: Arc<Resource>,
    pub scope: Arc<Scope>,
    pub cut: Vec<String>,
}

/// Finishes an item's truncation bookkeeping: marks the keys on `attributes` and counts it.
pub fn finish_truncation<T>(decoded: &mut Decoded<T>, attributes: &mut Vec<KeyValue>, cut: Vec<String>, path: &str) {
    if cut.is_empty() {
        return;
    }
    decoded.truncated += 1;
    decoded.note(format!("{path}: truncated to {} bytes: {}", crate::MAX_VALUE_BYTES, cut.join(", ")));
    mark_truncated(attributes, cut);
}

/// Finishes an item's UTF-8 repair bookkeeping: counts it and notes the fields repaired.
pub fn finish_repair<T>(decoded: &mut Decoded<T>, fields: Vec<String>, path: &str, what: &str) {
    if fields.is_empty() {
        return;
    }
    decoded.repaired += 1;
    decoded.note(format!("{path}: invalid UTF-8 replaced with U+FFFD in {}{what}", fields.join(", ")));
}
