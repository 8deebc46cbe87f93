//! The shared conformance suite, on real SQLite files.

use rootspan_store::TraceStore;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let counter = AtomicUsize::new(0);
    let make = || -> Box<dyn TraceStore> {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let path = dir.path().join(format!("store-{n}.db"));
        Box::new(rootspan_store_sqlite::SqliteStore::open(&path).expect("open"))
    };
    rootspan_store::conformance::run_all(&make);
}

#[test]
fn a_second_connection_sees_committed_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let writer = rootspan_store_sqlite::SqliteStore::open(&path).expect("open writer");
    let reader = rootspan_store_sqlite::SqliteStore::open(&path).expect("open reader");
    let span = rootspan_model::Span::new([3; 16], [1; 8], "root");
    writer.write(rootspan_store::WriteBatch { spans: vec![span], logs: vec![] }).expect("write");
    assert_eq!(reader.span_count().expect("count"), 1);
    assert!(reader.get_trace(&[3; 16]).expect("get").is_some());
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let error =
        rootspan_store_sqlite::SqliteStore::open(std::path::Path::new("/nonexistent-dir/x.db")).err().expect("error");
    assert!(error.message.contains("/nonexistent-dir"), "{}", error.message);
}
