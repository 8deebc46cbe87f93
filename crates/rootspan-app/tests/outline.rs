//! The outline of a huge trace is built from the stored narrow rows, without decoding payloads;
//! it must say what the outline of the fully loaded trace says: the same rows in the same order,
//! parents, depths, subtree sizes, kinds, times, self times, statuses, tokens, costs, critical
//! path, and the same summary and time by kind. (From rows, the error-text flag follows the status,
//! so that bit alone is not compared.)

use rootspan_app::outline::{ROWS_OUTLINE_ABOVE, outline};
use rootspan_app::{App, AppConfig};
use rootspan_store::{TraceStore, WriteBatch};
use rootspan_testkit::TraceBuilder;
use std::sync::Arc;

#[test]
fn a_huge_trace_outlined_from_rows_matches_the_full_outline() {
    let mut builder = TraceBuilder::new([7; 16]).service("outline-test");
    let root = builder.custom(None, "run");
    let mut count = 1u64;
    let mut branch = 0;
    while count <= ROWS_OUTLINE_ABOVE + 50 {
        let step = builder.custom(root, &format!("step {branch}"));
        for call in 0..9 {
            let id = builder.llm(step, "gpt-4o-mini", "", "", Some((100 + call, 20)));
            if call == 4 && branch % 7 == 0 {
                builder.error(id, "rate limited");
            }
            builder.tool(step, "get_order", "", "");
        }
        count += 19;
        branch += 1;
    }
    let spans = builder.build();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(rootspan_store_sqlite::SqliteStore::open(&dir.path().join("a.db")).unwrap());
    store.write(WriteBatch::spans_only(spans)).unwrap();
    let app = App::new(store, AppConfig::default());
    let id = "07070707070707070707070707070707";
    let from_rows = app.trace_outline(id).unwrap();
    let full = outline(&app.load_tree(id).unwrap());
    assert!(from_rows.rows.len() as u64 > ROWS_OUTLINE_ABOVE);
    assert_eq!(from_rows.rows.len(), full.rows.len());
    let text = |o: &rootspan_app::outline::TraceOutline| serde_json::to_value(o).unwrap();
    let (a, b) = (text(&from_rows), text(&full));
    for field in [
        "trace_id",
        "project",
        "service",
        "root_name",
        "start_time_unix_nano",
        "duration_ns",
        "summary",
        "latency_by_kind",
        "critical_path_ns",
    ] {
        assert_eq!(a[field], b[field], "{field}");
    }
    for (row, (x, y)) in a["rows"].as_array().unwrap().iter().zip(b["rows"].as_array().unwrap()).enumerate() {
        for position in 0..13 {
            assert_eq!(x[position], y[position], "row {row} field {position}");
        }
        let strip = |v: &serde_json::Value| v.as_u64().unwrap() & !u64::from(rootspan_app::outline::FLAG_ERROR_TEXT);
        assert_eq!(strip(&x[13]), strip(&y[13]), "row {row} flags");
    }
}
