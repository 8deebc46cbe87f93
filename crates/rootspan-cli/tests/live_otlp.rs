//! End to end: real OTLP bytes from real instrumentation libraries, sent live to `rootspan serve`
//! over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC; the CLI reads the same store while the
//! server is writing, and every ground-truth count must come out exactly.

mod support;

use prost::Message;
use support::*;

fn scenario_files(extension: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(shared_data().join("otel-clients"))
        .expect("otel-clients folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == extension)
                && !p.file_name().is_some_and(|n| n.to_string_lossy().contains("ground_truth"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn otlp_http_protobuf_then_cli_reads_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("http-proto.db");
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    for file in scenario_files("pb") {
        let body = std::fs::read(&file).unwrap();
        let response = client
            .post(server.url("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{}", file.display());
        assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    }
    assert_counts(&store, "OTLP/HTTP protobuf");
    let listed = cli_json(&["traces", "--store", store.to_str().unwrap(), "--json", "--limit", "1000"]);
    assert!(listed.as_array().unwrap().iter().all(|t| t["trace_id"].as_str().is_some_and(|id| id.len() == 32)));
    drop(server);
}

#[test]
fn otlp_http_json_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("http-json.db");
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    for (index, file) in scenario_files("json").into_iter().enumerate() {
        let body = std::fs::read(&file).unwrap();
        let request = client.post(server.url("/v1/traces")).header("content-type", "application/json");
        let request = if index % 2 == 0 {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&body).unwrap();
            request.header("content-encoding", "gzip").body(encoder.finish().unwrap())
        } else {
            request.body(body)
        };
        let response = request.send().unwrap();
        assert_eq!(response.status(), 200, "{}", file.display());
    }
    assert_counts(&store, "OTLP/HTTP JSON");
}

#[test]
fn otlp_grpc() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("grpc.db");
    let server = Server::start(&store);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut client = TraceServiceClient::connect(format!("http://127.0.0.1:{}", server.grpc))
            .await
            .unwrap()
            .send_compressed(tonic::codec::CompressionEncoding::Gzip);
        for file in scenario_files("pb") {
            let request = ExportTraceServiceRequest::decode(std::fs::read(&file).unwrap().as_slice()).unwrap();
            let response = client.export(request).await.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(response.into_inner().partial_success.is_none_or(|p| p.rejected_spans == 0));
        }
        let error = client
            .export(ExportTraceServiceRequest {
                resource_spans: vec![opentelemetry_proto::tonic::trace::v1::ResourceSpans {
                    scope_spans: vec![opentelemetry_proto::tonic::trace::v1::ScopeSpans {
                        spans: vec![opentelemetry_proto::tonic::trace::v1::Span {
                            trace_id: vec![1; 3],
                            span_id: vec![1; 8],
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            })
            .await
            .expect_err("an all-invalid request must be rejected");
        assert_eq!(error.code(), tonic::Code::InvalidArgument);
        assert!(error.message().contains("trace"), "{}", error.message());
    });
    assert_counts(&store, "OTLP/gRPC");
}

#[test]
fn bad_input_gets_clear_errors_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("bad.db");
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    let good = std::fs::read(shared_data().join("otel-clients/pai_healthy.pb")).unwrap();
    let post = |content_type: &str, encoding: Option<&str>, body: Vec<u8>| {
        let mut request = client.post(server.url("/v1/traces")).header("content-type", content_type);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        request.body(body).send().unwrap()
    };
    assert_eq!(post("application/x-protobuf", None, good.clone()).status(), 200);
    let truncated = post("application/x-protobuf", None, good[..good.len() / 2].to_vec());
    assert_eq!(truncated.status(), 400);
    let malformed_json = post("application/json", None, b"{\"resourceSpans\": [{\"scopeSpans\": 7}]}".to_vec());
    assert_eq!(malformed_json.status(), 400);
    let error: serde_json::Value = malformed_json.json().unwrap();
    assert!(!error["message"].as_str().unwrap_or("").is_empty(), "a 400 must say what is wrong: {error}");
    assert_eq!(post("text/plain", None, good.clone()).status(), 415);
    let mut gz = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&good).unwrap();
        encoder.finish().unwrap()
    };
    gz.truncate(gz.len() / 2);
    assert_eq!(post("application/x-protobuf", Some("gzip"), gz).status(), 400);
    let bomb = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 80 * 1024 * 1024]).unwrap();
        encoder.finish().unwrap()
    };
    let bomb_response = post("application/x-protobuf", Some("gzip"), bomb);
    assert!(bomb_response.status() == 400 || bomb_response.status() == 413, "{}", bomb_response.status());
    let huge = vec![b'x'; 65 * 1024 * 1024];
    assert_eq!(post("application/x-protobuf", None, huge).status(), 413);
    // Partial success: one span with a 3-byte trace id among valid ones.
    let partial = serde_json::json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": [
        {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "ok", "startTimeUnixNano": "1", "endTimeUnixNano": "2"},
        {"traceId": "010203", "spanId": "0102030405060709", "name": "bad", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
    ]}]}]});
    let response = post("application/json", None, partial.to_string().into_bytes());
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert!(
        body["partialSuccess"]["errorMessage"].as_str().unwrap_or("").contains("bad")
            || body["partialSuccess"]["errorMessage"].as_str().unwrap_or("").contains("trace")
    );
    // Nothing accepted earlier was lost.
    let store_arg = store.to_str().unwrap();
    let healthy = cli_json(&["show", "68138cc8ffd2d577d1209a555bb4d510", "--store", store_arg, "--json"]);
    assert_eq!(healthy["summary"]["spans"], 6);
    let partial_trace = cli_json(&["show", "0102030405060708090a0b0c0d0e0f10", "--store", store_arg, "--json"]);
    assert_eq!(partial_trace["summary"]["spans"], 1);
    // Metrics are acknowledged.
    assert_eq!(
        client
            .post(server.url("/v1/metrics"))
            .header("content-type", "application/x-protobuf")
            .body(Vec::new())
            .send()
            .unwrap()
            .status(),
        200
    );
    // REST API.
    let listed: serde_json::Value = client.get(server.url("/api/traces")).send().unwrap().json().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let missing = client.get(server.url("/api/traces/ffffffffffffffffffffffffffffffff")).send().unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn log_records_attach_to_their_spans_whichever_arrives_first() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("logs.db");
    let server = Server::start(&store);
    let client = reqwest::blocking::Client::new();
    let trace_id = hex::decode("68138cc8ffd2d577d1209a555bb4d510").unwrap();
    let shown_before = {
        // The log arrives before its trace.
        let spans = std::fs::read(shared_data().join("otel-clients/pai_healthy.json")).unwrap();
        let spans: serde_json::Value = serde_json::from_slice(&spans).unwrap();
        let span_id = spans["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"].as_str().unwrap().to_owned();
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        trace_id: trace_id.clone(),
                        span_id: hex::decode(&span_id).unwrap(),
                        event_name: "gen_ai.user.message".into(),
                        body: Some(AnyValue { value: Some(any_value::Value::StringValue("hello from a log".into())) }),
                        attributes: vec![KeyValue {
                            key: "gen_ai.system".into(),
                            value: Some(AnyValue { value: Some(any_value::Value::StringValue("openai".into())) }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let response = client
            .post(server.url("/v1/logs"))
            .header("content-type", "application/x-protobuf")
            .body(request.encode_to_vec())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        span_id
    };
    let body = std::fs::read(shared_data().join("otel-clients/pai_healthy.pb")).unwrap();
    assert_eq!(
        client
            .post(server.url("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .unwrap()
            .status(),
        200
    );
    let shown = cli_json(&["show", "68138cc8ffd2d577d1209a555bb4d510", "--store", store.to_str().unwrap(), "--json"]);
    let span = shown["spans"].as_array().unwrap().iter().find(|s| s["span_id"] == shown_before.as_str()).expect("span");
    assert_eq!(span["log_count"], 1, "{span}");
    assert_eq!(shown["summary"]["spans"], 6, "a log record must not create a span");
}

mod raw_grpc {
    //! A gRPC client that sends arbitrary bytes as the request message, with the server's own
    //! pass-through codec.
    use rootspan_server::grpc::RawCodec as Raw;

    pub async fn call(port: u16, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect");
        let mut client = tonic::client::Grpc::new(channel);
        client.ready().await.expect("ready");
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
        client.unary(tonic::Request::new(body), path, Raw).await.map(tonic::Response::into_inner)
    }
}

#[test]
fn grpc_malformed_protobuf_is_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("grpc-bad.db"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let good = std::fs::read(shared_data().join("otel-clients/pai_healthy.pb")).unwrap();
        let path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
        raw_grpc::call(server.grpc, path, good.clone()).await.expect("a valid request is accepted");
        let error = raw_grpc::call(server.grpc, path, good[..good.len() / 2].to_vec()).await.expect_err("truncated");
        assert_eq!(error.code(), tonic::Code::InvalidArgument, "{error:?}");
        assert!(error.message().contains("ExportTraceServiceRequest"), "{}", error.message());
        let logs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
        let error = raw_grpc::call(server.grpc, logs, vec![0xff; 64]).await.expect_err("garbage");
        assert_eq!(error.code(), tonic::Code::InvalidArgument, "{error:?}");
        let metrics = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
        raw_grpc::call(server.grpc, metrics, Vec::new()).await.expect("metrics are acknowledged");
    });
}

#[test]
fn rest_api_serves_diagnosis_diff_and_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("rest.db"));
    let client = reqwest::blocking::Client::new();
    for name in ["pai_pair_cancel_order__healthy.pb", "pai_pair_cancel_order__faulty.pb"] {
        let body = std::fs::read(shared_data().join("otel-clients/pairs").join(name)).unwrap();
        assert_eq!(
            client
                .post(server.url("/v1/traces"))
                .header("content-type", "application/x-protobuf")
                .body(body)
                .send()
                .unwrap()
                .status(),
            200
        );
    }
    let faulty = "149d9eacc0d4ad1e175e075b8a634fe8";
    let healthy = "1ad6b59a0ec0ce62f276efa868e7f452";
    let diagnosis: serde_json::Value =
        client.get(server.url(&format!("/api/traces/{faulty}/diagnosis"))).send().unwrap().json().unwrap();
    assert_eq!(diagnosis["failure_mode"], "tool_error_ignored", "{diagnosis}");
    let diff: serde_json::Value =
        client.get(server.url(&format!("/api/diff?a={faulty}&b={healthy}"))).send().unwrap().json().unwrap();
    assert_eq!(diff["first_divergence"]["a_span_id"], "e5bd88e7a8fba40a", "{}", diff["first_divergence"]);
    let clusters: serde_json::Value = client.get(server.url("/api/clusters")).send().unwrap().json().unwrap();
    assert_eq!(clusters.as_array().map(Vec::len), Some(1), "{clusters}");
    assert_eq!(clusters[0]["representative_trace_id"], faulty);
    let missing = client.get(server.url("/api/diff?a=abc")).send().unwrap();
    assert_eq!(missing.status(), 400);
}
