//! The one mapping from use-case errors to HTTP answers: 400 for bad requests (the message names
//! the field), 404 for unknown ids, 413 for bodies over a limit, 503 with `Retry-After` when the
//! store is busy, 501 for what the store cannot do, and 500 with no internal detail (the detail
//! goes to the log).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rootspan_app::{AppError, ErrorKind};

/// The HTTP status of an error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs internal errors (they are answered without detail) and adds the headers every error
/// answer of this kind carries.
pub fn finish(error: &AppError, mut response: Response) -> Response {
    if error.kind == ErrorKind::Internal {
        tracing::error!(error = %error.message, "request failed");
    }
    if error.kind == ErrorKind::Busy {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(AppError::RETRY_AFTER_SECONDS));
    }
    response
}

/// A REST error: `{"error": "message"}` with the mapped status.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        let body = Json(serde_json::json!({"error": error.public_message()}));
        finish(&error, (status_of(error.kind), body).into_response())
    }
}
