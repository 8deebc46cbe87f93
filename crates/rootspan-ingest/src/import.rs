//! Offline files: [`detect_format`] by content (the extension only breaks ties for binary
//! data) and [`import_file`] into spans and log records. gzip-compressed files are unpacked
//! first (capped at [`crate::DEFAULT_MAX_DECOMPRESSED_BYTES`]).

use crate::error::{IngestError, IngestErrorKind};
use crate::gzip::{decompress_gzip, is_gzip};
use crate::jsonl::{import_jsonl, is_skipped_line};
use crate::{DEFAULT_MAX_DECOMPRESSED_BYTES, Encoding, decode_logs, decode_traces};
use rootspan_model::{LogRecord, Span};
use serde::de::IgnoredAny;
use std::collections::HashMap;
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
    /// AgentRx message logs (τ-bench runs, Magentic-One message lists).
    AgentRx,
}

/// What one file imported to.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub spans: Vec<Span>,
    /// Log records not attached to a span (attached ones are in `Span::logs`).
    pub logs: Vec<LogRecord>,
    pub format: FileFormat,
    /// Items (spans, log records, lines) that could not be imported.
    pub rejected: u64,
    /// Why, one message per rejected item, plus notes (truncated values, unreadable timestamps).
    pub messages: Vec<String>,
}

/// Detects the format of one file's bytes by content (None when unknown). gzip is looked into.
pub fn detect_format(path: &Path, bytes: &[u8]) -> Option<FileFormat> {
    if is_gzip(bytes) {
        let inner = decompress_gzip(bytes, DEFAULT_MAX_DECOMPRESSED_BYTES).ok().filter(|inner| !is_gzip(inner))?;
        return detect_format(&path.with_extension(""), &inner);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    match start.and_then(|start| bytes.get(start..)).and_then(|text| Some((*text.first()?, text))) {
        Some((b'{' | b'#', text)) => detect_json_object(text),
        Some((b'[', text)) => detect_json_array(text),
        _ => {
            let by_extension = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "pb" | "bin" | "protobuf" | "otlp"));
            (by_extension || looks_like_protobuf(bytes)).then_some(FileFormat::OtlpProtobuf)
        }
    }
}

/// An OTLP request starts with field 1, wire type 2 (`0x0a`), and decodes as a non-empty
/// traces or logs request (invalid UTF-8 in its strings repaired, as the decoders do).
fn looks_like_protobuf(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x0a)
        && (crate::lenient::trace_request(bytes).is_ok_and(|(r, _)| !r.resource_spans.is_empty())
            || crate::lenient::logs_request(bytes).is_ok_and(|(r, _)| !r.resource_logs.is_empty()))
}

