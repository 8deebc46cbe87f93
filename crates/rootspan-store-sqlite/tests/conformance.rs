//! The shared conformance suite, one test per case, each on a real SQLite file; and what only
//! this backend has: several connections on one file, and clear open errors.

use rootspan_store::TraceStore;

rootspan_store::conformance_suite!(|dir: &std::path::Path| -> Box<dyn TraceStore> {
    Box::new(rootspan_store_sqlite::SqliteStore::open(&dir.join("store.db")).expect("open"))
});

#[test]
fn a_second_connection_sees_committed_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let writer = rootspan_store_sqlite::SqliteStore::open(&path).expect("open writer");
    let reader = rootspan_store_sqlite::SqliteStore::open(&path).expect("open reader");
    let span = rootspan_model::Span::new([3; 16], [1; 8], "root");
    writer.write(rootspan_store::WriteBatch::spans_only(vec![span])).expect("write");
    assert_eq!(reader.span_count().expect("count"), 1);
    assert!(reader.get_trace(&[3; 16]).expect("get").is_some());
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let error =
        rootspan_store_sqlite::SqliteStore::open(std::path::Path::new("/nonexistent-dir/x.db")).err().expect("error");
    assert!(error.message.contains("/nonexistent-dir"), "{}", error.message);
}

#[test]
fn a_file_that_is_not_a_store_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are my notes, not a database ".repeat(200)).unwrap();
    let error = rootspan_store_sqlite::SqliteStore::open(&path).err().expect("error");
    assert_eq!(error.kind, rootspan_store::StoreErrorKind::Open);
    assert!(error.message.contains("notes.db"), "{}", error.message);
}

#[test]
fn a_text_search_answers_while_another_connection_holds_the_write_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("locked.db");
    let store = rootspan_store_sqlite::SqliteStore::open(&path).expect("open");
    let mut span = rootspan_model::Span::new([5; 16], [1; 8], "root");
    span.attributes.push(rootspan_model::KeyValue::new("output.value", "a wombat appeared".into()));
    store.write(rootspan_store::WriteBatch::spans_only(vec![span])).expect("write");
    // Another process takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('held', 'yes');").unwrap();
    let filter = rootspan_store::TraceFilter { text: Some("wombat".into()), ..Default::default() };
    let found = store.list_traces(&filter).expect("the search does not need the write lock");
    assert_eq!(found.len(), 1, "the not-yet-indexed chunk is found through its filter");
    let absent = rootspan_store::TraceFilter { text: Some("platypus".into()), ..Default::default() };
    assert!(store.list_traces(&absent).unwrap().is_empty());
    other.execute_batch("ROLLBACK;").unwrap();
    while store.background_work().unwrap() {}
    assert_eq!(store.list_traces(&filter).unwrap().len(), 1, "and through the index once indexed");
}
