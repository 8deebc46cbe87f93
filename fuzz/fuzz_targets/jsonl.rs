//! Fuzzes the native JSONL importer; whatever imports must write and re-import to the same
//! number of spans and logs, and survive a span tree with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{FileFormat, import_as, write_jsonl, write_jsonl_logs};
use rootspan_model::SpanTree;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("recording.jsonl");
    if let Ok(imported) = import_as(FileFormat::NativeJsonl, path, data, None) {
        let mut out = Vec::new();
        write_jsonl(&imported.spans, &mut out).expect("write to a Vec");
        write_jsonl_logs(&imported.logs, &mut out).expect("write to a Vec");
        let again = import_as(FileFormat::NativeJsonl, path, &out, None).expect("re-import");
        assert_eq!(
            (again.spans.len(), again.logs.len(), again.rejected),
            (imported.spans.len(), imported.logs.len(), 0)
        );
        let _ = SpanTree::build(imported.spans).summary();
    }
});
