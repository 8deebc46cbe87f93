//! The conformance suite of the storage contract. A backend's tests expand
//! [`crate::conformance_suite!`] with a factory of empty stores, which makes one `#[test]` per
//! case, so a failure names its case:
//!
//! ```ignore
//! rootspan_store::conformance_suite!(|dir: &std::path::Path| -> Box<dyn rootspan_store::TraceStore> {
//!     Box::new(MyStore::open(&dir.join("store")).unwrap())
//! });
//! ```
//!
//! Each case gets a fresh, empty store (the factory is called with a fresh temporary directory).

use crate::{PrefixMatch, TraceFilter, TraceStore, WriteBatch};
use rootspan_model::{AnyValue, KeyValue, LogRecord, StatusCode, conventions};
use rootspan_testkit::{llm, span};

/// One `#[test]` per case of the suite, each on a fresh store made by `$make(&Path)`.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            round_trip_is_lossless, writes_are_idempotent, missing_trace_is_none,
            list_is_newest_first_and_filters, logs_attach_whichever_first, summary_counts_tokens_once,
            orphans_are_kept, search_sees_every_committed_write, analysis_state_follows_growth,
            the_batch_derives_columns_once, prefixes_resolve_unique_ambiguous_none, list_limits_apply,
            a_trace_keeps_its_first_project, late_root_becomes_the_list_root,
            absurd_timestamps_are_kept_but_do_not_pin_the_list, huge_traces_read_in_pages, lists_page_by_cursor,
            the_list_carries_the_diagnosed_failure_mode, the_issue_log_is_append_only_and_ordered,
            keys_are_found_by_hash_and_revoked_at_once);
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let make: &dyn Fn(&std::path::Path) -> Box<dyn $crate::TraceStore> = &$make;
                let store = make(dir.path());
                $crate::conformance::$case(store);
            }
        )*
    };
}

pub fn analysis_state_follows_growth(store: Box<dyn TraceStore>) {
    store.write(WriteBatch::spans_only(vec![span(20, 1, None, 0, "root")])).unwrap();
    assert_eq!(store.unanalysed_traces(None).unwrap(), vec![[20; 16]]);
    let signature = crate::TraceSignature {
        trace_id: [20; 16],
        signature_id: "00000000000000aa".into(),
        signature: "error | tool | boom".into(),
        detector: "error".into(),
        service: "svc".into(),
        model: None,
        start_time_unix_nano: 0,
        failure_mode: None,
    };
    store.put_signatures(&[20; 16], std::slice::from_ref(&signature)).unwrap();
    assert!(store.unanalysed_traces(None).unwrap().is_empty());
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].signatures, vec![signature.signature_id.clone()], "the list carries the signature ids");
    assert_eq!(store.list_signatures(None).unwrap(), vec![signature]);
    store.write(WriteBatch::spans_only(vec![span(20, 2, Some(1), 1, "late child")])).unwrap();
    assert_eq!(store.unanalysed_traces(None).unwrap(), vec![[20; 16]], "a trace that grew is analysed again");
    assert!(store.unanalysed_traces(Some("another-project")).unwrap().is_empty());
}

