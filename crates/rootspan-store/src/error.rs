//! Store errors: a kind that callers match on, and a message that humans read.

/// Errors a store reports. `kind` is what callers match on; `message` is for logs and, for the
/// kinds that are the caller's fault ([`StoreErrorKind::InvalidRequest`],
/// [`StoreErrorKind::NotFound`], [`StoreErrorKind::Unsupported`]), for the caller.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub message: String,
}

/// What went wrong, for callers to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// The store could not be opened (path, permissions, a schema version this build cannot read).
    Open,
    /// The store is busy or locked; the same request may succeed when retried later.
    Busy,
    /// Stored data could not be decoded.
    Corrupt,
    /// The request was invalid (a bad filter); the message names what is wrong.
    InvalidRequest,
    /// The thing asked for does not exist (used by operations whose contract says so; reads of a
    /// missing trace return `Ok(None)` instead).
    NotFound,
    /// The backend does not support this operation or query.
    Unsupported,
    /// Any other backend failure.
    Backend,
}

impl std::fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreErrorKind::Open => "cannot open the store",
            StoreErrorKind::Busy => "the store is busy",
            StoreErrorKind::Corrupt => "stored data is corrupt",
            StoreErrorKind::InvalidRequest => "invalid request",
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::Unsupported => "not supported by this store",
            StoreErrorKind::Backend => "store failure",
        })
    }
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::InvalidRequest, message)
    }

    pub fn busy(message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::Busy, message)
    }

    pub fn corrupt(message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::Corrupt, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::Unsupported, message)
    }

    pub fn backend(message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::Backend, message)
    }
}

/// The result of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;
