//! Every TRAIL trace in data/GAIA and data/SWE Bench imports: the span count equals the number of
//! spans in the nested JSON (counted here independently), every parent resolves within the
//! trace, and every annotation `location` is an imported span id.

mod common;

use rootspan_ingest::{FileFormat, detect_format, import_file};
use rootspan_model::span_id_hex;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// Counts spans and collects their ids by walking `spans` / `child_spans` with a stack.
fn count_nested(trace: &Value) -> (usize, HashSet<String>) {
    let mut stack: Vec<&Value> = trace["spans"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let (mut count, mut ids) = (0, HashSet::new());
    while let Some(span) = stack.pop() {
        count += 1;
        if let Some(id) = span["span_id"].as_str() {
            ids.insert(id.to_owned());
        }
        if let Some(children) = span["child_spans"].as_array() {
            stack.extend(children);
        }
    }
    (count, ids)
}

/// Lenient JSON: drops trailing commas before `]` / `}` outside strings (one label file has one).
fn lenient_json(bytes: &[u8]) -> Value {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return value;
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' && chars[i + 1..].iter().find(|n| !n.is_whitespace()).is_some_and(|n| *n == ']' || *n == '}') {
            continue;
        }
        out.push(c);
    }
    serde_json::from_str(&out).expect("lenient label json")
}

#[test]
fn trail_traces_import_with_labels() {
    let Some(root) = common::data_dir("trail") else { return };
    let mut totals = (0usize, 0usize, 0usize, 0usize); // files, spans, locations, missing locations
    let mut missing = Vec::new();
    for (sub, labels) in
        [("data/GAIA", "processed_annotations_gaia"), ("data/SWE Bench", "processed_annotations_swe_bench")]
    {
        for path in common::files_with_ext(&root.join(sub), "json") {
            let bytes = common::read(&path);
            assert_eq!(detect_format(&path, &bytes), Some(FileFormat::Trail), "{}", path.display());
            let imported = import_file(&path, &bytes, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(imported.format, FileFormat::Trail);
            assert_eq!(imported.rejected, 0, "{}: {:?}", path.display(), imported.messages);
            let raw: Value = serde_json::from_slice(&bytes).expect("trail json");
            let (expected_count, raw_ids) = count_nested(&raw);
            assert_eq!(imported.spans.len(), expected_count, "{}: span count", path.display());
            let ids: HashSet<String> = imported.spans.iter().map(|s| span_id_hex(&s.span_id)).collect();
            assert_eq!(ids, raw_ids, "{}: span ids kept as given", path.display());
            let trace_ids: HashSet<_> = imported.spans.iter().map(|s| s.trace_id).collect();
            assert_eq!(trace_ids.len(), 1, "{}: one trace", path.display());
            for span in &imported.spans {
                assert!(span.start_time_unix_nano > 0 && span.end_time_unix_nano >= span.start_time_unix_nano);
                if let Some(parent) = span.parent_span_id {
                    assert!(
                        ids.contains(&span_id_hex(&parent)),
                        "{}: parent of {} unresolved",
                        path.display(),
                        span.name
                    );
                }
            }
            let roots = imported.spans.iter().filter(|s| s.parent_span_id.is_none()).count();
            assert_eq!(roots, raw["spans"].as_array().map_or(0, Vec::len), "{}: roots", path.display());
            let label_path = root.join(labels).join(path.file_name().unwrap_or_default());
            if label_path.is_file() {
                let label = lenient_json(&common::read(&label_path));
                for error in label["errors"].as_array().into_iter().flatten() {
                    let Some(location) = error["location"].as_str() else { continue };
                    totals.2 += 1;
                    if !ids.contains(location) {
                        totals.3 += 1;
                        missing.push(format!("{}: {location}", short(&label_path)));
                    }
                }
            }
            totals.0 += 1;
            totals.1 += imported.spans.len();
        }
    }
    println!(
        "TRAIL: {} files, {} spans, {} label locations, {} not found among span ids: {missing:?}",
        totals.0, totals.1, totals.2, totals.3
    );
    assert!(totals.0 > 0);
    assert!(missing.is_empty(), "label locations without a span: {missing:?}");
}

fn short(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned()
}