/// The list names the failure mode the stored analysis diagnosed, and marks the runs that
/// failed without any span reporting an error ("succeeded" with a wrong answer).
pub fn the_list_carries_the_diagnosed_failure_mode(store: Box<dyn TraceStore>) {
    let signature = |trace: u8, detector: &str, failure_mode: Option<&str>| crate::TraceSignature {
        trace_id: [trace; 16],
        signature_id: format!("{trace:016x}"),
        signature: format!("{detector} | |"),
        detector: detector.into(),
        service: "svc".into(),
        model: None,
        start_time_unix_nano: u64::from(trace),
        failure_mode: failure_mode.map(str::to_owned),
    };
    // 30: healthy, never given a signature; 31: wrong answer, no error span; 32: an error span
    // that the diagnosis did not call a failure; 33: an error span and a diagnosed failure.
    for trace in 30..34u8 {
        let mut root = span(trace, 1, None, u64::from(trace), "root");
        if trace >= 32 {
            root.status.code = StatusCode::Error;
        }
        store.write(WriteBatch::spans_only(vec![root])).unwrap();
    }
    store.put_signatures(&[31; 16], &[signature(31, "silent_wrong_answer", Some("silent_wrong_answer"))]).unwrap();
    store.put_signatures(&[32; 16], &[signature(32, "error", None)]).unwrap();
    store.put_signatures(&[33; 16], &[signature(33, "tool_error_ignored", Some("tool_error_ignored"))]).unwrap();
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    let verdicts: Vec<(&str, Option<&str>, bool)> =
        listed.iter().map(|t| (t.status.as_str(), t.failure_mode.as_deref(), t.silent_failure)).collect();
    assert_eq!(
        verdicts,
        vec![
            ("error", Some("tool_error_ignored"), false),
            ("error", None, false),
            ("ok", Some("silent_wrong_answer"), true),
            ("ok", None, false),
        ],
        "newest first: 33, 32, 31, 30"
    );
    let stored = store.list_signatures(None).unwrap();
    assert_eq!(stored[0].failure_mode.as_deref(), Some("silent_wrong_answer"), "the failure mode round-trips");
    assert_eq!(
        store.signature_counts().unwrap(),
        vec![("error".to_owned(), 1), ("silent_wrong_answer".to_owned(), 1), ("tool_error_ignored".to_owned(), 1)]
    );
    store.put_signatures(&[31; 16], &[]).unwrap();
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!((listed[2].failure_mode.as_deref(), listed[2].silent_failure), (None, false), "replaced, not kept");
}

pub fn search_sees_every_committed_write(store: Box<dyn TraceStore>) {
    let text = |trace: u8| TraceFilter { text: Some(format!("quokka{trace}")), ..Default::default() };
    for trace in 10..14u8 {
        let mut span = span(trace, 1, None, u64::from(trace), "root");
        span.attributes.push(KeyValue::new("output.value", format!("a quokka{trace} appeared").into()));
        store.write(WriteBatch::spans_only(vec![span])).unwrap();
        assert_eq!(store.list_traces(&text(trace)).unwrap().len(), 1, "search right after write {trace}");
        while store.background_work().unwrap() {}
    }
    assert_eq!(store.list_traces(&text(10)).unwrap().len(), 1);
}

pub fn round_trip_is_lossless(store: Box<dyn TraceStore>) {
    let mut root = span(1, 1, None, 100, "invoke_agent a");
    root.attributes = vec![
        KeyValue::new("s", "x".into()),
        KeyValue::new("i", AnyValue::Int(-5)),
        KeyValue::new("d", AnyValue::Double(1.5)),
        KeyValue::new("b", AnyValue::Bool(true)),
        KeyValue::new("by", AnyValue::Bytes(vec![0, 255])),
        KeyValue::new("arr", AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Empty])),
        KeyValue::new("kv", AnyValue::KvList(vec![KeyValue::new("k", "v".into())])),
    ];
    root.dropped_attributes_count = 3;
    root.flags = 257;
    root.trace_state = "a=b".into();
    root.status.code = StatusCode::Error;
    root.status.message = "boom".into();
    root.events.push(rootspan_model::Event {
        time_unix_nano: 150,
        name: "exception".into(),
        attributes: vec![],
        dropped_attributes_count: 1,
    });
    root.links.push(rootspan_model::Link { trace_id: [9; 16], span_id: [9; 8], flags: 1, ..Default::default() });
    conventions::normalize(&mut root);
    store.write(WriteBatch::spans_only(vec![root.clone()])).expect("write");
    let spans = store.get_trace(&[1; 16]).expect("get").expect("present");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0], root, "a stored span must come back identical");
}

pub fn writes_are_idempotent(store: Box<dyn TraceStore>) {
    let batch = WriteBatch::spans_only(vec![span(2, 1, None, 0, "root"), llm(2, 2, 1, 10, 5, 5)]);
    store.write(batch.clone()).expect("write");
    store.write(batch).expect("write again");
    assert_eq!(store.get_trace(&[2; 16]).unwrap().unwrap().len(), 2);
    assert_eq!(store.trace_summary(&[2; 16]).unwrap().unwrap().total_tokens, 10);
    assert_eq!(store.list_traces(&TraceFilter::default()).unwrap().len(), 1);
}

