//! Limits that must hold for data real exporters send: invalid UTF-8 costs only the value it is
//! in (repaired with U+FFFD, noted, the span kept), all-zero ids, absurd timestamps, and the empty
//! OTLP/JSON object.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue as ProtoValue, KeyValue as ProtoKeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1 as logs;
use opentelemetry_proto::tonic::trace::v1 as trace;
use prost::Message;
use rootspan_ingest::{Encoding, IngestErrorKind, decode_logs, decode_traces, detect_format, import_file};
use rootspan_model::AnyValue;
use std::path::Path;

const TRACE: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const FFFD: &str = "\u{FFFD}";

fn text(key: &str, value: &str) -> ProtoKeyValue {
    ProtoKeyValue {
        key: key.to_owned(),
        value: Some(ProtoValue { value: Some(any_value::Value::StringValue(value.to_owned())) }),
        ..Default::default()
    }
}

fn span(index: u8, name: &str, attributes: Vec<ProtoKeyValue>) -> trace::Span {
    trace::Span {
        trace_id: TRACE.to_vec(),
        span_id: vec![0, 0, 0, 0, 0, 0, 0, index + 1],
        name: name.to_owned(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_001_000_000_000,
        attributes,
        ..Default::default()
    }
}

fn trace_request(spans: Vec<trace::Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![trace::ResourceSpans {
            resource: Some(opentelemetry_proto::tonic::resource::v1::Resource {
                attributes: vec![text("service.name", "svc")],
                ..Default::default()
            }),
            scope_spans: vec![trace::ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

/// Replaces the first two bytes of every occurrence of `marker` with 0xFF 0xFE (never UTF-8).
fn poison(bytes: &mut [u8], marker: &str) {
    let marker = marker.as_bytes();
    let mut found = 0;
    let mut at = 0;
    while at + marker.len() <= bytes.len() {
        if &bytes[at..at + marker.len()] == marker {
            bytes[at] = 0xFF;
            bytes[at + 1] = 0xFE;
            found += 1;
            at += marker.len();
        } else {
            at += 1;
        }
    }
    assert!(found > 0, "marker {:?} not in the bytes", String::from_utf8_lossy(marker));
}

fn three_spans_with_bad_utf8() -> Vec<u8> {
    let request = trace_request(vec![
        span(0, "healthy", vec![text("gen_ai.system", "openai")]),
        span(1, "ZZbadname-marker", vec![text("gen_ai.system", "openai")]),
        span(2, "third", vec![text("gen_ai.prompt", "ZZbadvalue-marker"), text("other", "fine")]),
    ]);
    let mut bytes = request.encode_to_vec();
    poison(&mut bytes, "ZZbadname-marker");
    poison(&mut bytes, "ZZbadvalue-marker");
    bytes
}

#[test]
fn invalid_utf8_in_protobuf_traces_costs_only_the_value() {
    let bytes = three_spans_with_bad_utf8();
    let strict = ExportTraceServiceRequest::decode(bytes.as_slice()).expect_err("prost refuses the body");
    assert!(strict.to_string().contains("UTF-8"), "{strict}");

    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("the request is accepted");
    assert_eq!(decoded.items.len(), 3, "{:?}", decoded.rejection_messages);
    assert_eq!((decoded.rejected, decoded.repaired), (0, 2));
    assert_eq!(decoded.items[0].name, "healthy");
    assert_eq!(decoded.items[1].name, format!("{FFFD}{FFFD}badname-marker"));
    let prompt = rootspan_model::value::find(&decoded.items[2].attributes, "gen_ai.prompt");
    assert_eq!(prompt, Some(&AnyValue::String(format!("{FFFD}{FFFD}badvalue-marker"))));
    let other = rootspan_model::value::find(&decoded.items[2].attributes, "other");
    assert_eq!(other, Some(&AnyValue::from("fine")));
    assert_eq!(decoded.items[2].resource.attributes[0].value, AnyValue::from("svc"));

    let notes = &decoded.rejection_messages;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("resourceSpans[0].scopeSpans[0].spans[1]: invalid UTF-8 replaced with U+FFFD in name"),
        "{notes:?}"
    );
    assert!(notes[1].starts_with("resourceSpans[0].scopeSpans[0].spans[2]:"), "{notes:?}");
    assert!(notes[1].contains("attributes[gen_ai.prompt]") && !notes[1].contains("other"), "{notes:?}");

    // Files: detected and imported the same way, with or without an extension.
    for name in ["bad.pb", "bad"] {
        assert_eq!(detect_format(Path::new(name), &bytes), Some(rootspan_ingest::FileFormat::OtlpProtobuf));
        let imported = import_file(Path::new(name), &bytes, None).expect("import");
        assert_eq!((imported.spans.len(), imported.rejected), (3, 0));
        assert!(imported.messages.iter().any(|m| m.contains("spans[1]") && m.contains("U+FFFD")));
    }
}

#[test]
fn invalid_utf8_with_another_fault_is_still_malformed() {
    let bytes = three_spans_with_bad_utf8();
    let error = decode_traces(&bytes[..bytes.len() - 3], Encoding::Protobuf, None).expect_err("truncated");
    assert_eq!(error.kind, IngestErrorKind::Malformed);
    assert!(error.message.contains("ExportTraceServiceRequest"), "{}", error.message);
}

#[test]
fn invalid_utf8_in_resource_is_noted_on_every_span() {
    let mut request = trace_request(vec![span(0, "a", Vec::new()), span(1, "b", Vec::new())]);
    if let Some(resource) = request.resource_spans[0].resource.as_mut() {
        resource.attributes.push(text("host.name", "ZZbadhost-marker"));
    }
    let mut bytes = request.encode_to_vec();
    poison(&mut bytes, "ZZbadhost-marker");
    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("accepted");
    assert_eq!((decoded.items.len(), decoded.repaired), (2, 2));
    assert!(decoded.rejection_messages.iter().all(|m| m.contains("resource.attributes[host.name]")));
    let host = rootspan_model::value::find(&decoded.items[1].resource.attributes, "host.name");
    assert_eq!(host, Some(&AnyValue::String(format!("{FFFD}{FFFD}badhost-marker"))));
}

#[test]
fn invalid_utf8_in_protobuf_logs_costs_only_the_value() {
    let record = |index: u8, body: &str, attributes: Vec<ProtoKeyValue>| logs::LogRecord {
        time_unix_nano: 5,
        trace_id: TRACE.to_vec(),
        span_id: vec![0, 0, 0, 0, 0, 0, 0, index + 1],
        body: Some(ProtoValue { value: Some(any_value::Value::StringValue(body.to_owned())) }),
        attributes,
        ..Default::default()
    };
    let request = ExportLogsServiceRequest {
        resource_logs: vec![logs::ResourceLogs {
            scope_logs: vec![logs::ScopeLogs {
                log_records: vec![
                    record(0, "fine", Vec::new()),
                    record(1, "ZZbadbody-marker", Vec::new()),
                    record(2, "also fine", vec![text("event.name", "ZZbadattr-marker")]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let mut bytes = request.encode_to_vec();
    poison(&mut bytes, "ZZbadbody-marker");
    poison(&mut bytes, "ZZbadattr-marker");
    assert!(ExportLogsServiceRequest::decode(bytes.as_slice()).is_err());

    let decoded = decode_logs(&bytes, Encoding::Protobuf, None).expect("accepted");
    assert_eq!(decoded.items.len(), 3);
    assert_eq!((decoded.rejected, decoded.repaired), (0, 2));
    assert_eq!(decoded.items[1].body, AnyValue::String(format!("{FFFD}{FFFD}badbody-marker")));
    assert_eq!(decoded.items[2].attributes[0].value, AnyValue::String(format!("{FFFD}{FFFD}badattr-marker")));
    let notes = &decoded.rejection_messages;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        notes[0], "resourceLogs[0].scopeLogs[0].logRecords[1]: invalid UTF-8 replaced with U+FFFD in body",
        "{notes:?}"
    );
    assert!(notes[1].starts_with("resourceLogs[0].scopeLogs[0].logRecords[2]:") && notes[1].contains("event.name"));
}

const JSON_SPANS: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000001","name":"healthy"},
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000002","name":"ZZbadname-marker"},
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000003","name":"third",
     "attributes":[{"key":"gen_ai.prompt","value":{"stringValue":"ZZbadvalue-marker"}}]}]}]}]}"#;

#[test]
fn invalid_utf8_in_json_traces_is_repaired_and_noted() {
    let mut bytes = JSON_SPANS.as_bytes().to_vec();
    poison(&mut bytes, "ZZbadname-marker");
    poison(&mut bytes, "ZZbadvalue-marker");
    assert!(std::str::from_utf8(&bytes).is_err());
    let decoded = decode_traces(&bytes, Encoding::Json, None).expect("accepted");
    assert_eq!(decoded.items.len(), 3, "{:?}", decoded.rejection_messages);
    assert_eq!((decoded.rejected, decoded.repaired), (0, 2));
    assert_eq!(decoded.items[1].name, format!("{FFFD}{FFFD}badname-marker"));
    assert_eq!(decoded.items[2].attributes[0].value, AnyValue::String(format!("{FFFD}{FFFD}badvalue-marker")));
    let notes = &decoded.rejection_messages;
    assert!(
        notes[0].starts_with("resourceSpans[0].scopeSpans[0].spans[1]: invalid UTF-8") && notes[0].contains("name")
    );
    assert!(notes[1].starts_with("resourceSpans[0].scopeSpans[0].spans[2]:") && notes[1].contains("gen_ai.prompt"));
    // A JSON file: detected and imported too.
    let imported = import_file(Path::new("bad.json"), &bytes, None).expect("import");
    assert_eq!(imported.spans.len(), 3);
}

#[test]
fn invalid_utf8_in_json_logs_is_repaired_and_noted() {
    let body = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"body":{"stringValue":"fine"}},{"body":{"stringValue":"ZZbadbody-marker"}}]}]}]}"#;
    let mut bytes = body.as_bytes().to_vec();
    poison(&mut bytes, "ZZbadbody-marker");
    let decoded = decode_logs(&bytes, Encoding::Json, None).expect("accepted");
    assert_eq!((decoded.items.len(), decoded.rejected, decoded.repaired), (2, 0, 1));
    assert_eq!(decoded.items[1].body, AnyValue::String(format!("{FFFD}{FFFD}badbody-marker")));
    assert_eq!(
        decoded.rejection_messages,
        ["resourceLogs[0].scopeLogs[0].logRecords[1]: invalid UTF-8 replaced with U+FFFD in body"]
    );
}

