//! Bytes to model: OTLP protobuf/JSON (traces and logs), size-capped gzip, TRAIL, message logs
//! and the native JSONL format. No sockets, no async: pure bytes -> [`rootspan_model`] values,
//! so every decoder can be fuzzed.
//!
//! - OTLP: [`decode_traces`], [`decode_logs`] (bytes), [`spans_from_request`],
//!   [`logs_from_request`] (gRPC), and the inverse [`spans_to_request`], [`spans_to_otlp_json`].
//!   Invalid spans are rejected one by one (OTLP partial success, see [`Decoded`]).
//! - Transport: [`decompress_gzip`] with a hard output cap.
//! - Files: [`detect_format`] and [`import_file`] (OTLP, TRAIL, native JSONL), [`write_jsonl`].
//!
//! No input can make these functions panic; hostile values are capped at [`MAX_VALUE_BYTES`].

mod decoded;
mod error;
mod gzip;
mod import;
mod iso8601;
mod jsonl;
mod jsonl_lines;
mod jsonl_value;
mod lenient;
pub mod message_logs;
mod otlp_export;
mod otlp_json;
mod otlp_logs;
mod otlp_traces;
mod trail;
mod values;

pub use decoded::{Decoded, PROJECT_ATTRIBUTE};
pub use error::{IngestError, IngestErrorKind};
pub use gzip::{decompress_deflate, decompress_gzip, is_gzip};
pub use import::{FileFormat, Imported, detect_format, import_as, import_file};
pub use iso8601::{parse_duration_ns, parse_timestamp_ns};
pub use jsonl::{write_jsonl, write_jsonl_logs};
pub use otlp_export::{logs_to_otlp_json, logs_to_request, spans_to_otlp_json, spans_to_request};
pub use otlp_logs::{decode_logs, logs_from_request};
pub use otlp_traces::{decode_traces, decode_traces_with, spans_from_request, spans_from_request_with};
pub use rootspan_model::conventions::Depth;
pub use values::{MAX_VALUE_BYTES, TRUNCATED_KEY};

/// Default cap on the decompressed size of one request or file (64 MiB).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;

/// Wire encoding of an OTLP request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP/JSON).
    Json,
}