pub fn missing_trace_is_none(store: Box<dyn TraceStore>) {
    assert!(store.get_trace(&[42; 16]).unwrap().is_none());
    assert!(store.trace_summary(&[42; 16]).unwrap().is_none());
}

pub fn list_is_newest_first_and_filters(store: Box<dyn TraceStore>) {
    let mut failing = span(4, 1, None, 2_000, "older");
    failing.status.code = StatusCode::Error;
    let batch = WriteBatch::spans_only(vec![failing, span(5, 1, None, 9_000, "newer"), llm(5, 2, 1, 9_001, 1, 1)]);
    store.write(batch).unwrap();
    let all = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(all.iter().map(|t| t.root_name.as_str()).collect::<Vec<_>>(), ["newer", "older"]);
    let errors = store.list_traces(&TraceFilter { has_error: Some(true), ..Default::default() }).unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].status, "error");
    let by_model = store.list_traces(&TraceFilter { model: Some("gpt-4o".into()), ..Default::default() }).unwrap();
    assert_eq!(by_model.len(), 1);
    let by_text = store.list_traces(&TraceFilter { text: Some("zebracorn".into()), ..Default::default() }).unwrap();
    assert_eq!(by_text.len(), 1);
    let none = store.list_traces(&TraceFilter { text: Some("unicornzebra".into()), ..Default::default() }).unwrap();
    assert!(none.is_empty());
    let other_project = store.list_traces(&TraceFilter { project: Some("p2".into()), ..Default::default() }).unwrap();
    assert!(other_project.is_empty());
}

pub fn logs_attach_whichever_first(store: Box<dyn TraceStore>) {
    let log = |span_id: u8| LogRecord {
        trace_id: [6; 16],
        span_id: [span_id; 8],
        event_name: "gen_ai.user.message".into(),
        body: "hi".into(),
        ..Default::default()
    };
    store.write(WriteBatch::logs_only(vec![log(1)])).unwrap();
    store.write(WriteBatch::spans_only(vec![span(6, 1, None, 0, "root"), span(6, 2, Some(1), 1, "child")])).unwrap();
    store.write(WriteBatch::logs_only(vec![log(2)])).unwrap();
    let spans = store.get_trace(&[6; 16]).unwrap().unwrap();
    assert!(spans.iter().all(|s| s.logs.len() == 1), "each span gets its log record");
}

pub fn summary_counts_tokens_once(store: Box<dyn TraceStore>) {
    let mut agent = span(7, 1, None, 0, "invoke_agent a");
    agent.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "invoke_agent".into()),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(30)),
    ];
    conventions::normalize(&mut agent);
    store.write(WriteBatch::spans_only(vec![agent, llm(7, 2, 1, 1, 10, 1), llm(7, 3, 1, 2, 20, 2)])).unwrap();
    let summary = store.trace_summary(&[7; 16]).unwrap().unwrap();
    assert_eq!((summary.input_tokens, summary.output_tokens, summary.llm_calls, summary.max_depth), (30, 3, 2, 1));
}

pub fn orphans_are_kept(store: Box<dyn TraceStore>) {
    store.write(WriteBatch::spans_only(vec![span(8, 2, Some(1), 5, "orphan")])).unwrap();
    let spans = store.get_trace(&[8; 16]).unwrap().unwrap();
    assert_eq!(spans.len(), 1);
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].root_name, "orphan");
}