#[test]
fn all_zero_parent_is_a_root_and_all_zero_ids_are_rejected() {
    // Protobuf.
    let mut root = span(0, "root", Vec::new());
    root.parent_span_id = vec![0; 8];
    let mut zero_trace = span(1, "zero trace", Vec::new());
    zero_trace.trace_id = vec![0; 16];
    let mut zero_span = span(2, "zero span", Vec::new());
    zero_span.span_id = vec![0; 8];
    let mut child = span(3, "child", Vec::new());
    child.parent_span_id = vec![0, 0, 0, 0, 0, 0, 0, 1];
    let bytes = trace_request(vec![root, zero_trace, zero_span, child]).encode_to_vec();
    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("partial success");
    assert_eq!((decoded.items.len(), decoded.rejected), (2, 2));
    assert_eq!(decoded.items[0].parent_span_id, None);
    assert_eq!(decoded.items[1].parent_span_id, Some([0, 0, 0, 0, 0, 0, 0, 1]));
    assert!(decoded.rejection_messages[0].contains("spans[1].traceId"), "{:?}", decoded.rejection_messages);
    assert!(decoded.rejection_messages[1].contains("spans[2].spanId"), "{:?}", decoded.rejection_messages);

    // OTLP/JSON.
    let body = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000001","parentSpanId":"0000000000000000","name":"root"},
        {"traceId":"00000000000000000000000000000000","spanId":"0000000000000002","name":"zero trace"}]}]}]}"#;
    let decoded = decode_traces(body.as_bytes(), Encoding::Json, None).expect("partial success");
    assert_eq!((decoded.items.len(), decoded.rejected), (1, 1));
    assert_eq!(decoded.items[0].parent_span_id, None);
    assert!(decoded.rejection_messages[0].contains("traceId"), "{:?}", decoded.rejection_messages);
}