fn detect_json_object(text: &[u8]) -> Option<FileFormat> {
    // Native JSONL: the first meaningful line is an object with a string "type".
    let first_line = text
        .split(|b| *b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .find(|line| !is_skipped_line(line))?;
    if let Ok(HeadType { kind: Some(kind) }) = serde_json::from_str::<HeadType>(first_line)
        && matches!(kind.as_str(), "span" | "log" | "recording")
    {
        return Some(FileFormat::NativeJsonl);
    }
    let keys: HashMap<String, IgnoredAny> = serde_json::from_slice(text).ok()?;
    let has = |key: &str| keys.contains_key(key);
    if ["resourceSpans", "resourceLogs", "resource_spans", "resource_logs"].iter().any(|k| has(k)) {
        Some(FileFormat::OtlpJson)
    } else if has("spans") && has("trace_id") {
        Some(FileFormat::Trail)
    } else if has("history") && (has("question") || has("mistake_step") || has("mistake_agent")) {
        Some(FileFormat::WhoAndWhen)
    } else if has("traj") {
        Some(FileFormat::AgentRx)
    } else {
        None
    }
}

#[derive(serde::Deserialize)]
struct HeadType {
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn detect_json_array(text: &[u8]) -> Option<FileFormat> {
    let items: Vec<HashMap<String, IgnoredAny>> = serde_json::from_slice(text).ok()?;
    let first = items.first()?;
    let message = first.contains_key("content") && first.contains_key("role") && first.len() <= 3;
    if first.contains_key("traj") || message { Some(FileFormat::AgentRx) } else { None }
}

/// Unpacks one level of gzip (nested gzip is refused, so recursion is bounded).
fn gunzip_once(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IngestError> {
    let inner = decompress_gzip(bytes, DEFAULT_MAX_DECOMPRESSED_BYTES)
        .map_err(|e| IngestError::new(e.kind, format!("{}: {}", path.display(), e.message)))?;
    if is_gzip(&inner) {
        return Err(IngestError::unsupported(format!("{}: gzip inside gzip is not supported", path.display())));
    }
    Ok(inner)
}

/// Imports one file (format detected by [`detect_format`]).
pub fn import_file(path: &Path, bytes: &[u8], project_hint: Option<&str>) -> Result<Imported, IngestError> {
    if is_gzip(bytes) {
        let inner = gunzip_once(path, bytes)?;
        return import_file(&path.with_extension(""), &inner, project_hint);
    }
    let format = detect_format(path, bytes).ok_or_else(|| {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            IngestError::empty(format!("{}: empty file", path.display()))
        } else {
            IngestError::unsupported(format!(
                "{}: unknown format (expected OTLP protobuf/JSON, TRAIL JSON, rootspan JSONL, Who&When or AgentRx)",
                path.display()
            ))
        }
    })?;
    import_as(format, path, bytes, project_hint)
}

/// Imports one file in a given format (no detection; e.g. for `--format`). gzip is unpacked.
pub fn import_as(
    format: FileFormat,
    path: &Path,
    bytes: &[u8],
    project_hint: Option<&str>,
) -> Result<Imported, IngestError> {
    if is_gzip(bytes) {
        let inner = gunzip_once(path, bytes)?;
        return import_as(format, path, &inner, project_hint);
    }
    let in_file = |error: IngestError| IngestError::new(error.kind, format!("{}: {}", path.display(), error.message));
    let imported = |spans: crate::Decoded<Span>, logs: Vec<LogRecord>, extra_rejected: u64, extra: Vec<String>| {
        let mut messages = spans.rejection_messages;
        messages.extend(extra);
        Imported { spans: spans.items, logs, format, rejected: spans.rejected + extra_rejected, messages }
    };
    match format {
        FileFormat::OtlpProtobuf | FileFormat::OtlpJson => {
            let encoding = if format == FileFormat::OtlpJson { Encoding::Json } else { Encoding::Protobuf };
            match decode_traces(bytes, encoding, project_hint) {
                Ok(spans) => Ok(imported(spans, Vec::new(), 0, Vec::new())),
                Err(traces_error) => match decode_logs(bytes, encoding, project_hint) {
                    Ok(logs) => {
                        Ok(imported(crate::Decoded::default(), logs.items, logs.rejected, logs.rejection_messages))
                    }
                    Err(_) if traces_error.kind != IngestErrorKind::Empty || encoding == Encoding::Json => {
                        Err(in_file(traces_error))
                    }
                    Err(logs_error) => Err(in_file(logs_error)),
                },
            }
        }
        FileFormat::Trail => {
            let spans = crate::trail::import_trail(bytes, project_hint).map_err(in_file)?;
            Ok(imported(spans, Vec::new(), 0, Vec::new()))
        }
        FileFormat::NativeJsonl => {
            let (spans, logs) = import_jsonl(bytes, project_hint);
            Ok(imported(spans, logs, 0, Vec::new()))
        }
        FileFormat::WhoAndWhen | FileFormat::AgentRx => {
            crate::message_logs::import_message_log(path, bytes, format, project_hint)
        }
    }
}