pub fn the_batch_derives_columns_once(store: Box<dyn TraceStore>) {
    // A raw span (never normalised) written as it is: the batch derives its columns, so the
    // summary sees the model call and its tokens without the caller normalising anything.
    let mut raw = span(30, 1, None, 0, "chat gpt-4o");
    raw.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat".into()),
        KeyValue::new("gen_ai.request.model", "gpt-4o".into()),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(11)),
    ];
    assert!(raw.gen_ai.derived.is_none());
    let batch = WriteBatch::spans_only(vec![raw]);
    assert_eq!(batch.spans()[0].gen_ai.derived, Some(crate::Depth::Columns));
    store.write(batch).unwrap();
    let summary = store.trace_summary(&[30; 16]).unwrap().unwrap();
    assert_eq!((summary.llm_calls, summary.input_tokens), (1, 11));
    let listed = store.list_traces(&TraceFilter { model: Some("gpt-4o".into()), ..Default::default() }).unwrap();
    assert_eq!(listed.len(), 1);
    let loaded = store.get_trace(&[30; 16]).unwrap().unwrap();
    assert_eq!(loaded[0].gen_ai.derived, Some(crate::Depth::Full), "get_trace derives the full view");
}

pub fn prefixes_resolve_unique_ambiguous_none(store: Box<dyn TraceStore>) {
    let mut a = [0xab; 16];
    a[15] = 1;
    let mut b = [0xab; 16];
    b[15] = 2;
    let spans = vec![span(0, 1, None, 0, "a"), span(0, 2, None, 0, "b"), span(0xcd, 1, None, 0, "c")];
    let mut spans = spans;
    spans[0].trace_id = a;
    spans[1].trace_id = b;
    store.write(WriteBatch::spans_only(spans)).unwrap();
    assert_eq!(store.resolve_trace_id("cdcd").unwrap(), PrefixMatch::Unique([0xcd; 16]));
    assert_eq!(store.resolve_trace_id("CDCDCD").unwrap(), PrefixMatch::Unique([0xcd; 16]), "any case");
    assert_eq!(store.resolve_trace_id("abab").unwrap(), PrefixMatch::Ambiguous);
    assert_eq!(store.resolve_trace_id("abababababababababababababababab02").unwrap(), PrefixMatch::None, "too long");
    assert_eq!(store.resolve_trace_id(&"ab".repeat(15)).unwrap(), PrefixMatch::Ambiguous);
    assert_eq!(store.resolve_trace_id(&format!("{}02", "ab".repeat(15))).unwrap(), PrefixMatch::Unique(b));
    assert_eq!(store.resolve_trace_id("ef01").unwrap(), PrefixMatch::None);
    assert_eq!(store.resolve_trace_id("abc").unwrap(), PrefixMatch::None, "fewer than 4 digits");
    assert_eq!(store.resolve_trace_id("zzzz").unwrap(), PrefixMatch::None, "not hex");
}

