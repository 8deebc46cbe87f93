//! Lossless round trips: OTLP protobuf -> model -> protobuf -> model, -> OTLP/JSON -> model,
//! -> native JSONL -> model, on the real otel-clients files and on a synthetic span that uses
//! every OTLP field and value type.

mod common;

use prost::Message;
use rootspan_ingest::{
    Encoding, FileFormat, decode_logs, decode_traces, detect_format, import_file, logs_to_otlp_json, logs_to_request,
    spans_to_otlp_json, spans_to_request, write_jsonl,
};
use rootspan_model::{AnyValue, Event, KeyValue, Link, LogRecord, Resource, Scope, Span, Status, StatusCode};
use std::path::Path;
use std::sync::Arc;

fn through_protobuf(spans: &[Span]) -> Vec<Span> {
    let bytes = spans_to_request(spans).encode_to_vec();
    decode_traces(&bytes, Encoding::Protobuf, None).expect("re-decode protobuf").items
}

fn through_json(spans: &[Span]) -> Vec<Span> {
    let text = spans_to_otlp_json(spans);
    decode_traces(text.as_bytes(), Encoding::Json, None).expect("re-decode json").items
}

fn through_jsonl(spans: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    write_jsonl(spans, &mut out).expect("write jsonl");
    let path = Path::new("recording.jsonl");
    assert_eq!(detect_format(path, &out), Some(FileFormat::NativeJsonl));
    let imported = import_file(path, &out, None).expect("import jsonl");
    assert_eq!(imported.rejected, 0, "{:?}", imported.messages);
    imported.spans
}

#[test]
fn otel_client_files_round_trip() {
    let Some(dir) = common::data_dir("otel-clients") else { return };
    let mut files = 0;
    let mut spans_total = 0;
    for sub in ["", "pairs", "population", "population2"] {
        for path in common::files_with_ext(&dir.join(sub), "pb") {
            let bytes = common::read(&path);
            assert_eq!(detect_format(&path, &bytes), Some(FileFormat::OtlpProtobuf), "{}", path.display());
            let spans = decode_traces(&bytes, Encoding::Protobuf, None).expect("decode").items;
            let json_path = path.with_extension("json");
            let json = common::read(&json_path);
            assert_eq!(detect_format(&json_path, &json), Some(FileFormat::OtlpJson));
            let from_json = decode_traces(&json, Encoding::Json, None).expect("decode json").items;
            assert_eq!(from_json, spans, "{}: .json and .pb decode to the same spans", path.display());
            assert_eq!(through_protobuf(&spans), spans, "{}: proto -> model -> proto", path.display());
            assert_eq!(through_json(&spans), spans, "{}: proto -> json -> proto", path.display());
            assert_eq!(through_jsonl(&spans), spans, "{}: jsonl", path.display());
            // The re-encoded request decodes to the same request as the original (semantically).
            let original = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(&*bytes)
                .expect("original request");
            let span_count: usize =
                original.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
            assert_eq!(span_count, spans.len());
            files += 1;
            spans_total += spans.len();
        }
    }
    println!("round-tripped {files} files, {spans_total} spans (protobuf, OTLP/JSON, JSONL)");
    assert!(files > 0);
}

fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("s", AnyValue::from("text with \"quotes\" and ünïcode")),
        KeyValue::new("b", AnyValue::Bool(true)),
        KeyValue::new("i", AnyValue::Int(-42)),
        KeyValue::new("big", AnyValue::Int(9_007_199_254_740_993)),
        KeyValue::new("min", AnyValue::Int(i64::MIN)),
        KeyValue::new("d", AnyValue::Double(5.0)),
        KeyValue::new("frac", AnyValue::Double(0.1)),
        KeyValue::new("inf", AnyValue::Double(f64::INFINITY)),
        KeyValue::new("ninf", AnyValue::Double(f64::NEG_INFINITY)),
        KeyValue::new("bytes", AnyValue::Bytes(vec![0, 1, 2, 255])),
        KeyValue::new("empty", AnyValue::Empty),
        KeyValue::new("array", AnyValue::Array(vec![AnyValue::Int(1), AnyValue::from("x"), AnyValue::Empty])),
        KeyValue::new(
            "kv",
            AnyValue::KvList(vec![
                KeyValue::new("nested", AnyValue::Array(vec![AnyValue::KvList(vec![])])),
                KeyValue::new("nested", AnyValue::Bool(false)),
            ]),
        ),
        KeyValue::new("dup", AnyValue::from("first")),
        KeyValue::new("dup", AnyValue::from("second")),
    ]
}

