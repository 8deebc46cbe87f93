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
    let mut listed_json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&listed).unwrap()).unwrap();
    // Release 0.1 listed no failure mode (migration 5 derives it from the stored signatures).
    let mut failure_modes = Vec::new();
    for item in listed_json.as_array_mut().unwrap() {
        let item = item.as_object_mut().unwrap();
        let mode = item.remove("failure_mode").unwrap();
        let silent = item.remove("silent_failure").unwrap();
        failure_modes.push((item["trace_id"].as_str().unwrap()[..4].to_owned(), mode, silent));
    }
    assert_eq!(listed_json, expected, "the same traces, counts and signatures");
    let none = serde_json::Value::Null;
    let mode = |m: &str| serde_json::Value::from(m);
    let no = serde_json::Value::from(false);
    assert_eq!(
        failure_modes,
        vec![
            ("5555".to_owned(), mode("tool_error_ignored"), no.clone()),
            ("4444".to_owned(), none.clone(), no.clone()),
            ("3333".to_owned(), mode("retry_loop"), no.clone()),
            ("2222".to_owned(), mode("tool_error_ignored"), no.clone()),
            ("1111".to_owned(), none, no),
        ],
        "the failure modes of release 0.1's diagnoses (fixtures/stores/v1/diagnoses.json)"
    );
    assert!(store.unanalysed_traces(None).unwrap().is_empty(), "nothing ambiguous to analyse again");
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

/// Migration 5: a signature of schema 4 names its failure mode only through `detector`; an
/// underscore name is a failure mode, `error` is none, and a kebab-case name (a detector id and
/// its own failure mode alike) sends its trace to be analysed again.
#[test]
fn migration_5_derives_failure_modes_or_analyses_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        for trace in 1..=3u8 {
            let mut span = rootspan_model::Span::new([trace; 16], [1; 8], "root");
            span.start_time_unix_nano = u64::from(trace);
            store.write(rootspan_store::WriteBatch::spans_only(vec![span])).unwrap();
        }
    }
    // Back to schema 4, as a release before migration 5 left it.
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "ALTER TABLE signatures DROP COLUMN failure_mode;
             DROP TABLE issue_events;
             DROP TABLE api_keys;
             UPDATE meta SET value = '4' WHERE key = 'schema_version';
             INSERT INTO signatures(trace_id, signature_id, signature, detector, service, model, start_ns)
               VALUES (x'01010101010101010101010101010101', 'a', 'goal_drift | |', 'goal_drift', 's', NULL, 1),
                      (x'02020202020202020202020202020202', 'b', 'error | |', 'error', 's', NULL, 2),
                      (x'03030303030303030303030303030303', 'c', 'rate-limited | |', 'rate-limited', 's', NULL, 3);
             INSERT OR REPLACE INTO analysed(trace_id, span_count) SELECT trace_id, span_count FROM traces;",
        )
        .unwrap();
    drop(connection);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(schema_version(&path), SCHEMA_VERSION.to_string());
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    let modes: Vec<Option<&str>> = listed.iter().map(|t| t.failure_mode.as_deref()).collect();
    assert_eq!(modes, vec![None, None, Some("goal_drift")], "newest first: 3, 2, 1");
    assert!(listed[2].silent_failure, "no error span, and a failure");
    assert_eq!(store.unanalysed_traces(None).unwrap(), vec![[3; 16]], "the ambiguous one is analysed again");
}
