//! The one error type of the crate: [`IngestError`], with a [`IngestErrorKind`] callers match on
//! and a message that names what is wrong and where.

use std::fmt;

/// What went wrong, for callers to match on (e.g. HTTP 400 vs 413).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IngestErrorKind {
    /// The bytes are not a valid instance of the format (bad protobuf, bad JSON, corrupt gzip).
    Malformed,
    /// The input, once decompressed, exceeds the allowed size.
    TooLarge,
    /// The format is recognised but not supported (or not detected at all).
    Unsupported,
    /// A non-empty input that contains nothing of what was expected (e.g. snake_case OTLP/JSON).
    Empty,
}

impl fmt::Display for IngestErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IngestErrorKind::Malformed => "malformed",
            IngestErrorKind::TooLarge => "too large",
            IngestErrorKind::Unsupported => "unsupported",
            IngestErrorKind::Empty => "empty",
        })
    }
}

/// An ingest failure: a kind and a message naming what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct IngestError {
    pub kind: IngestErrorKind,
    pub message: String,
}

impl IngestError {
    pub fn new(kind: IngestErrorKind, message: impl Into<String>) -> Self {
        IngestError { kind, message: message.into() }
    }
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(IngestErrorKind::Malformed, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(IngestErrorKind::TooLarge, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(IngestErrorKind::Unsupported, message)
    }
    pub fn empty(message: impl Into<String>) -> Self {
        Self::new(IngestErrorKind::Empty, message)
    }
}
