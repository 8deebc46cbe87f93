//! Schema versions: a store written by release 0.1 (schema version 1, kept as a fixture) opens
//! with this build, is migrated, and reads the same; a store from a newer version is refused
//! with a message naming both versions.

use rootspan_store::{TraceFilter, TraceStore};
use rootspan_store_sqlite::{SCHEMA_VERSION, SqliteStore};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stores/v1/rootspan.db")
}

fn copy_of_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("rootspan.db");
    std::fs::copy(fixture(), &path).expect("copying the v1 store fixture");
    path
}

fn schema_version(path: &Path) -> String {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0)).unwrap()
}

#[test]
fn a_version_1_store_opens_migrates_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of_fixture(dir.path());
    assert_eq!(schema_version(&path), "1", "the fixture is a version 1 store");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture().with_file_name("traces.json")).expect("the fixture's trace list"),
    )
    .unwrap();
    let store = SqliteStore::open(&path).expect("a version 1 store opens");
    assert_eq!(schema_version(&path), SCHEMA_VERSION.to_string(), "migrated on open");
    let listed = store.list_traces(&TraceFilter { limit: Some(1000), ..Default::default() }).unwrap();
    // Both sides go through JSON text, so floats are parsed the same way.
    let listed_json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&listed).unwrap()).unwrap();
    assert_eq!(listed_json, expected, "the same traces, counts and signatures");
    let total: u64 = listed.iter().map(|item| item.span_count).sum();
    assert_eq!(store.span_count().unwrap(), total, "the live span count carries over");
    for item in &listed {
        let id = rootspan_model::parse_trace_id(&item.trace_id).unwrap();
        let spans = store.get_trace(&id).unwrap().expect("every listed trace reads back");
        assert_eq!(spans.len() as u64, item.span_count);
    }
    drop(store);
    let again = SqliteStore::open(&path).expect("a migrated store opens again");
    assert_eq!(again.list_traces(&TraceFilter { limit: Some(1000), ..Default::default() }).unwrap(), listed);
}

#[test]
fn a_store_from_a_newer_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
    drop(connection);
    let error = SqliteStore::open(&path).err().expect("refused");
    assert_eq!(error.kind, rootspan_store::StoreErrorKind::Open);
    assert!(error.message.contains("99"), "{}", error.message);
    assert!(error.message.contains(&format!("schema version {SCHEMA_VERSION}")), "{}", error.message);
}
