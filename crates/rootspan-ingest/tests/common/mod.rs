//! Shared helpers of the integration tests: where the evaluation data lives, and reading it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `sub` under the shared evaluation data (`rootspan_testkit::shared_data`), or None with a note;
/// a missing data set fails the test under CI (`rootspan_testkit::require_data`).
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    rootspan_testkit::require_data(sub)
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == ext));
    files.sort();
    files
}
