//! Redaction at ingest, end to end: a corpus of planted secrets sent through OTLP/HTTP (JSON,
//! traces and logs), OTLP/gRPC and `rootspan ingest`, then looked for everywhere: the raw store
//! file and its WAL, REST, MCP, `show --json`, exports, full-text search and a forwarded copy.

mod support;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue as OtlpValue, KeyValue as OtlpKeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord as OtlpLogRecord, ResourceLogs, ScopeLogs};
use prost::Message;
use rootspan_model::{AnyValue, Event, KeyValue, Resource, Span, StatusCode};
use std::sync::Arc;
use support::*;

/// (rule, secret): every secret is unique to this test, so a hit anywhere is a leak.
const SECRETS: &[(&str, &str)] = &[
    ("openai_key", "sk-proj-Zq8rT2vLm9XcKp4WbN7yHs3JdFg6QaEuRt1ViOoPzYx5Mn0Lk"),
    ("anthropic_key", "sk-ant-api03-Hh7Ff2Dd9Ss4Aa1Qq8Ww3Ee6Rr5Tt0YyUuIiOoPp"),
    ("aws_access_key", "AKIAZ7QW3ER5TY9UI2OP"),
    ("github_token", "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9"),
    ("google_api_key", "AIzaSyQ1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J"),
    ("slack_token", "xoxb-918273645012-Zx9Cv8Bn7Mq6"),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLXVzZXIifQ.Wq3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc"),
    ("email", "planted.person@secret-mail.example"),
    ("card_number", "5555 5555 5555 4444"),
    ("phone_number", "+44 20 7946 0958"),
];

/// The distinctive part of each secret (a match is replaced whole, so no part may survive).
fn needle(secret: &str) -> &str {
    &secret[secret.len() - 12..]
}

fn text(value: &str) -> AnyValue {
    AnyValue::String(value.to_owned())
}

/// A trace with every secret planted in a different place: span attributes (plain and nested in
/// JSON text), an event, the resource, the status message, the span name, an authorization
/// header attribute.
fn planted(trace: u8) -> Vec<Span> {
    let mut root = rootspan_testkit::span(trace, 1, None, 1_000_000, "agent run");
    let (rule, first) = SECRETS[0];
    assert_eq!(rule, "openai_key");
    root.attributes = vec![
        KeyValue::new("gen_ai.operation.name", text("chat")),
        KeyValue::new(
            "gen_ai.input.messages",
            text(&format!("[{{\"role\":\"user\",\"content\":\"my key is {first}\"}}]")),
        ),
        KeyValue::new(
            "tool.arguments",
            text(&format!("{{\"token\":\"{}\",\"mail\":\"{}\"}}", SECRETS[1].1, SECRETS[7].1)),
        ),
        KeyValue::new("http.request.header.authorization", AnyValue::Array(vec![text("Basic cGxhbnRlZDpob3VzZQ==")])),
        KeyValue::new("nested", AnyValue::KvList(vec![KeyValue::new("aws", text(SECRETS[2].1))])),
    ];
    root.events.push(Event {
        name: "exception".into(),
        time_unix_nano: 1_500_000,
        attributes: vec![KeyValue::new("exception.message", text(&format!("push failed for {}", SECRETS[3].1)))],
        dropped_attributes_count: 0,
    });
    root.status.code = StatusCode::Error;
    root.status.message = format!("quota of {} exceeded", SECRETS[4].1);
    let mut resource = Resource::default();
    resource.attributes =
        vec![KeyValue::new("service.name", text("planted")), KeyValue::new("deploy.slack", text(SECRETS[5].1))];
    root.resource = Arc::new(resource);
    let mut child = rootspan_testkit::span(trace, 2, Some(1), 1_100_000, &format!("call {}", SECRETS[6].1));
    child.attributes =
        vec![KeyValue::new("customer.card", text(SECRETS[8].1)), KeyValue::new("customer.phone", text(SECRETS[9].1))];
    child.resource = root.resource.clone();
    vec![root, child]
}

