//! rootspan's native JSONL format (docs/jsonl-format.md): one JSON object per line, tagged by
//! `"type"`: `span` (lossless, with its log records), `log` (a log record on its own), and
//! `recording` (reserved for deterministic replay; ignored here). Blank lines and lines
//! starting with `#` are skipped; a bad line is reported with its number and the others import.

use crate::decoded::{Decoded, finish_truncation, project_for};
use crate::jsonl_lines::{Interner, LineIn, log_out, span_out};
use crate::otlp_traces::cap_span;
use crate::values::{cap_attributes, cap_value};
use rootspan_model::{LogRecord, Span, conventions};
use std::io::Write;

/// Writes spans (each with its log records) as native JSONL, one `{"type":"span"}` line each.
pub fn write_jsonl(spans: &[Span], out: &mut impl Write) -> std::io::Result<()> {
    for span in spans {
        serde_json::to_writer(&mut *out, &span_out(span))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes log records of their own (not attached to a span), one `{"type":"log"}` line each.
pub fn write_jsonl_logs(logs: &[LogRecord], out: &mut impl Write) -> std::io::Result<()> {
    for log in logs {
        serde_json::to_writer(&mut *out, &log_out(log, true))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Whether a line is skipped: blank, or a `#` comment.
pub fn is_skipped_line(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#')
}

/// Reads native JSONL: spans (normalised, project assigned) and stand-alone log records. Each bad
/// line is rejected with its 1-based line number; the other lines still import.
pub fn import_jsonl(bytes: &[u8], project_hint: Option<&str>) -> (Decoded<Span>, Vec<LogRecord>) {
    let mut spans = Decoded::default();
    let mut logs = Vec::new();
    let mut interner = Interner::default();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        let Ok(line) = std::str::from_utf8(raw) else {
            spans.reject(format!("line {number}: not valid UTF-8"));
            continue;
        };
        if is_skipped_line(line) {
            continue;
        }
        match serde_json::from_str::<LineIn>(line) {
            Ok(LineIn::Span(input)) => {
                let mut span = input.into_span(&mut interner, |resource| project_for(None, resource));
                if let Some(hint) = project_hint.map(str::trim).filter(|h| !h.is_empty()) {
                    hint.clone_into(&mut span.project);
                }
                let mut cut = cap_span(&mut span, Vec::new());
                for (l, log) in span.logs.iter_mut().enumerate() {
                    cap_attributes(&mut log.attributes, &format!("logs[{l}]."), &mut cut);
                    if cap_value(&mut log.body) {
                        cut.push(format!("logs[{l}].body"));
                    }
                }
                finish_truncation(&mut spans, &mut span.attributes, cut, &format!("line {number}"));
                conventions::normalize(&mut span);
                spans.items.push(span);
            }
            Ok(LineIn::Log(input)) => {
                let mut log = input.into_log(&mut interner);
                let mut cut = Vec::new();
                cap_attributes(&mut log.attributes, "", &mut cut);
                if cap_value(&mut log.body) {
                    cut.push("body".to_owned());
                }
                finish_truncation(&mut spans, &mut log.attributes, cut, &format!("line {number}"));
                logs.push(log);
            }
            Ok(LineIn::Recording {}) => {}
            Err(error) => spans.reject(format!("line {number}: {error}")),
        }
    }
    (spans, logs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::{AnyValue, KeyValue};

    #[test]
    fn bad_lines_are_reported_and_others_import() {
        let mut span = Span::new([1; 16], [2; 8], "a");
        span.attributes = vec![
            KeyValue::new("z", AnyValue::Int(1 << 60)),
            KeyValue::new("a", AnyValue::Double(5.0)),
            KeyValue::new("a", AnyValue::Bytes(vec![1, 2])),
            KeyValue::new("k", AnyValue::KvList(vec![KeyValue::new("x", AnyValue::Empty)])),
        ];
        let mut out = b"# comment\n\n".to_vec();
        write_jsonl(std::slice::from_ref(&span), &mut out).unwrap_or_default();
        out.extend_from_slice(b"{\"type\":\"span\",\"trace_id\":\"zz\"}\n{\"type\":\"recording\",\"x\":1}\nnot json\n");
        let (decoded, logs) = import_jsonl(&out, None);
        assert!(logs.is_empty());
        assert_eq!(decoded.items.len(), 1);
        conventions::normalize(&mut span);
        assert_eq!(decoded.items[0], span);
        assert_eq!(decoded.rejected, 2);
        assert!(decoded.rejection_messages[0].starts_with("line 4:"), "{:?}", decoded.rejection_messages);
        assert!(decoded.rejection_messages[1].starts_with("line 6:"));
    }
}
