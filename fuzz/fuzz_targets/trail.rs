//! Fuzzes the TRAIL importer (format forced, no detection) and format detection; imported spans
//! must survive a span tree with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{FileFormat, detect_format, import_as};
use rootspan_model::SpanTree;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = detect_format(Path::new("trace.json"), data);
    if let Ok(imported) = import_as(FileFormat::Trail, Path::new("trace.json"), data, None) {
        let _ = SpanTree::build(imported.spans).summary();
    }
});
