//! The shared conformance suite, one test per case, each in a fresh database of a real
//! ClickHouse engine (the test server of `scripts/clickhouse-test-server`, or
//! `ROOTSPAN_CLICKHOUSE_URI`); and what only this backend has: several ingest nodes writing the
//! same spans, idempotent migrations, and a password that never shows.

use rootspan_store::{TraceFilter, TraceStore, WriteBatch};
use rootspan_store_clickhouse::{ClickHouseConfig, ClickHouseStore, test_server};

/// A store in a fresh database, or `None` when no ClickHouse can be had (outside CI only).
fn fresh(label: &str) -> Option<ClickHouseStore> {
    let config = test_server::fresh(label)?;
    Some(ClickHouseStore::open_config(config).expect("open a fresh ClickHouse store"))
}

/// Drops the case's database when the case ends, passed or failed.
struct Dropping(ClickHouseStore);

impl Drop for Dropping {
    fn drop(&mut self) {
        let _ = self.0.drop_database();
    }
}

impl std::ops::Deref for Dropping {
    type Target = ClickHouseStore;
    fn deref(&self) -> &ClickHouseStore {
        &self.0
    }
}

/// The store behind the suite's `Box<dyn TraceStore>`: dropped with the case.
struct CaseStore(Dropping);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $out { self.0.0.$name($($arg),*) })*
    };
}

impl TraceStore for CaseStore {
    delegate! {
        write(batch: WriteBatch) -> rootspan_store::StoreResult<rootspan_store::WriteOutcome>;
        load_trace(trace_id: &rootspan_model::TraceId) -> rootspan_store::StoreResult<Option<Vec<rootspan_model::Span>>>;
        span_rows_page(trace_id: &rootspan_model::TraceId, after: Option<&rootspan_model::SpanId>, limit: usize)
            -> rootspan_store::StoreResult<Option<Vec<rootspan_store::rows::SpanRow>>>;
        get_span(trace_id: &rootspan_model::TraceId, span_id: &rootspan_model::SpanId)
            -> rootspan_store::StoreResult<Option<rootspan_model::Span>>;
        list_traces(filter: &TraceFilter) -> rootspan_store::StoreResult<Vec<rootspan_store::TraceListItem>>;
        trace_summary(trace_id: &rootspan_model::TraceId) -> rootspan_store::StoreResult<Option<rootspan_model::TraceSummary>>;
        resolve_trace_id(prefix: &str) -> rootspan_store::StoreResult<rootspan_store::PrefixMatch>;
        put_signatures(trace_id: &rootspan_model::TraceId, signatures: &[rootspan_store::TraceSignature])
            -> rootspan_store::StoreResult<()>;
        unanalysed_traces(project: Option<&str>) -> rootspan_store::StoreResult<Vec<rootspan_model::TraceId>>;
        list_signatures(project: Option<&str>) -> rootspan_store::StoreResult<Vec<rootspan_store::TraceSignature>>;
        append_issue_events(events: &[rootspan_store::IssueEvent]) -> rootspan_store::StoreResult<()>;
        issue_events(project: Option<&str>) -> rootspan_store::StoreResult<Vec<rootspan_store::IssueEvent>>;
        put_key(key: &rootspan_store::ApiKey) -> rootspan_store::StoreResult<()>;
        list_keys() -> rootspan_store::StoreResult<Vec<rootspan_store::ApiKey>>;
        find_key_by_hash(hash: &str) -> rootspan_store::StoreResult<Option<rootspan_store::ApiKey>>;
        revoke_key(prefix: &str, at_unix_nano: u64) -> rootspan_store::StoreResult<bool>;
        trace_project(trace_id: &rootspan_model::TraceId) -> rootspan_store::StoreResult<Option<String>>;
        span_count() -> rootspan_store::StoreResult<u64>;
        signature_counts() -> rootspan_store::StoreResult<Vec<(String, u64)>>;
        size_bytes() -> rootspan_store::StoreResult<Option<u64>>;
    }
}

rootspan_store::conformance_suite!(|_dir: &std::path::Path| -> Box<dyn TraceStore> {
    match fresh("conformance") {
        Some(store) => Box::new(CaseStore(Dropping(store))),
        None => panic!("no ClickHouse to run the conformance suite against (see the message above)"),
    }
});

#[test]
fn several_ingest_nodes_writing_the_same_spans_show_no_duplicates() {
    let Some(store) = fresh("nodes") else { return };
    let store = Dropping(store);
    let config = store.config().clone();
    let nodes: Vec<ClickHouseStore> = (0..3).map(|_| ClickHouseStore::connect(config.clone())).collect();
    let spans: Vec<_> = (1..=40u8)
        .map(|id| rootspan_testkit::span(9, id, (id > 1).then_some(1), u64::from(id), &format!("step {id}")))
        .collect();
    std::thread::scope(|scope| {
        for node in &nodes {
            let spans = spans.clone();
            scope.spawn(move || {
                // Each node delivers every span, in its own batches.
                for chunk in spans.chunks(7) {
                    node.write(WriteBatch::spans_only(chunk.to_vec())).expect("write");
                }
            });
        }
    });
    for node in &nodes {
        assert_eq!(node.get_trace(&[9; 16]).unwrap().unwrap().len(), 40, "no duplicate spans");
        assert_eq!(node.trace_summary(&[9; 16]).unwrap().unwrap().spans, 40, "the summary counts each span once");
        assert_eq!(node.span_count().unwrap(), 40);
        assert_eq!(node.list_traces(&TraceFilter::default()).unwrap().len(), 1);
    }
}

#[test]
fn migrations_are_idempotent_and_versioned() {
    let Some(store) = fresh("migrate") else { return };
    let store = Dropping(store);
    assert_eq!(store.schema_version().unwrap(), rootspan_store_clickhouse::SCHEMA_VERSION);
    let again = store.migrate().unwrap();
    assert!(again.applied.is_empty(), "nothing to apply the second time: {again:?}");
    assert_eq!((again.from_version, again.to_version), (3, 3));
    store.write(WriteBatch::spans_only(vec![rootspan_testkit::span(3, 1, None, 0, "root")])).unwrap();
    store.set_retention(30).unwrap();
    assert_eq!(store.span_count().unwrap(), 1, "changing the retention keeps the data");
    assert!(store.size_bytes().unwrap().unwrap() > 0);
}

#[test]
fn a_wrong_password_is_an_open_error_that_does_not_show_it() {
    let Some(config) = test_server::fresh("auth") else { return };
    let wrong = ClickHouseConfig { password: "not-the-password-4711".into(), ..config };
    let error = ClickHouseStore::open_config(wrong).err().expect("refused");
    assert_eq!(error.kind, rootspan_store::StoreErrorKind::Open, "{}", error.message);
    assert!(!error.message.contains("not-the-password-4711"), "{}", error.message);
    assert!(error.message.contains("516") || error.message.contains("Authentication"), "{}", error.message);
}