fn synthetic() -> Vec<Span> {
    let resource = Arc::new(Resource {
        attributes: vec![KeyValue::new("service.name", AnyValue::from("svc")), KeyValue::new("r", AnyValue::Int(1))],
        dropped_attributes_count: 3,
        schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
    });
    let scope = Arc::new(Scope {
        name: "lib".into(),
        version: "1.2".into(),
        attributes: vec![KeyValue::new("scope.attr", AnyValue::Double(2.5))],
        dropped_attributes_count: 4,
        schema_url: "https://scope/schema".into(),
    });
    let other_scope = Arc::new(Scope { name: "other".into(), ..Scope::default() });
    let mut root = Span::new([0xab; 16], [1; 8], "root");
    root.trace_state = "vendor=x".into();
    root.flags = 0x301;
    root.kind = 2;
    root.start_time_unix_nano = 1_742_402_889_190_915_000;
    root.end_time_unix_nano = u64::MAX;
    root.attributes = every_value();
    root.dropped_attributes_count = 5;
    root.events = vec![
        Event { time_unix_nano: 7, name: "exception".into(), attributes: every_value(), dropped_attributes_count: 6 },
        Event::default(),
    ];
    root.dropped_events_count = 8;
    root.links = vec![Link {
        trace_id: [9; 16],
        span_id: [8; 8],
        trace_state: "k=v".into(),
        attributes: vec![KeyValue::new("l", AnyValue::Int(1))],
        dropped_attributes_count: 2,
        flags: 0x100,
    }];
    root.dropped_links_count = 9;
    root.status = Status { code: StatusCode::Error, message: "boom".into() };
    root.resource = Arc::clone(&resource);
    root.scope = Arc::clone(&scope);
    let mut child = Span::new([0xab; 16], [2; 8], "chat gpt-4o");
    child.parent_span_id = Some([1; 8]);
    child.attributes = vec![
        KeyValue::new("gen_ai.operation.name", AnyValue::from("chat")),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(12)),
    ];
    child.status.code = StatusCode::Ok;
    child.resource = Arc::clone(&resource);
    child.scope = other_scope;
    let mut bare = Span::new([0xcd; 16], [3; 8], "");
    bare.resource = Arc::new(Resource::default());
    let mut spans = vec![root, child, bare];
    spans.iter_mut().for_each(rootspan_model::conventions::normalize);
    spans
}

#[test]
fn synthetic_span_with_every_field_round_trips() {
    let spans = synthetic();
    assert_eq!(through_protobuf(&spans), spans);
    assert_eq!(through_json(&spans), spans);
    let json = spans_to_otlp_json(&spans);
    assert!(json.contains("\"doubleValue\":\"Infinity\"") && json.contains("\"traceId\":\"abababab"), "{json}");
    assert!(json.contains("\"intValue\":\"9007199254740993\"") && json.contains("\"resourceSpans\""));
    assert!(json.contains("\"startTimeUnixNano\":\"1742402889190915000\""));
    assert_eq!(through_jsonl(&spans), spans);
    // Grouping: one ResourceSpans for the shared resource (two scopes), one for the bare span.
    let request = spans_to_request(&spans);
    assert_eq!(request.resource_spans.len(), 2);
    assert_eq!(request.resource_spans[0].scope_spans.len(), 2);
}

#[test]
fn nan_survives_every_path() {
    let mut span = Span::new([1; 16], [1; 8], "n");
    span.attributes = vec![KeyValue::new("nan", AnyValue::Double(f64::NAN))];
    let is_nan = |spans: Vec<Span>| matches!(spans[0].attributes[0].value, AnyValue::Double(n) if n.is_nan());
    assert!(is_nan(through_protobuf(std::slice::from_ref(&span))));
    assert!(spans_to_otlp_json(std::slice::from_ref(&span)).contains("\"doubleValue\":\"NaN\""));
    assert!(is_nan(through_json(std::slice::from_ref(&span))));
    assert!(is_nan(through_jsonl(std::slice::from_ref(&span))));
}

