//! Fuzzes the TRAIL importer (format forced, no detection) and format detection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootspan_ingest::{FileFormat, detect_format, import_as};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = detect_format(Path::new("trace.json"), data);
    let _ = import_as(FileFormat::Trail, Path::new("trace.json"), data, None);
});
