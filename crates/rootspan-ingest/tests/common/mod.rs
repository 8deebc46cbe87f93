//! Shared helpers of the integration tests: where the evaluation data lives, and reading it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The evaluation data directory (`ROOTSPAN_DATA` or /work/shared/data), or None with a note.
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    let root =
        std::env::var_os("ROOTSPAN_DATA").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/work/shared/data"));
    let dir = root.join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} is absent; skipping this data test", dir.display());
        None
    }
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