pub fn list_limits_apply(store: Box<dyn TraceStore>) {
    let spans = (40..45u8).map(|t| span(t, 1, None, u64::from(t), "root")).collect();
    store.write(WriteBatch::spans_only(spans)).unwrap();
    let two = store.list_traces(&TraceFilter { limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(two.iter().map(|t| t.start_time_unix_nano).collect::<Vec<_>>(), [44, 43]);
    let all = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(all.len(), 5);
    let window = TraceFilter { start_from_unix_nano: Some(41), start_to_unix_nano: Some(43), ..Default::default() };
    assert_eq!(store.list_traces(&window).unwrap().len(), 2, "from is inclusive, to exclusive");
}

pub fn a_trace_keeps_its_first_project(store: Box<dyn TraceStore>) {
    let mut first = span(50, 1, None, 0, "root");
    first.project = "alpha".into();
    store.write(WriteBatch::spans_only(vec![first])).unwrap();
    let mut later = span(50, 2, Some(1), 1, "child");
    later.project = "beta".into();
    store.write(WriteBatch::spans_only(vec![later])).unwrap();
    let alpha = store.list_traces(&TraceFilter { project: Some("alpha".into()), ..Default::default() }).unwrap();
    assert_eq!(alpha.len(), 1);
    assert_eq!(alpha[0].span_count, 2);
    let beta = store.list_traces(&TraceFilter { project: Some("beta".into()), ..Default::default() }).unwrap();
    assert!(beta.is_empty());
    assert_eq!(store.trace_project(&[50; 16]).unwrap().as_deref(), Some("alpha"));
    assert_eq!(store.trace_project(&[51; 16]).unwrap(), None);
}

pub fn keys_are_found_by_hash_and_revoked_at_once(store: Box<dyn TraceStore>) {
    assert!(store.list_keys().unwrap().is_empty());
    let key = |prefix: &str, hash: &str, created: u64| crate::ApiKey {
        prefix: prefix.into(),
        hash: hash.into(),
        label: format!("label of {prefix}"),
        project: "alpha".into(),
        role: "read".into(),
        created_unix_nano: created,
        revoked_unix_nano: None,
    };
    let (first, second) = (key("rsk_aaaa1111", &"a".repeat(64), 10), key("rsk_bbbb2222", &"b".repeat(64), 20));
    store.put_key(&second).unwrap();
    store.put_key(&first).unwrap();
    let error = store.put_key(&first).unwrap_err();
    assert_eq!(error.kind, crate::StoreErrorKind::InvalidRequest, "a prefix is stored once");
    assert_eq!(store.list_keys().unwrap(), vec![first.clone(), second.clone()], "oldest first");
    assert_eq!(store.find_key_by_hash(&first.hash).unwrap(), Some(first.clone()));
    assert_eq!(store.find_key_by_hash(&"c".repeat(64)).unwrap(), None);
    assert!(store.revoke_key(&first.prefix, 30).unwrap());
    assert!(!store.revoke_key(&first.prefix, 40).unwrap(), "already revoked");
    assert!(!store.revoke_key("rsk_unknown", 40).unwrap());
    let revoked = store.find_key_by_hash(&first.hash).unwrap().unwrap();
    assert_eq!(revoked.revoked_unix_nano, Some(30), "the revocation is seen at once");
    assert_eq!(store.find_key_by_hash(&second.hash).unwrap().unwrap().revoked_unix_nano, None);
}

pub fn late_root_becomes_the_list_root(store: Box<dyn TraceStore>) {
    store.write(WriteBatch::spans_only(vec![span(60, 2, Some(1), 10, "child")])).unwrap();
    assert_eq!(store.list_traces(&TraceFilter::default()).unwrap()[0].root_name, "child");
    let mut root = span(60, 1, None, 5, "the root");
    root.end_time_unix_nano = 50;
    root.status.code = StatusCode::Error;
    store.write(WriteBatch::spans_only(vec![root])).unwrap();
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].root_name, "the root");
    assert_eq!((listed[0].start_time_unix_nano, listed[0].duration_ns, listed[0].status.as_str()), (5, 1_005, "error"));
    let summary = store.trace_summary(&[60; 16]).unwrap().unwrap();
    assert_eq!((summary.spans, summary.max_depth, summary.orphans), (2, 1, 0));
}

pub fn absurd_timestamps_are_kept_but_do_not_pin_the_list(store: Box<dyn TraceStore>) {
    let mut absurd = span(70, 1, None, 0, "from the far future");
    absurd.start_time_unix_nano = u64::MAX - 5;
    absurd.end_time_unix_nano = u64::MAX;
    store.write(WriteBatch::spans_only(vec![absurd])).unwrap();
    let now = crate::rows::latest_plausible_now() - crate::rows::CLOCK_SKEW_ALLOWANCE_NS;
    store.write(WriteBatch::spans_only(vec![span(71, 1, None, now, "written now")])).unwrap();
    let tomorrow = now + 2 * crate::rows::CLOCK_SKEW_ALLOWANCE_NS;
    store.write(WriteBatch::spans_only(vec![span(72, 1, None, tomorrow, "a later real trace")])).unwrap();
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].root_name, "a later real trace", "the absurd trace does not stay on top");
    let kept = store.get_trace(&[70; 16]).unwrap().unwrap();
    assert_eq!((kept[0].start_time_unix_nano, kept[0].end_time_unix_nano), (u64::MAX - 5, u64::MAX));
}