fn log_request(trace: u8) -> ExportLogsServiceRequest {
    let string = |s: &str| Some(OtlpValue { value: Some(any_value::Value::StringValue(s.into())) });
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![OtlpLogRecord {
                    trace_id: vec![trace; 16],
                    span_id: vec![2; 8],
                    event_name: "gen_ai.user.message".into(),
                    body: string(&format!("the log says {}", SECRETS[0].1)),
                    attributes: vec![OtlpKeyValue {
                        key: "db.password".into(),
                        value: string("hunter2-planted"),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn assert_clean(what: &str, haystack: &[u8]) {
    let haystack = String::from_utf8_lossy(haystack);
    for (rule, secret) in SECRETS {
        assert!(!haystack.contains(needle(secret)), "{what}: the {rule} secret leaked");
    }
    for extra in ["cGxhbnRlZDpob3VzZQ", "hunter2-planted"] {
        assert!(!haystack.contains(extra), "{what}: {extra} leaked");
    }
}

fn query_text(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn store_files(store: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(store).unwrap();
    let mut wal = store.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    bytes
}

#[test]
fn planted_secrets_leak_nowhere_through_any_transport() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("redact.db");
    let store_arg = store.to_str().unwrap();
    // `rootspan ingest` of an OTLP/JSON file.
    let file = dir.path().join("planted.json");
    std::fs::write(&file, rootspan_ingest::spans_to_otlp_json(&planted(0xc3))).unwrap();
    let ingested = cli(&["ingest", "--store", store_arg, file.to_str().unwrap()]);
    assert!(ingested.status.success(), "{}", String::from_utf8_lossy(&ingested.stderr));

    // A forward target (a second server) receives what the first one stored.
    let target_store = dir.path().join("target.db");
    let target = Server::start(&target_store);
    let forward = format!("http://127.0.0.1:{}", target.http);
    let server = Server::start_with(&store, free_port(), free_port(), &["--forward", &forward]);
    let client = reqwest::blocking::Client::new();
    let sent = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/json")
        .body(rootspan_ingest::spans_to_otlp_json(&planted(0xa1)))
        .send()
        .unwrap();
    assert_eq!(sent.status(), 200);
    let logs = client
        .post(server.url("/v1/logs"))
        .header("content-type", "application/x-protobuf")
        .body(log_request(0xa1).encode_to_vec())
        .send()
        .unwrap();
    assert_eq!(logs.status(), 200);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut grpc = TraceServiceClient::connect(format!("http://127.0.0.1:{}", server.grpc)).await.unwrap();
        grpc.export(rootspan_ingest::spans_to_request(&planted(0xb2))).await.unwrap();
    });

    let traces = ["a1", "b2", "c3"].map(|byte| byte.repeat(16));
    for trace in &traces {
        let view = client.get(server.url(&format!("/api/v1/traces/{trace}"))).send().unwrap();
        assert_eq!(view.status(), 200, "{trace}");
        let view = view.bytes().unwrap();
        assert_clean(&format!("REST trace {trace}"), &view);
        assert!(String::from_utf8_lossy(&view).contains("[REDACTED:openai_key]"), "the shape is kept");
        for span in ["0101010101010101", "0202020202020202"] {
            let payload = client.get(server.url(&format!("/api/v1/traces/{trace}/spans/{span}"))).send().unwrap();
            assert_clean(&format!("REST span {trace}/{span}"), &payload.bytes().unwrap());
        }
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_span", "arguments": {"trace_id": trace, "span_id": "0202020202020202"}}});
        let mcp = client.post(server.url("/mcp")).json(&body).send().unwrap().bytes().unwrap();
        assert_clean("MCP get_span", &mcp);
        assert!(String::from_utf8_lossy(&mcp).contains("REDACTED"), "MCP answered the span");
        let shown = cli(&["show", "--store", store_arg, trace, "--json"]);
        assert!(shown.status.success());
        assert_clean("show --json", &shown.stdout);
        for format in ["otlp-json", "jsonl"] {
            let exported = cli(&["export", "--store", store_arg, trace, "--format", format]);
            assert!(exported.status.success());
            assert_clean(&format!("export {format}"), &exported.stdout);
        }
        let page = client.get(server.url(&format!("/traces/{trace}"))).send().unwrap().bytes().unwrap();
        assert_clean("UI trace page", &page);
    }
    let log_span =
        client.get(server.url(&format!("/api/v1/traces/{}/spans/0202020202020202", traces[0]))).send().unwrap();
    let log_span = log_span.text().unwrap();
    assert!(log_span.contains("the log says [REDACTED:openai_key]"), "the log record arrived, redacted: {log_span}");
    for (_, secret) in SECRETS {
        let found: serde_json::Value = client
            .get(server.url(&format!("/api/v1/traces?q={}", query_text(needle(secret)))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(found["traces"].as_array().unwrap().len(), 0, "search finds no secret");
    }
    let metrics = client.get(server.url("/metrics")).send().unwrap().text().unwrap();
    let count = |rule: &str| -> u64 {
        let prefix = format!("rootspan_redactions_total{{rule=\"{rule}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    assert!(count("openai_key") >= 3, "HTTP spans, HTTP logs and gRPC: {metrics}");
    assert!(count("attribute_key") >= 3);
    assert_clean("the store file and WAL while serving", &store_files(&store));

    // The forwarded copy (traces; redacted logs are not forwarded).
    let mut forwarded = None;
    for _ in 0..200 {
        let listed: serde_json::Value = client.get(target.url("/api/v1/traces")).send().unwrap().json().unwrap();
        if listed["traces"].as_array().is_some_and(|t| t.len() >= 2) {
            forwarded = Some(listed);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(forwarded.is_some(), "both traces were forwarded");
    for trace in &traces[..2] {
        let copy = client.get(target.url(&format!("/api/v1/traces/{trace}"))).send().unwrap().bytes().unwrap();
        assert_clean("the forwarded copy", &copy);
    }
    drop(server);
    drop(target);
    assert_clean("the store file and WAL after a kill", &store_files(&store));
    assert_clean("the forward target's store", &store_files(&target_store));
}

#[test]
fn redaction_flags_add_rules_and_turn_builtins_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("flags.db");
    let store_arg = store.to_str().unwrap();
    let mut span = rootspan_testkit::span(0xd4, 1, None, 1_000, "root");
    span.attributes = vec![
        KeyValue::new("note", text("ticket TCK-99812 for planted.person@secret-mail.example")),
        KeyValue::new("app.session_token", text("opaque-planted-value")),
    ];
    let file = dir.path().join("flags.json");
    std::fs::write(&file, rootspan_ingest::spans_to_otlp_json(&[span])).unwrap();
    let output = cli(&[
        "ingest",
        "--store",
        store_arg,
        file.to_str().unwrap(),
        "--redact-rule",
        "ticket=TCK-\\d+",
        "--redact-key",
        "*.session_token",
        "--no-redact-builtin",
        "email",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let shown = String::from_utf8(cli(&["show", "--store", store_arg, "d4d4", "--json"]).stdout).unwrap();
    assert!(shown.contains("ticket [REDACTED:ticket] for planted.person@secret-mail.example"), "{shown}");
    assert!(shown.contains("[REDACTED:attribute_key]") && !shown.contains("opaque-planted-value"));
    let bad = cli(&["ingest", "--store", store_arg, file.to_str().unwrap(), "--no-redact-builtin", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown built-in redaction rule"));
}