#[test]
fn logs_round_trip_and_keep_records_without_span() {
    let resource = Arc::new(Resource { attributes: every_value(), ..Resource::default() });
    let with_span = LogRecord {
        time_unix_nano: 5,
        observed_time_unix_nano: 6,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: AnyValue::KvList(every_value()),
        attributes: every_value(),
        dropped_attributes_count: 1,
        flags: 1,
        trace_id: [3; 16],
        span_id: [4; 8],
        event_name: "gen_ai.user.message".into(),
        resource: Arc::clone(&resource),
        scope: Arc::new(Scope { name: "s".into(), ..Scope::default() }),
    };
    let without_span = LogRecord { body: AnyValue::from("plain"), resource, ..LogRecord::default() };
    let logs = vec![with_span, without_span];
    let bytes = logs_to_request(&logs).encode_to_vec();
    assert_eq!(decode_logs(&bytes, Encoding::Protobuf, None).expect("logs pb").items, logs);
    let json = logs_to_otlp_json(&logs);
    assert_eq!(decode_logs(json.as_bytes(), Encoding::Json, None).expect("logs json").items, logs);
    // A file holding a logs request imports as logs.
    let imported = import_file(Path::new("logs.pb"), &bytes, None).expect("import logs");
    assert_eq!(imported.logs, logs);
    let mut out = Vec::new();
    rootspan_ingest::write_jsonl_logs(&logs, &mut out).expect("write");
    let imported = import_file(Path::new("logs.jsonl"), &out, None).expect("import jsonl logs");
    assert_eq!(imported.logs, logs);
}

#[test]
fn project_assignment() {
    let mut spans = synthetic();
    let resource = Arc::new(Resource {
        attributes: vec![KeyValue::new("rootspan.project", AnyValue::from("from-resource"))],
        ..Resource::default()
    });
    spans.iter_mut().for_each(|s| s.resource = Arc::clone(&resource));
    let bytes = spans_to_request(&spans).encode_to_vec();
    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("decode");
    assert!(decoded.items.iter().all(|s| s.project == "from-resource"));
    let decoded = decode_traces(&bytes, Encoding::Protobuf, Some("from-header")).expect("decode");
    assert!(decoded.items.iter().all(|s| s.project == "from-header"));
    let plain = spans_to_request(&synthetic()).encode_to_vec();
    let decoded = decode_traces(&plain, Encoding::Protobuf, None).expect("decode");
    assert!(decoded.items.iter().all(|s| s.project == rootspan_model::DEFAULT_PROJECT));
}

#[test]
fn huge_values_are_truncated_not_rejected() {
    let mut span = Span::new([1; 16], [1; 8], "big");
    let big = "é".repeat(rootspan_ingest::MAX_VALUE_BYTES); // 2 MiB
    span.attributes = vec![
        KeyValue::new("gen_ai.input.messages", AnyValue::String(big.clone())),
        KeyValue::new("small", AnyValue::from("x")),
    ];
    span.events = vec![Event {
        name: "e".into(),
        attributes: vec![KeyValue::new("blob", AnyValue::Bytes(vec![7; 3 << 20]))],
        ..Event::default()
    }];
    let bytes = spans_to_request(std::slice::from_ref(&span)).encode_to_vec();
    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("decode");
    assert_eq!((decoded.items.len(), decoded.rejected, decoded.truncated), (1, 0, 1));
    let out = &decoded.items[0];
    let AnyValue::String(kept) = &out.attributes[0].value else { panic!("string expected") };
    assert!(kept.len() <= rootspan_ingest::MAX_VALUE_BYTES && kept.len() > rootspan_ingest::MAX_VALUE_BYTES - 4);
    assert!(
        matches!(&out.events[0].attributes[0].value, AnyValue::Bytes(b) if b.len() == rootspan_ingest::MAX_VALUE_BYTES)
    );
    assert_eq!(
        out.attr(rootspan_ingest::TRUNCATED_KEY),
        Some(&AnyValue::Array(vec![AnyValue::from("gen_ai.input.messages"), AnyValue::from("events[0].blob")]))
    );
    assert!(decoded.rejection_messages[0].contains("resourceSpans[0].scopeSpans[0].spans[0]"));
    // Re-importing a truncated span changes nothing.
    assert_eq!(through_protobuf(&decoded.items), decoded.items);
}
