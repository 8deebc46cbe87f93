//! The one error type of the use cases. Its kind decides what every adapter answers: the HTTP
//! status, the gRPC code, the CLI exit code. Messages of [`ErrorKind::Internal`] are for logs
//! only; adapters answer them without detail.

use rootspan_store::{StoreError, StoreErrorKind};

/// What went wrong, for adapters to map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is malformed; the message names the field or the part at fault (400,
    /// INVALID_ARGUMENT).
    InvalidRequest,
    /// The request or its decoded body is over a size limit (413; RESOURCE_EXHAUSTED without
    /// retry information).
    TooLarge,
    /// The trace (or other resource) does not exist (404, NOT_FOUND).
    NotFound,
    /// The store is busy; retry after [`AppError::RETRY_AFTER_SECONDS`] (503 with Retry-After,
    /// UNAVAILABLE).
    Busy,
    /// The configured store does not support this (501, UNIMPLEMENTED).
    Unsupported,
    /// Anything else: a bug or a broken store (500 with no detail, INTERNAL).
    Internal,
}

/// An error of a use case: a kind to map, a message to show (or log, for `Internal`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AppError {
    /// The retry hint adapters give with [`ErrorKind::Busy`].
    pub const RETRY_AFTER_SECONDS: u64 = 1;

    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError { kind, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::NotFound, message)
    }

    pub fn too_large(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::TooLarge, message)
    }

    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Internal, message)
    }

    /// The message an adapter may show to the caller: the message itself, except for internal
    /// errors, whose detail stays in the logs.
    pub fn public_message(&self) -> &str {
        match self.kind {
            ErrorKind::Internal => "internal error (details are in the server log)",
            _ => &self.message,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        let kind = match error.kind {
            StoreErrorKind::InvalidRequest => ErrorKind::InvalidRequest,
            StoreErrorKind::NotFound => ErrorKind::NotFound,
            StoreErrorKind::Busy => ErrorKind::Busy,
            StoreErrorKind::Unsupported => ErrorKind::Unsupported,
            StoreErrorKind::Open | StoreErrorKind::Corrupt | StoreErrorKind::Backend => ErrorKind::Internal,
        };
        let message = match kind {
            // The store's own message names the field for invalid requests.
            ErrorKind::InvalidRequest | ErrorKind::NotFound | ErrorKind::Unsupported => error.message,
            ErrorKind::Busy => format!("the store is busy ({}); retry later", error.message),
            _ => error.to_string(),
        };
        AppError { kind, message }
    }
}

/// The result of every use case.
pub type AppResult<T> = Result<T, AppError>;
