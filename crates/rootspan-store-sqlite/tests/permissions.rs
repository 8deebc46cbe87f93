//! The store file, its WAL and its shared-memory file are readable by their owner only.

#![cfg(unix)]

use rootspan_store::{TraceStore, WriteBatch};
use rootspan_store_sqlite::SqliteStore;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[test]
fn a_new_store_and_its_wal_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let store = SqliteStore::open(&path).unwrap();
    store.write(WriteBatch::spans_only(vec![rootspan_testkit::span(1, 1, None, 0, "root")])).unwrap();
    assert_eq!(mode(&path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let file = sibling(&path, suffix);
        assert!(file.exists(), "{suffix} exists while the store is open");
        assert_eq!(mode(&file), 0o600, "{suffix}");
    }
}

#[test]
fn an_existing_world_readable_store_is_tightened_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    drop(SqliteStore::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}
