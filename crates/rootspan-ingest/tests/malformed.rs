//! Hostile and broken input: truncated protobuf, random bytes, JSON with wrong types, ids of the
//! wrong length (partial success), snake_case JSON, truncated gzip, a gzip bomb. Nothing panics.

mod common;

use rootspan_ingest::{
    Encoding, IngestErrorKind, decode_logs, decode_traces, decompress_gzip, detect_format, import_file,
};
use std::io::Write;
use std::path::Path;

const SPAN_OK: &str = r#"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"ok"}"#;

fn request(spans: &[&str]) -> String {
    format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, spans.join(","))
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn everything(bytes: &[u8]) {
    for encoding in [Encoding::Protobuf, Encoding::Json] {
        let _ = decode_traces(bytes, encoding, None);
        let _ = decode_logs(bytes, encoding, Some("p"));
    }
    let _ = decompress_gzip(bytes, 1 << 20);
    for name in ["x.pb", "x.json", "x.jsonl", "x"] {
        let _ = detect_format(Path::new(name), bytes);
        let _ = import_file(Path::new(name), bytes, None);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let len = (rng.next() % 300) as usize;
        let mut bytes = rng.bytes(len);
        if round % 3 == 0 && !bytes.is_empty() {
            bytes[0] = 0x0a; // looks like an OTLP request field 1
        }
        if round % 5 == 0 {
            bytes.splice(0..0, *b"{\"resourceSpans\":[");
        }
        everything(&bytes);
    }
}

#[test]
fn truncated_protobuf_is_malformed_or_partial_never_panics() {
    let Some(dir) = common::data_dir("otel-clients") else { return };
    let bytes = common::read(&dir.join("pai_healthy.pb"));
    let full = decode_traces(&bytes, Encoding::Protobuf, None).expect("full").items.len();
    let mut errors = 0;
    for cut in 1..bytes.len() {
        match decode_traces(&bytes[..cut], Encoding::Protobuf, None) {
            Err(error) => {
                assert!(matches!(error.kind, IngestErrorKind::Malformed | IngestErrorKind::Empty), "{error}");
                errors += 1;
            }
            Ok(decoded) => assert!(decoded.items.len() <= full),
        }
    }
    let error = decode_traces(&bytes[..bytes.len() - 1], Encoding::Protobuf, None).expect_err("cut by one byte");
    assert_eq!(error.kind, IngestErrorKind::Malformed);
    assert!(error.message.contains("ExportTraceServiceRequest"), "{}", error.message);
    assert!(errors > bytes.len() / 2);
    // Flipped bytes too.
    let mut rng = Rng(7);
    for _ in 0..500 {
        let mut mutated = bytes.clone();
        let at = (rng.next() as usize) % mutated.len();
        mutated[at] = rng.next() as u8;
        everything(&mutated);
    }
    // The JSON file, cut anywhere.
    let json = common::read(&dir.join("pai_healthy.json"));
    for cut in (1..json.len()).step_by(97) {
        assert!(decode_traces(&json[..cut], Encoding::Json, None).is_err());
    }
}

#[test]
fn json_with_wrong_types_names_the_position() {
    for body in [
        r#"{"resourceSpans":"x"}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":42}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
        r#"[1,2,3]"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"intValue":"x"}}]}]}]}]}"#,
        "{\"resourceSpans\":[",
    ] {
        let error = decode_traces(body.as_bytes(), Encoding::Json, None).err().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(error.kind, IngestErrorKind::Malformed, "{body}");
        assert!(error.message.contains("line 1 column"), "{body}: {}", error.message);
    }
}

#[test]
fn bad_id_lengths_are_partial_success() {
    let body = request(&[
        SPAN_OK,
        r#"{"traceId":"0102030405060708","spanId":"0102030405060709","name":"short trace"}"#,
        r#"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"01020304","name":"short span"}"#,
        r#"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060709","parentSpanId":"0102","name":"bad parent"}"#,
        r#"{"traceId":"00000000000000000000000000000000","spanId":"0102030405060709","name":"zero trace"}"#,
        r#"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060709","links":[{"traceId":"01","spanId":"0102030405060708"}]}"#,
    ]);
    let decoded = decode_traces(body.as_bytes(), Encoding::Json, None).expect("partial success");
    assert_eq!(decoded.items.len(), 1);
    assert_eq!(decoded.rejected, 5);
    let messages = &decoded.rejection_messages;
    assert_eq!(
        messages[0],
        "resourceSpans[0].scopeSpans[0].spans[1].traceId: must be 16 bytes, got 8 (span \"short trace\")"
    );
    assert!(messages[1].starts_with("resourceSpans[0].scopeSpans[0].spans[2].spanId: must be 8 bytes, got 4"));
    assert!(messages[2].contains("spans[3].parentSpanId: must be empty or 8 bytes, got 2"));
    assert!(messages[3].contains("spans[4].traceId: must not be all zeroes"));
    assert!(messages[4].contains("spans[5].links[0].traceId: must be 16 bytes, got 1"));
}

