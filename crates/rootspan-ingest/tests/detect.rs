//! Format detection by content over every dataset in /work/shared/data, and on small inputs.

mod common;

use rootspan_ingest::{FileFormat, detect_format};
use std::path::{Path, PathBuf};

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn datasets_are_detected_by_content() {
    let Some(root) = common::data_dir("") else { return };
    let mut counts = std::collections::BTreeMap::new();
    for path in walk(&root) {
        let text = path.to_string_lossy().into_owned();
        let expected = if text.contains("ground_truth") || text.contains("processed_annotations") {
            None
        } else if text.contains("/otel-clients/") && text.ends_with(".pb") {
            Some(FileFormat::OtlpProtobuf)
        } else if text.contains("/otel-clients/") && text.ends_with(".json") {
            Some(FileFormat::OtlpJson)
        } else if text.contains("/trail/data/") && text.ends_with(".json") {
            Some(FileFormat::Trail)
        } else if text.contains("/who_and_when/") && text.ends_with(".json") {
            Some(FileFormat::WhoAndWhen)
        } else if (text.contains("/agentrx/magentic_dataset/") || text.contains("/agentrx/tau_retail/"))
            && text.ends_with(".json")
        {
            Some(FileFormat::AgentRx)
        } else {
            continue;
        };
        let bytes = common::read(&path);
        // The extension must not matter for text formats.
        let renamed = path.with_extension("data");
        let detected = detect_format(&renamed, &bytes);
        let detected = if expected == Some(FileFormat::OtlpProtobuf) { detect_format(&path, &bytes) } else { detected };
        assert_eq!(detected, expected, "{}", path.display());
        *counts.entry(format!("{expected:?}")).or_insert(0) += 1;
    }
    println!("detected: {counts:?}");
}

#[test]
fn small_inputs() {
    let p = Path::new("x");
    assert_eq!(detect_format(p, b""), None);
    assert_eq!(detect_format(p, b"   \n"), None);
    assert_eq!(detect_format(p, b"hello"), None);
    assert_eq!(detect_format(p, b"{\"resourceSpans\":[]}"), Some(FileFormat::OtlpJson));
    assert_eq!(detect_format(p, b"{\"resource_spans\":[]}"), Some(FileFormat::OtlpJson));
    assert_eq!(detect_format(p, b"{\"resourceLogs\":[]}"), Some(FileFormat::OtlpJson));
    assert_eq!(detect_format(p, b"{\"trace_id\":\"a\",\"spans\":[]}"), Some(FileFormat::Trail));
    assert_eq!(detect_format(p, b"# c\n\n{\"type\":\"span\"}\n"), Some(FileFormat::NativeJsonl));
    assert_eq!(detect_format(p, b"{\"type\":\"recording\"}"), Some(FileFormat::NativeJsonl));
    assert_eq!(detect_format(p, b"{\"type\":\"other\"}"), None);
    assert_eq!(detect_format(p, &[0x0a, 0x00]), Some(FileFormat::OtlpProtobuf)); // one empty ResourceSpans
    assert_eq!(detect_format(p, b"\nhello"), None);
    assert_eq!(detect_format(Path::new("x.pb"), &[0xff, 0x00]), Some(FileFormat::OtlpProtobuf));
    assert_eq!(detect_format(p, &[0xff, 0x00]), None);
    assert_eq!(detect_format(p, b"[{\"role\":\"user\",\"content\":\"hi\"}]"), Some(FileFormat::AgentRx));
}
