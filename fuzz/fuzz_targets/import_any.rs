//! Fuzzes `import_file` end to end (gzip, detection, every format) under the three kinds of file
//! name (`.json`, `.jsonl`, `.pb`); imported spans must survive a span tree with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::import_file;
use rootspan_model::SpanTree;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    for name in ["x.json", "x.jsonl", "x.pb"] {
        if let Ok(imported) = import_file(Path::new(name), data, None) {
            let _ = SpanTree::build(imported.spans).summary();
        }
    }
});
