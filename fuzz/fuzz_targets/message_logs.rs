//! Fuzzes the message-log importers (Who&When and AgentRx: Magentic-One lists and τ-bench runs),
//! format forced, and format detection; imported spans must survive a span tree with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{FileFormat, detect_format, import_as};
use rootspan_model::SpanTree;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("log.json");
    let _ = detect_format(path, data);
    for format in [FileFormat::WhoAndWhen, FileFormat::AgentRx] {
        if let Ok(imported) = import_as(format, path, data, Some("fuzz")) {
            let _ = SpanTree::build(imported.spans).summary();
        }
    }
});