#[test]
fn absurd_timestamps_are_kept_as_sent() {
    let cases = [(u64::MAX, u64::MAX), (u64::MAX, 0), (2_000, 1_000), (0, 0), (0, u64::MAX)];
    let spans = cases
        .iter()
        .enumerate()
        .map(|(index, (start, end))| trace::Span {
            start_time_unix_nano: *start,
            end_time_unix_nano: *end,
            ..span(index as u8, "t", Vec::new())
        })
        .collect();
    let bytes = trace_request(spans).encode_to_vec();
    let decoded = decode_traces(&bytes, Encoding::Protobuf, None).expect("kept");
    assert_eq!((decoded.items.len(), decoded.rejected), (cases.len(), 0));
    for (span, (start, end)) in decoded.items.iter().zip(cases) {
        assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (start, end));
    }
    let body = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",
        "spanId":"0000000000000001","startTimeUnixNano":"18446744073709551615","endTimeUnixNano":"18446744073709551615"}]}]}]}"#;
    let decoded = decode_traces(body.as_bytes(), Encoding::Json, None).expect("kept");
    assert_eq!(decoded.items.len(), 1);
    assert_eq!((decoded.items[0].start_time_unix_nano, decoded.items[0].end_time_unix_nano), (u64::MAX, u64::MAX));
}

#[test]
fn empty_json_object_is_an_empty_request() {
    for body in ["{}", " { } \n", r#"{"resourceSpans": []}"#] {
        let decoded = decode_traces(body.as_bytes(), Encoding::Json, None).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!((decoded.items.len(), decoded.rejected), (0, 0), "{body}");
    }
    for body in ["{}", r#"{"resourceLogs": []}"#] {
        let decoded = decode_logs(body.as_bytes(), Encoding::Json, None).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert!(decoded.items.is_empty(), "{body}");
    }
    let error = decode_traces(br#"{"resourceLogs": []}"#, Encoding::Json, None).expect_err("wrong signal");
    assert_eq!(error.kind, IngestErrorKind::Empty);
    assert!(error.message.contains("resourceLogs"), "{}", error.message);
    let error = decode_logs(br#"{"resourceSpans": []}"#, Encoding::Json, None).expect_err("wrong signal");
    assert!(error.message.contains("resourceSpans"), "{}", error.message);
    let error = decode_traces(br#"{"resource_spans": []}"#, Encoding::Json, None).expect_err("snake_case");
    assert!(error.message.contains("snake_case"), "{}", error.message);
    let error = decode_traces(br#"{"spans": []}"#, Encoding::Json, None).expect_err("no expected key");
    assert_eq!(error.kind, IngestErrorKind::Empty);
}
