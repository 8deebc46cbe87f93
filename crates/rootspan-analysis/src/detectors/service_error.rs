//! `service-error`: a dependency failed (HTTP 5xx, connection refused, unavailable).
//!
//! **What.** A span failed (ERROR status, exception event, error object or HTTP status in a tool
//! result) with an error of this class; see [`super::error_class::classify`] for the exact markers.
//! The first failed span is reported; later spans failing the same way form the chain.
//!
//! **Why.** System-execution failures need an operational fix (credentials, quotas, retries with
//! backoff, input formats), not a prompt change; naming them apart routes them to the right owner.
//!
//! **Example.** `orders-api returned HTTP 503 Service Unavailable`.
//!
//! **False positives.** Error texts that mention the class words in passing; only spans that
//! failed by their own account are classified.

use super::Hit;
use super::error_class::{ErrorClass, detect_class};
use crate::DiagnoseOptions;
use crate::view::TraceView;

pub const ID: &str = "service-error";

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    detect_class(view, ErrorClass::Service, ID, "service error")
}