#[test]
fn empty_and_snake_case_and_tolerated_json() {
    assert_eq!(decode_traces(b"", Encoding::Json, None).map(|d| d.items.len()), Ok(0));
    assert_eq!(decode_traces(b"", Encoding::Protobuf, None).map(|d| d.items.len()), Ok(0));
    assert_eq!(decode_traces(br#"{"resourceSpans":[]}"#, Encoding::Json, None).map(|d| d.items.len()), Ok(0));
    let error = decode_traces(br#"{"resource_spans":[{"scope_spans":[]}]}"#, Encoding::Json, None).expect_err("snake");
    assert_eq!(error.kind, IngestErrorKind::Empty);
    assert!(error.message.contains("snake_case"), "{}", error.message);
    let error = decode_traces(br#"{"resourceLogs":[]}"#, Encoding::Json, None).expect_err("logs body");
    assert_eq!(error.kind, IngestErrorKind::Empty);
    assert!(error.message.contains("resourceLogs"), "{}", error.message);
    // A protobuf body with only an unknown field decodes to nothing: Empty.
    let error = decode_traces(&[0x10, 0x01], Encoding::Protobuf, None).expect_err("unknown field");
    assert_eq!(error.kind, IngestErrorKind::Empty);
    // null members and NaN-as-string are tolerated.
    let span = r#"{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","parentSpanId":null,"name":null,
        "attributes":[{"key":"d","value":{"doubleValue":"NaN"}},{"key":"n","value":null}],"status":null}"#;
    let decoded = decode_traces(request(&[span]).as_bytes(), Encoding::Json, None).expect("tolerated");
    assert_eq!(decoded.items.len(), 1);
    assert!(matches!(decoded.items[0].attributes[0].value, rootspan_model::AnyValue::Double(n) if n.is_nan()));
}

#[test]
fn logs_without_span_id_are_kept_bad_ids_rejected() {
    let body = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
        {"body":{"stringValue":"no ids"}},
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","body":{"stringValue":"with ids"}},
        {"traceId":"0102","body":{"stringValue":"bad"}}]}]}]}"#;
    let decoded = decode_logs(body.as_bytes(), Encoding::Json, None).expect("logs");
    assert_eq!((decoded.items.len(), decoded.rejected), (2, 1));
    assert_eq!(decoded.items[0].span_id, [0; 8]);
    assert_eq!(decoded.items[1].span_id, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(decoded.rejection_messages[0].starts_with("resourceLogs[0].scopeLogs[0].logRecords[2].traceId"));
}

#[test]
fn gzip_truncated_and_bomb() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(request(&[SPAN_OK]).as_bytes()).expect("gzip");
    let gz = encoder.finish().expect("gzip");
    let plain = decompress_gzip(&gz, 1 << 20).expect("inflate");
    assert_eq!(decode_traces(&plain, Encoding::Json, None).expect("decode").items.len(), 1);
    for cut in 0..gz.len() {
        let error = decompress_gzip(&gz[..cut], 1 << 20).expect_err("truncated gzip");
        assert_eq!(error.kind, IngestErrorKind::Malformed, "cut at {cut}: {error}");
    }
    // 32 MiB of zeros compress to ~32 KiB; the cap stops it at 4 MiB.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..32 {
        encoder.write_all(&zeros).expect("bomb");
    }
    let bomb = encoder.finish().expect("bomb");
    assert!(bomb.len() < 100_000);
    let error = decompress_gzip(&bomb, 4 << 20).expect_err("bomb");
    assert_eq!(error.kind, IngestErrorKind::TooLarge);
    assert!(error.message.contains("4194304"), "{}", error.message);
    // Through import_file too (default cap is larger, so the bomb inflates, then is not a format).
    assert!(import_file(Path::new("bomb.gz"), &bomb, None).is_err());
    // A gzip'd OTLP/JSON file imports.
    let imported = import_file(Path::new("trace.json.gz"), &gz, None).expect("gz import");
    assert_eq!(imported.spans.len(), 1);
}

#[test]
fn jsonl_and_trail_garbage() {
    let jsonl = b"{\"type\":\"span\",\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\",\"span_id\":\"0102030405060708\"}\n{\"type\":\"span\",\"span_id\":1}\n{\"type\":\"nope\"}\n\xff\xfe\n{\"type\":\"span\",\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\",\"span_id\":\"0102030405060709\",\"attributes\":{\"x\":{\"int\":\"zz\"}}}\n";
    let imported = import_file(Path::new("a.jsonl"), jsonl, None).expect("jsonl");
    assert_eq!((imported.spans.len(), imported.rejected), (1, 4));
    assert!(imported.messages.iter().any(|m| m.starts_with("line 4: not valid UTF-8")));
    assert!(
        imported.messages.iter().any(|m| m.starts_with("line 5:") && m.contains("int64")),
        "{:?}",
        imported.messages
    );
    let trail = br#"{"trace_id":"t","spans":[{"span_id":"0102030405060708","timestamp":"yesterday","duration":"long","child_spans":[3,{"no":"id"}]}]}"#;
    let imported = import_file(Path::new("t.json"), trail, None).expect("trail");
    assert_eq!((imported.spans.len(), imported.rejected), (1, 2));
    assert!(imported.messages.iter().any(|m| m.contains("spans[0].timestamp: not an ISO-8601 timestamp")));
    assert!(imported.messages.iter().any(|m| m.contains("spans[0].child_spans[1].span_id: missing")));
    let error = import_file(Path::new("t.json"), br#"{"trace_id":"t","spans":{}}"#, None).expect_err("bad trail");
    assert_eq!(error.kind, IngestErrorKind::Malformed);
    assert!(error.message.contains("t.json: TRAIL: missing array \"spans\""), "{}", error.message);
    let error = import_file(Path::new("x.txt"), b"hello", None).expect_err("unknown");
    assert_eq!(error.kind, IngestErrorKind::Unsupported);
}