pub fn huge_traces_read_in_pages(store: Box<dyn TraceStore>) {
    let mut spans = vec![span(80, 1, None, 0, "root")];
    for id in 2..=250u8 {
        spans.push(span(80, id, Some(1), u64::from(id), &format!("step {id}")));
    }
    let (first, second) = spans.split_at(100);
    store.write(WriteBatch::spans_only(first.to_vec())).unwrap();
    store.write(WriteBatch::spans_only(second.to_vec())).unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.span_rows_page(&[80; 16], after.as_ref(), 64).unwrap().expect("the trace exists");
        assert!(page.len() <= 64);
        if page.is_empty() {
            break;
        }
        after = page.last().map(|row| row.span_id);
        seen.extend(page);
    }
    assert_eq!(seen.len(), 250, "every span, once");
    assert!(seen.windows(2).all(|w| w[0].span_id < w[1].span_id), "in span id order");
    assert_eq!(seen[1].parent_span_id, Some([1; 8]));
    assert!(store.span_rows_page(&[81; 16], None, 10).unwrap().is_none(), "unknown trace");
    let one = store.get_span(&[80; 16], &[200; 8]).unwrap().expect("one span");
    assert_eq!(one.name, "step 200");
    assert_eq!(one.gen_ai.derived, Some(crate::Depth::Full));
    assert!(store.get_span(&[80; 16], &[251; 8]).unwrap().is_none());
}

pub fn lists_page_by_cursor(store: Box<dyn TraceStore>) {
    // Two traces share a start time, so the cursor must break ties by trace id.
    let spans: Vec<_> = (90..97u8).map(|t| span(t, 1, None, if t < 92 { 500 } else { u64::from(t) }, "root")).collect();
    store.write(WriteBatch::spans_only(spans)).unwrap();
    let all = store.list_traces(&TraceFilter::default()).unwrap();
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_traces(&TraceFilter { limit: Some(3), after, ..Default::default() }).unwrap();
        if page.is_empty() {
            break;
        }
        after = crate::ListCursor::after(page.last().unwrap());
        paged.extend(page);
    }
    assert_eq!(paged, all, "the pages are the list, in order, each trace once");
    let cursor = crate::ListCursor::after(&all[2]).unwrap();
    assert_eq!(crate::ListCursor::decode(&cursor.encode()), Some(cursor));
    assert_eq!(crate::ListCursor::decode("nonsense"), None);
}

/// The issue log keeps every entry, in time order then append order, scoped by project.
pub fn the_issue_log_is_append_only_and_ordered(store: Box<dyn TraceStore>) {
    assert!(store.issue_events(None).unwrap().is_empty());
    let event = |issue: &str, project: &str, at: u64, kind: &str, state: Option<&str>| crate::IssueEvent {
        issue_id: issue.into(),
        project: project.into(),
        at_unix_nano: at,
        kind: kind.into(),
        state: state.map(str::to_owned),
        cause: format!("{kind} at {at}"),
        trace_id: (kind == "regressed").then(|| "0a".repeat(16)),
        case_id: kind.starts_with("eval").then(|| "case-1".to_owned()),
    };
    store
        .append_issue_events(&[
            event("aa", "p1", 10, "opened", Some("active")),
            event("aa", "p1", 10, "eval_linked", None),
        ])
        .unwrap();
    store.append_issue_events(&[event("bb", "p2", 5, "opened", Some("active"))]).unwrap();
    store.append_issue_events(&[]).unwrap();
    store
        .append_issue_events(&[
            event("aa", "p1", 20, "resolved", Some("resolved")),
            event("aa", "p1", 30, "regressed", Some("regressed")),
        ])
        .unwrap();
    let all = store.issue_events(None).unwrap();
    let kinds: Vec<(&str, &str)> = all.iter().map(|e| (e.issue_id.as_str(), e.kind.as_str())).collect();
    assert_eq!(
        kinds,
        vec![("bb", "opened"), ("aa", "opened"), ("aa", "eval_linked"), ("aa", "resolved"), ("aa", "regressed")],
        "time order, then append order"
    );
    assert_eq!(all[4], event("aa", "p1", 30, "regressed", Some("regressed")), "every field round-trips");
    assert_eq!(all[2].case_id.as_deref(), Some("case-1"));
    assert_eq!(store.issue_events(Some("p2")).unwrap().len(), 1);
    assert!(store.issue_events(Some("p3")).unwrap().is_empty());
}
