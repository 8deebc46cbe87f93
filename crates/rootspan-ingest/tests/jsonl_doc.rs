//! The example in docs/jsonl-format.md imports as documented and survives a write/read round trip.

use rootspan_ingest::{FileFormat, import_file, write_jsonl};
use rootspan_model::{AnyValue, StatusCode};
use std::path::Path;

#[test]
fn documented_example_imports() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/jsonl-format.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/jsonl-format.md");
    let block = doc.split("```jsonl\n").nth(1).and_then(|rest| rest.split("```").next()).expect("jsonl block");
    let imported = import_file(Path::new("example.jsonl"), block.as_bytes(), None).expect("import");
    assert_eq!(imported.format, FileFormat::NativeJsonl);
    assert_eq!(imported.rejected, 0, "{:?}", imported.messages);
    assert_eq!((imported.spans.len(), imported.logs.len()), (2, 1));
    let chat = &imported.spans[1];
    assert_eq!(chat.parent_span_id, Some(imported.spans[0].span_id));
    assert_eq!(chat.status.code, StatusCode::Error);
    assert_eq!(chat.attr("big"), Some(&AnyValue::Int(9_007_199_254_740_993)));
    assert_eq!(chat.attr("gen_ai.request.temperature"), Some(&AnyValue::Double(0.0)));
    assert_eq!(chat.attr("raw"), Some(&AnyValue::Bytes(vec![0, 1, 2, 255])));
    assert_eq!(chat.gen_ai.input_tokens, Some(612));
    assert_eq!(chat.logs.len(), 1);
    let mut out = Vec::new();
    write_jsonl(&imported.spans[..1], &mut out).expect("write");
    let first_line = block.lines().nth(1).expect("first span line");
    assert_eq!(String::from_utf8_lossy(&out).trim_end(), first_line, "writer output matches the documented shape");
}
