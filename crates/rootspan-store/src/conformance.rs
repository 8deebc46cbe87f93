//! The conformance suite: every backend's tests call [`run_all`] with a factory of empty stores.

use crate::{TraceFilter, TraceStore, WriteBatch};
use rootspan_model::{AnyValue, KeyValue, LogRecord, Span, StatusCode, conventions};

fn span(trace: u8, id: u8, parent: Option<u8>, start: u64, name: &str) -> Span {
    let mut span = Span::new([trace; 16], [id; 8], name);
    span.parent_span_id = parent.map(|p| [p; 8]);
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = start + 1_000;
    span
}

fn llm(trace: u8, id: u8, parent: u8, start: u64, input: i64, output: i64) -> Span {
    let mut span = span(trace, id, Some(parent), start, "chat gpt-4o");
    span.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat".into()),
        KeyValue::new("gen_ai.request.model", "gpt-4o".into()),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(input)),
        KeyValue::new("gen_ai.usage.output_tokens", AnyValue::Int(output)),
        KeyValue::new(
            "gen_ai.input.messages",
            r#"[{"role":"user","parts":[{"type":"text","content":"where is my zebracorn order"}]}]"#.into(),
        ),
    ];
    conventions::normalize(&mut span);
    span
}

/// Runs every check against stores made by `make`.
pub fn run_all(make: &dyn Fn() -> Box<dyn TraceStore>) {
    round_trip_is_lossless(make());
    writes_are_idempotent(make());
    missing_trace_is_none(make());
    list_is_newest_first_and_filters(make());
    logs_attach_whichever_first(make());
    summary_counts_tokens_once(make());
    orphans_are_kept(make());
    search_sees_every_committed_write(make());
    analysis_state_follows_growth(make());
}

fn analysis_state_follows_growth(store: Box<dyn TraceStore>) {
    store.write(WriteBatch { spans: vec![span(20, 1, None, 0, "root")], logs: vec![] }).unwrap();
    assert_eq!(store.unanalysed_traces(None).unwrap(), vec![[20; 16]]);
    let signature = crate::TraceSignature {
        trace_id: [20; 16],
        signature_id: "00000000000000aa".into(),
        signature: "error | tool | boom".into(),
        detector: "error".into(),
        service: "svc".into(),
        model: None,
        start_time_unix_nano: 0,
    };
    store.put_signatures(&[20; 16], std::slice::from_ref(&signature)).unwrap();
    assert!(store.unanalysed_traces(None).unwrap().is_empty());
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].signatures, vec![signature.signature_id.clone()], "the list carries the signature ids");
    assert_eq!(store.list_signatures(None).unwrap(), vec![signature]);
    store.write(WriteBatch { spans: vec![span(20, 2, Some(1), 1, "late child")], logs: vec![] }).unwrap();
    assert_eq!(store.unanalysed_traces(None).unwrap(), vec![[20; 16]], "a trace that grew is analysed again");
    assert!(store.unanalysed_traces(Some("another-project")).unwrap().is_empty());
}

fn search_sees_every_committed_write(store: Box<dyn TraceStore>) {
    let text = |trace: u8| TraceFilter { text: Some(format!("quokka{trace}")), ..Default::default() };
    for trace in 10..14u8 {
        let mut span = span(trace, 1, None, u64::from(trace), "root");
        span.attributes.push(KeyValue::new("output.value", format!("a quokka{trace} appeared").into()));
        store.write(WriteBatch { spans: vec![span], logs: vec![] }).unwrap();
        assert_eq!(store.list_traces(&text(trace)).unwrap().len(), 1, "search right after write {trace}");
        while store.background_work().unwrap() {}
    }
    assert_eq!(store.list_traces(&text(10)).unwrap().len(), 1);
}

fn round_trip_is_lossless(store: Box<dyn TraceStore>) {
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
    store.write(WriteBatch { spans: vec![root.clone()], logs: vec![] }).expect("write");
    let spans = store.get_trace(&[1; 16]).expect("get").expect("present");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0], root, "a stored span must come back identical");
}

fn writes_are_idempotent(store: Box<dyn TraceStore>) {
    let batch = WriteBatch { spans: vec![span(2, 1, None, 0, "root"), llm(2, 2, 1, 10, 5, 5)], logs: vec![] };
    store.write(batch.clone()).expect("write");
    store.write(batch).expect("write again");
    assert_eq!(store.get_trace(&[2; 16]).unwrap().unwrap().len(), 2);
    assert_eq!(store.trace_summary(&[2; 16]).unwrap().unwrap().total_tokens, 10);
    assert_eq!(store.list_traces(&TraceFilter::default()).unwrap().len(), 1);
}

fn missing_trace_is_none(store: Box<dyn TraceStore>) {
    assert!(store.get_trace(&[42; 16]).unwrap().is_none());
    assert!(store.trace_summary(&[42; 16]).unwrap().is_none());
}

fn list_is_newest_first_and_filters(store: Box<dyn TraceStore>) {
    let mut failing = span(4, 1, None, 2_000, "older");
    failing.status.code = StatusCode::Error;
    let batch =
        WriteBatch { spans: vec![failing, span(5, 1, None, 9_000, "newer"), llm(5, 2, 1, 9_001, 1, 1)], logs: vec![] };
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

fn logs_attach_whichever_first(store: Box<dyn TraceStore>) {
    let log = |span_id: u8| LogRecord {
        trace_id: [6; 16],
        span_id: [span_id; 8],
        event_name: "gen_ai.user.message".into(),
        body: "hi".into(),
        ..Default::default()
    };
    store.write(WriteBatch { spans: vec![], logs: vec![log(1)] }).unwrap();
    store
        .write(WriteBatch { spans: vec![span(6, 1, None, 0, "root"), span(6, 2, Some(1), 1, "child")], logs: vec![] })
        .unwrap();
    store.write(WriteBatch { spans: vec![], logs: vec![log(2)] }).unwrap();
    let spans = store.get_trace(&[6; 16]).unwrap().unwrap();
    assert!(spans.iter().all(|s| s.logs.len() == 1), "each span gets its log record");
}

fn summary_counts_tokens_once(store: Box<dyn TraceStore>) {
    let mut agent = span(7, 1, None, 0, "invoke_agent a");
    agent.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "invoke_agent".into()),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(30)),
    ];
    conventions::normalize(&mut agent);
    store
        .write(WriteBatch { spans: vec![agent, llm(7, 2, 1, 1, 10, 1), llm(7, 3, 1, 2, 20, 2)], logs: vec![] })
        .unwrap();
    let summary = store.trace_summary(&[7; 16]).unwrap().unwrap();
    assert_eq!((summary.input_tokens, summary.output_tokens, summary.llm_calls, summary.max_depth), (30, 3, 2, 1));
}

fn orphans_are_kept(store: Box<dyn TraceStore>) {
    store.write(WriteBatch { spans: vec![span(8, 2, Some(1), 5, "orphan")], logs: vec![] }).unwrap();
    let spans = store.get_trace(&[8; 16]).unwrap().unwrap();
    assert_eq!(spans.len(), 1);
    let listed = store.list_traces(&TraceFilter::default()).unwrap();
    assert_eq!(listed[0].root_name, "orphan");
}
