//! The application layer through the real binary: one export path for HTTP and gRPC, REST errors
//! mapped by kind, trace id prefixes and sessions over REST, the seed analyses, connections
//! closed cleanly after a body the server did not take, and a store written by release 0.1.

mod support;

use std::path::Path;
use support::*;

fn all_invalid_request() -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    let span = |name: &str| Span { trace_id: vec![1; 3], span_id: vec![1; 8], name: name.into(), ..Default::default() };
    opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans: vec![span("first bad"), span("second bad")], ..Default::default() }],
            ..Default::default()
        }],
    }
}

#[test]
fn a_request_whose_spans_are_all_invalid_answers_the_same_over_http_and_grpc() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    use prost::Message;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("invalid.db"));
    let client = reqwest::blocking::Client::new();
    let response = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
                {"traceId": "010101", "spanId": "0101010101010101", "name": "first bad"},
                {"traceId": "010101", "spanId": "0101010101010101", "name": "second bad"}
            ]}]}]})
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    let http_message = response.json::<serde_json::Value>().unwrap()["message"].as_str().unwrap().to_owned();
    let protobuf = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(all_invalid_request().encode_to_vec())
        .send()
        .unwrap();
    assert_eq!(protobuf.status(), 400);
    let status = opentelemetry_proto_status(&protobuf.bytes().unwrap());
    assert_eq!(status.1, http_message, "protobuf and JSON bodies are worded alike");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let grpc_error = runtime.block_on(async {
        let mut grpc = TraceServiceClient::connect(format!("http://127.0.0.1:{}", server.grpc)).await.unwrap();
        grpc.export(all_invalid_request()).await.expect_err("rejected")
    });
    assert_eq!(grpc_error.code(), tonic::Code::InvalidArgument);
    assert_eq!(grpc_error.message(), http_message, "HTTP and gRPC are worded alike");
    assert!(http_message.starts_with("2 spans rejected"), "{http_message}");
    assert!(http_message.contains("traceId"), "the message names the field: {http_message}");
    let listed: serde_json::Value = client.get(server.url("/api/traces")).send().unwrap().json().unwrap();
    assert_eq!(listed, serde_json::json!([]), "nothing was stored");
}

/// `google.rpc.Status` (code, message) from protobuf bytes.
fn opentelemetry_proto_status(bytes: &[u8]) -> (i32, String) {
    #[derive(Clone, PartialEq, prost::Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let status = <RpcStatus as prost::Message>::decode(bytes).expect("a google.rpc.Status body");
    (status.code, status.message)
}

#[test]
fn an_over_limit_body_closes_the_connection_and_the_next_request_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("limit.db");
    let http = free_port();
    let grpc = free_port();
    let mut child = std::process::Command::new(binary())
        .args(["serve", "--store", store.to_str().unwrap(), "--max-body-mib", "1"])
        .args(["--listen", &format!("127.0.0.1:{http}"), "--grpc-listen", &format!("127.0.0.1:{grpc}")])
        .env("ROOTSPAN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = wait_for(http, grpc);
    assert!(server);
    let client = reqwest::blocking::Client::new();
    let good = std::fs::read(shared_data().join("otel-clients/pai_healthy.pb")).unwrap();
    for round in 0..5 {
        let response = client
            .post(format!("http://127.0.0.1:{http}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(vec![b'x'; 3 * 1024 * 1024])
            .send()
            .unwrap_or_else(|e| panic!("round {round}: the over-limit request itself failed: {e}"));
        assert_eq!(response.status(), 413, "round {round}");
        assert_eq!(response.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
        let next = client
            .post(format!("http://127.0.0.1:{http}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(good.clone())
            .send()
            .unwrap_or_else(|e| panic!("round {round}: the request after a 413 failed: {e}"));
        assert_eq!(next.status(), 200, "round {round}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn wait_for(http: u16, grpc: u16) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok()
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

fn v1_fixture(dir: &Path) -> std::path::PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stores/v1");
    let store = dir.join("rootspan.db");
    std::fs::copy(fixture.join("rootspan.db"), &store).unwrap();
    store
}

fn fixture_json(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stores/v1").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn a_store_written_by_release_0_1_lists_and_diagnoses_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = v1_fixture(dir.path());
    let store = store.to_str().unwrap();
    let mut listed = cli_json(&["traces", "--store", store, "--json", "--limit", "1000"]);
    let diagnoses = fixture_json("diagnoses.json");
    // Release 0.1 listed no verdict; the one listed now is the failure mode of its diagnosis.
    for item in listed.as_array_mut().unwrap() {
        let item = item.as_object_mut().unwrap();
        let failure_mode = item.remove("failure_mode").unwrap();
        let silent = item.remove("silent_failure").unwrap();
        let diagnosed = &diagnoses[item["trace_id"].as_str().unwrap()]["failure_mode"];
        let expected = if diagnosed == "none" { serde_json::Value::Null } else { diagnosed.clone() };
        assert_eq!(failure_mode, expected, "{}", item["trace_id"]);
        assert_eq!(silent, false, "every failure of the fixture has an error span");
    }
    assert_eq!(listed, fixture_json("traces.json"));
    for (trace_id, expected) in diagnoses.as_object().unwrap() {
        let output = cli(&["diagnose", trace_id, "--store", store, "--json"]);
        let diagnosis: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(&diagnosis, expected, "diagnosis of {trace_id}");
    }
    let clusters = cli_json(&["clusters", "--store", store, "--json"]);
    assert_eq!(clusters.as_array().unwrap().len(), 2, "the two failure kinds of the fixture: {clusters}");
}

#[test]
fn rest_maps_errors_by_kind_and_resolves_prefixes_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let store = v1_fixture(dir.path());
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    let get = |path: &str| client.get(server.url(path)).send().unwrap();
    let error_of = |response: reqwest::blocking::Response| -> (u16, String) {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().unwrap();
        (status, body["error"].as_str().unwrap_or_default().to_owned())
    };
    let (status, message) = error_of(get("/api/traces/not-a-trace-id"));
    assert_eq!(status, 400);
    assert!(message.contains("not-a-trace-id"), "{message}");
    assert_eq!(error_of(get("/api/traces/abc")).0, 400, "fewer than 4 digits");
    assert_eq!(error_of(get("/api/traces/ffffffffffffffffffffffffffffffff")).0, 404);
    assert_eq!(error_of(get("/api/traces/ffff")).0, 404, "a prefix that matches nothing");
    let (status, message) = error_of(get("/api/traces?limit=abc"));
    assert_eq!(status, 400);
    assert!(message.contains("limit"), "the message names the field: {message}");
    assert_eq!(error_of(get("/api/traces?status=maybe")).0, 400);
    assert_eq!(error_of(get("/api/traces?nonsense=1")).0, 400);
    assert_eq!(error_of(get("/api/traces/2222/diagnosis")).0, 200, "prefixes resolve in REST");
    let trace: serde_json::Value = get("/api/traces/2222").json().unwrap();
    assert_eq!(trace["trace_id"], "22222222222222222222222222222222");
    let analysis: serde_json::Value = get("/api/traces/3333/analysis").json().unwrap();
    for key in [
        "critical_path",
        "dependency_graph",
        "context_drift",
        "state_validation",
        "calibration",
        "retrieval_audit",
        "rollback_points",
    ] {
        assert!(!analysis[key].is_null(), "analysis has {key}: {analysis}");
    }
    let sessions: serde_json::Value = get("/api/sessions").json().unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
    let session: serde_json::Value = get("/api/sessions/conversation-7").json().unwrap();
    assert_eq!(session["summary"]["traces"], 2, "{session}");
    assert_eq!(error_of(get("/api/sessions/no-such-session")).0, 404);
    let diff: serde_json::Value = get("/api/diff?a=5555&auto=true").json().unwrap();
    assert!(diff["auto"]["trace_id"].is_string(), "{diff}");
}

#[test]
fn analyze_json_gives_every_seed_analysis_with_the_critical_path_from_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let store = v1_fixture(dir.path());
    let store = store.to_str().unwrap();
    for trace in ["1111", "22222222222222222222222222222222", "3333"] {
        let analysis = cli_json(&["analyze", trace, "--store", store, "--json"]);
        for key in [
            "critical_path",
            "dependency_graph",
            "context_drift",
            "state_validation",
            "calibration",
            "retrieval_audit",
            "rollback_points",
        ] {
            assert!(analysis.get(key).is_some(), "{trace}: {key} is absent");
        }
        let path = analysis["critical_path"].as_array().unwrap();
        assert_eq!(path[0]["span_id"], "0000000000000001", "{trace}: the path starts at the root");
        assert!(path.iter().all(|entry| entry["self_time_ns"].is_u64()));
        let shown = cli_json(&["show", trace, "--store", store, "--json"]);
        let total: u64 = path.iter().map(|entry| entry["self_time_ns"].as_u64().unwrap()).sum();
        assert_eq!(total, shown["spans"][0]["duration_ns"].as_u64().unwrap(), "{trace}: self times cover the root");
    }
    let failed = cli_json(&["analyze", "2222", "--store", store, "--json"]);
    assert!(!failed["rollback_points"].as_array().unwrap().is_empty(), "a failed run has rollback points");
    assert!(failed["dependency_graph"]["nodes"][0]["failed"].as_bool().unwrap());
    let healthy = cli_json(&["analyze", "1111", "--store", store, "--json"]);
    assert_eq!(healthy["rollback_points"], serde_json::json!([]), "empty, not absent");
    assert_eq!(healthy["retrieval_audit"], serde_json::json!([]));
}

#[test]
fn huge_traces_are_read_in_pages_and_payloads_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let store = v1_fixture(dir.path());
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => server.url("/api/traces/3333/spans?limit=5"),
            Some(c) => server.url(&format!("/api/traces/3333/spans?limit=5&cursor={c}")),
        };
        let page: serde_json::Value = client.get(url).send().unwrap().json().unwrap();
        let spans = page["spans"].as_array().unwrap();
        assert!(spans.len() <= 5);
        assert!(spans.iter().all(|s| s.get("attributes").is_none()), "pages carry no payloads");
        seen.extend(spans.iter().map(|s| s["span_id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12, "every span of the trace once: {seen:?}");
    let payload: serde_json::Value =
        client.get(server.url("/api/traces/3333/spans/0000000000000003")).send().unwrap().json().unwrap();
    assert_eq!(payload["name"], "execute_tool get_ticket");
    assert!(payload["attributes"]["gen_ai.tool.call.result"].is_string(), "{payload}");
    assert_eq!(client.get(server.url("/api/traces/3333/spans/00000000000000ff")).send().unwrap().status(), 404);
    assert_eq!(client.get(server.url("/api/traces/3333/spans/xyz")).send().unwrap().status(), 400);
    assert_eq!(client.get(server.url("/api/traces/3333/spans?limit=0")).send().unwrap().status(), 400);
    assert_eq!(client.get(server.url("/api/traces/3333/spans?cursor=nope")).send().unwrap().status(), 400);
}

#[test]
fn the_versioned_api_matches_its_openapi_document_and_the_old_routes_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = v1_fixture(dir.path());
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    let document: serde_json::Value =
        client.get(server.url("/api/v1/openapi.json")).send().unwrap().json().expect("the OpenAPI document is JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{paths:?}");
    let issues: serde_json::Value = client.get(server.url("/api/v1/issues")).send().unwrap().json().unwrap();
    let issue_id = issues[0]["id"].as_str().expect("the fixture store has failure issues").to_owned();
    for (path, item) in paths {
        if item.get("get").is_none() {
            // State changes (POST) are exercised by the prevent tests.
            assert!(item.get("post").is_some(), "{path} documents an operation");
            continue;
        }
        let concrete = path
            .replace("{issue_id}", &issue_id)
            .replace("{trace_id}", "22222222222222222222222222222222")
            .replace("{span_id}", "0000000000000003")
            .replace("{session_id}", "conversation-7");
        let query = if path.ends_with("/diff") { "?a=5555&auto=true" } else { "" };
        let response = client.get(server.url(&format!("{concrete}{query}"))).send().unwrap();
        assert_eq!(response.status(), 200, "documented route {path} answers");
        let responses = item["get"]["responses"].as_object().unwrap();
        assert!(responses.contains_key("200") && responses.contains_key("400"), "{path} documents its errors");
        if path != "/api/v1/openapi.json" && path != "/api/v1/traces" {
            let old = concrete.replacen("/api/v1/", "/api/", 1);
            let alias = client.get(server.url(&format!("{old}{query}"))).send().unwrap();
            assert_eq!(alias.status(), 200, "the old route {old} still answers");
        }
    }
    let page: serde_json::Value = client.get(server.url("/api/v1/traces?limit=2")).send().unwrap().json().unwrap();
    assert_eq!(page["traces"].as_array().unwrap().len(), 2);
    // The verdict of each listed trace is documented, and present in every item.
    let item_schema = &document["components"]["schemas"]["TraceListItem"];
    for field in ["failure_mode", "silent_failure"] {
        assert!(item_schema["required"].as_array().unwrap().iter().any(|f| f == field), "{field} is required");
        assert!(item_schema["properties"][field].is_object(), "{field} is documented");
        assert!(page["traces"].as_array().unwrap().iter().all(|t| t.get(field).is_some()), "{field} in every item");
    }
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    let mut seen: Vec<String> =
        page["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect();
    let mut next = Some(cursor);
    while let Some(cursor) = next {
        let page: serde_json::Value =
            client.get(server.url(&format!("/api/v1/traces?limit=2&cursor={cursor}"))).send().unwrap().json().unwrap();
        seen.extend(page["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()));
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    let all: serde_json::Value = client.get(server.url("/api/traces")).send().unwrap().json().unwrap();
    let all: Vec<String> = all.as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, all, "paging by cursor gives the whole list, in order");
    assert_eq!(client.get(server.url("/api/v1/traces?limit=5000")).send().unwrap().status(), 400, "bounded pages");
    assert_eq!(client.get(server.url("/api/v1/traces?cursor=garbage")).send().unwrap().status(), 400);
    assert_eq!(client.get(server.url("/api/v1/traces/zz")).send().unwrap().status(), 400);
}
