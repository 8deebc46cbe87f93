//! Operating rootspan beside other backends, through the real binary and real OTLP bytes of
//! real instrumentations (`../shared/data/otel-clients`):
//! - `serve --forward URL` re-exports what it accepted, unchanged, to a second `rootspan serve`
//!   (which must end up with exactly the same traces), retries while the receiver is down, and
//!   drops the oldest requests of a full queue;
//! - `GET /metrics` counts what was ingested and rejected, the store, queries and findings;
//! - a run that "succeeded" with a wrong answer stands out in `rootspan traces` and the REST list.

mod support;

use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

/// The `.pb` files of the otel-clients scenarios, by name.
fn scenario_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .expect("otel-clients folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pb"))
        .collect();
    files.sort();
    files
}

/// Polls `check` every 50 ms until it gives a value, for at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {} s", limit.as_secs());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET /metrics` as `name{labels}` -> value.
fn scrape(server: &Server) -> BTreeMap<String, f64> {
    let response = reqwest::blocking::get(server.url("/metrics")).unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        out.insert(key.to_owned(), value.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {line:?}")));
    }
    out
}

fn metric(metrics: &BTreeMap<String, f64>, key: &str) -> f64 {
    *metrics.get(key).unwrap_or_else(|| panic!("no sample {key}; have: {:#?}", metrics.keys().collect::<Vec<_>>()))
}

/// (trace id, span count) of every stored trace, newest first.
fn listed(server: &Server) -> Vec<(String, u64)> {
    let page: serde_json::Value =
        reqwest::blocking::get(server.url("/api/v1/traces?limit=1000")).unwrap().json().unwrap();
    page["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["trace_id"].as_str().unwrap().to_owned(), t["span_count"].as_u64().unwrap()))
        .collect()
}

fn post(client: &reqwest::blocking::Client, url: String, content_type: &str, body: Vec<u8>) -> u16 {
    client.post(url).header("content-type", content_type).body(body).send().unwrap().status().as_u16()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn grpc_export(server: &Server, body: &[u8]) {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let request = ExportTraceServiceRequest::decode(body).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut client = TraceServiceClient::connect(format!("http://127.0.0.1:{}", server.grpc)).await.unwrap();
        client.export(request).await.expect("gRPC export accepted");
    });
}

#[test]
fn forward_re_exports_what_was_accepted_unchanged_to_a_second_rootspan() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    let receiver = Server::start(&dir.path().join("receiver.db"));
    let destination = format!("http://127.0.0.1:{}", receiver.http);
    let sender =
        Server::start_with(&dir.path().join("sender.db"), free_port(), free_port(), &["--forward", &destination]);
    let client = reqwest::blocking::Client::new();
    let mut accepted = 0;
    // Every transport and encoding: HTTP protobuf (with a project header), HTTP OTLP/JSON gzip,
    // and gRPC (whose message is forwarded as protobuf).
    for (index, file) in scenario_files(&data).iter().enumerate() {
        let body = std::fs::read(file).unwrap();
        match index % 3 {
            0 => {
                let response = client
                    .post(sender.url("/v1/traces"))
                    .header("content-type", "application/x-protobuf")
                    .header("x-rootspan-project", "team-a")
                    .body(body)
                    .send()
                    .unwrap();
                assert_eq!(response.status(), 200, "{}", file.display());
            }
            1 => {
                let json = std::fs::read(file.with_extension("json")).unwrap();
                let response = client
                    .post(sender.url("/v1/traces"))
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(gzip(&json))
                    .send()
                    .unwrap();
                assert_eq!(response.status(), 200, "{}", file.display());
            }
            _ => grpc_export(&sender, &body),
        }
        accepted += 1;
    }
    // A log record for a stored span, over OTLP/HTTP JSON.
    let healthy: serde_json::Value = client.get(sender.url("/api/traces/68138cc8")).send().unwrap().json().unwrap();
    let trace_id = healthy["trace_id"].as_str().unwrap().to_owned();
    let span_id = healthy["spans"][0]["span_id"].as_str().unwrap().to_owned();
    let logs = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{
        "timeUnixNano": "1700000000000000000", "traceId": trace_id, "spanId": span_id,
        "eventName": "gen_ai.user.message", "body": {"stringValue": "forwarded log record"}}]}]}]});
    assert_eq!(post(&client, sender.url("/v1/logs"), "application/json", logs.to_string().into_bytes()), 200);
    accepted += 1;
    // Rejected whole: not acknowledged, so not forwarded.
    let invalid =
        serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "01", "spanId": "02"}]}]}]});
    assert_eq!(post(&client, sender.url("/v1/traces"), "application/json", invalid.to_string().into_bytes()), 400);
    assert_eq!(post(&client, sender.url("/v1/traces"), "text/plain", b"hello".to_vec()), 415);

    let label = format!("destination=\"{destination}\"");
    wait_for("every accepted export delivered", Duration::from_secs(30), || {
        let metrics = scrape(&sender);
        (metric(&metrics, &format!("rootspan_forward_sent_requests_total{{{label}}}")) == f64::from(accepted)
            && metric(&metrics, &format!("rootspan_forward_queue_requests{{{label}}}")) == 0.0)
            .then_some(())
    });
    let metrics = scrape(&sender);
    for reason in ["queue_full", "refused", "shutdown"] {
        assert_eq!(
            metric(&metrics, &format!("rootspan_forward_dropped_requests_total{{{label},reason=\"{reason}\"}}")),
            0.0
        );
    }
    let sent = listed(&sender);
    assert_eq!(sent.len(), 18, "every otel-clients trace: {sent:?}");
    assert_eq!(listed(&receiver), sent, "the receiver has exactly the same traces and span counts");
    for (trace_id, _) in &sent {
        let path = format!("/api/traces/{trace_id}");
        let a: serde_json::Value = client.get(sender.url(&path)).send().unwrap().json().unwrap();
        let b: serde_json::Value = client.get(receiver.url(&path)).send().unwrap().json().unwrap();
        let ids = |view: &serde_json::Value| -> Vec<String> {
            view["spans"].as_array().unwrap().iter().map(|s| s["span_id"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(ids(&a), ids(&b), "{trace_id}: the same span ids");
        assert_eq!(a, b, "{trace_id}: the same spans, attributes, project and log records");
    }
    let healthy: serde_json::Value =
        client.get(receiver.url(&format!("/api/traces/{trace_id}"))).send().unwrap().json().unwrap();
    assert_eq!(healthy["spans"][0]["log_count"], 1, "the log record was forwarded too");
    // lc_cascading_multi_agent, the first file, went over HTTP protobuf with a project header.
    let first: serde_json::Value = client.get(receiver.url("/api/traces/8f596074")).send().unwrap().json().unwrap();
    assert_eq!(first["project"], "team-a", "the project header was passed on");
    let received = scrape(&receiver);
    assert_eq!(
        metric(&received, "rootspan_ingest_rejected_requests_total{transport=\"http\",reason=\"invalid\"}"),
        0.0
    );
    assert_eq!(
        metric(&received, "rootspan_ingest_requests_total{transport=\"http\",signal=\"traces\"}")
            + metric(&received, "rootspan_ingest_requests_total{transport=\"http\",signal=\"logs\"}"),
        f64::from(accepted),
        "one forwarded request per accepted one, none for the rejected"
    );
}

#[test]
fn forwarding_retries_until_a_receiver_that_was_down_comes_up() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    let receiver_port = free_port();
    let destination = format!("http://127.0.0.1:{receiver_port}");
    let sender =
        Server::start_with(&dir.path().join("sender.db"), free_port(), free_port(), &["--forward", &destination]);
    let client = reqwest::blocking::Client::new();
    let files: Vec<PathBuf> =
        scenario_files(&data).into_iter().filter(|f| f.to_string_lossy().contains("pai_")).collect();
    for file in &files {
        let status = post(&client, sender.url("/v1/traces"), "application/x-protobuf", std::fs::read(file).unwrap());
        assert_eq!(status, 200, "acknowledged while the destination is down: {}", file.display());
    }
    let label = format!("destination=\"{destination}\"");
    wait_for("a failed delivery retried", Duration::from_secs(30), || {
        (metric(&scrape(&sender), &format!("rootspan_forward_retries_total{{{label}}}")) >= 1.0).then_some(())
    });
    let metrics = scrape(&sender);
    assert_eq!(metric(&metrics, &format!("rootspan_forward_queue_requests{{{label}}}")), files.len() as f64);
    assert_eq!(metric(&metrics, &format!("rootspan_forward_sent_requests_total{{{label}}}")), 0.0);
    let receiver = Server::start_with(&dir.path().join("receiver.db"), receiver_port, free_port(), &[]);
    let sent = listed(&sender);
    wait_for("the receiver has every trace", Duration::from_secs(40), || (listed(&receiver) == sent).then_some(()));
    let metrics = scrape(&sender);
    assert_eq!(metric(&metrics, &format!("rootspan_forward_sent_requests_total{{{label}}}")), files.len() as f64);
    assert_eq!(
        metric(&metrics, &format!("rootspan_forward_dropped_requests_total{{{label},reason=\"queue_full\"}}")),
        0.0
    );
}

#[test]
fn a_full_forwarding_queue_drops_its_oldest_request() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: every delivery fails and is retried.
    let destination = format!("http://127.0.0.1:{}", free_port());
    let sender = Server::start_with(
        &dir.path().join("sender.db"),
        free_port(),
        free_port(),
        &["--forward", &destination, "--forward-queue-mib", "1"],
    );
    let client = reqwest::blocking::Client::new();
    let deep = std::fs::read(data.join("pai_deep_trace.pb")).unwrap(); // 0.86 MB
    let overflow = std::fs::read(data.join("pai_context_overflow.pb")).unwrap(); // 0.25 MB
    let label = format!("destination=\"{destination}\"");
    assert_eq!(post(&client, sender.url("/v1/traces"), "application/x-protobuf", deep.clone()), 200);
    // The first request is in flight (retried), apart from the queue.
    wait_for("the first request in flight", Duration::from_secs(30), || {
        (metric(&scrape(&sender), &format!("rootspan_forward_retries_total{{{label}}}")) >= 1.0).then_some(())
    });
    assert_eq!(post(&client, sender.url("/v1/traces"), "application/x-protobuf", overflow.clone()), 200);
    assert_eq!(post(&client, sender.url("/v1/traces"), "application/x-protobuf", deep.clone()), 200);
    let metrics = scrape(&sender);
    assert_eq!(
        metric(&metrics, &format!("rootspan_forward_dropped_requests_total{{{label},reason=\"queue_full\"}}")),
        1.0,
        "0.25 MB + 0.86 MB do not fit 1 MiB: the older one went"
    );
    assert_eq!(
        metric(&metrics, &format!("rootspan_forward_queue_requests{{{label}}}")),
        2.0,
        "one queued, one in flight"
    );
    assert_eq!(metric(&metrics, &format!("rootspan_forward_queue_bytes{{{label}}}")), (2 * deep.len()) as f64);
    assert_eq!(metric(&metrics, &format!("rootspan_forward_queue_capacity_bytes{{{label}}}")), 1_048_576.0);
}

#[test]
fn metrics_count_ingest_rejections_store_queries_and_findings() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("metrics.db"), free_port(), free_port(), &["--max-body-mib", "1"]);
    let before = scrape(&server);
    assert_eq!(metric(&before, "rootspan_store_spans"), 0.0);
    assert_eq!(metric(&before, "rootspan_ingest_spans_accepted_total{transport=\"http\"}"), 0.0);
    assert!(!before.keys().any(|k| k.starts_with("rootspan_forward_")), "no forwarding configured");
    let client = reqwest::blocking::Client::new();
    let truth = ground_truth();
    let spans_of = |stem: &str| -> u64 {
        truth.iter().filter(|(s, _, _)| s == stem).map(|(_, _, counts)| counts["spans"].as_u64().unwrap()).sum()
    };
    let (mut http_spans, mut http_bytes, mut http_requests, mut grpc_spans) = (0, 0, 0, 0);
    for (index, file) in scenario_files(&data).iter().enumerate() {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(file).unwrap();
        if body.len() > 1024 * 1024 {
            continue;
        }
        if index % 4 == 3 {
            grpc_export(&server, &body);
            grpc_spans += spans_of(&stem);
        } else {
            http_bytes += body.len();
            http_requests += 1;
            http_spans += spans_of(&stem);
            assert_eq!(post(&client, server.url("/v1/traces"), "application/x-protobuf", body), 200);
        }
    }
    let invalid =
        serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "01", "spanId": "02"}]}]}]});
    let invalid = invalid.to_string().into_bytes();
    http_bytes += invalid.len();
    assert_eq!(post(&client, server.url("/v1/traces"), "application/json", invalid), 400);
    assert_eq!(post(&client, server.url("/v1/traces"), "application/xml", b"<a/>".to_vec()), 415);
    http_bytes += 4;
    assert_eq!(post(&client, server.url("/v1/traces"), "application/x-protobuf", vec![0; 2 * 1024 * 1024]), 413);
    assert_eq!(client.get(server.url("/api/v1/traces?limit=5")).send().unwrap().status(), 200);
    assert_eq!(client.get(server.url("/api/traces/0f71f479")).send().unwrap().status(), 200);
    assert_eq!(client.get(server.url("/api/v1/traces/0f71f479/diagnosis")).send().unwrap().status(), 200);
    assert_eq!(client.get(server.url("/api/v1/traces/zz")).send().unwrap().status(), 400);

    // Findings come from the worker's stored signatures, a second after the traces went quiet:
    // one per diagnosed failure, under its detector's id.
    let modes = failure_modes();
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for (_, trace_id, _) in &truth {
        let mode = &modes[trace_id];
        if mode != "none" {
            *expected.entry(mode.replace('_', "-")).or_default() += 1.0;
        }
    }
    let findings = |metrics: &BTreeMap<String, f64>| -> BTreeMap<String, f64> {
        metrics
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("rootspan_detector_findings{detector=\"")
                    .map(|d| (d.trim_end_matches("\"}").to_owned(), *v))
            })
            .collect()
    };
    let started = Instant::now();
    let after = loop {
        let metrics = scrape(&server);
        if findings(&metrics) == expected || started.elapsed() > Duration::from_secs(30) {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(findings(&after), expected, "findings by detector id, one per failing trace of the ground truth");
    assert_eq!(metric(&after, "rootspan_ingest_spans_accepted_total{transport=\"http\"}"), http_spans as f64);
    assert_eq!(metric(&after, "rootspan_ingest_spans_accepted_total{transport=\"grpc\"}"), grpc_spans as f64);
    assert!(grpc_spans > 0 && http_spans > 0);
    assert_eq!(
        metric(&after, "rootspan_ingest_requests_total{transport=\"http\",signal=\"traces\"}"),
        http_requests as f64
    );
    assert_eq!(metric(&after, "rootspan_ingest_received_bytes_total{transport=\"http\"}"), http_bytes as f64);
    assert!(metric(&after, "rootspan_ingest_received_bytes_total{transport=\"grpc\"}") > 0.0);
    assert_eq!(metric(&after, "rootspan_ingest_rejected_requests_total{transport=\"http\",reason=\"invalid\"}"), 2.0);
    assert_eq!(metric(&after, "rootspan_ingest_rejected_requests_total{transport=\"http\",reason=\"too_large\"}"), 1.0);
    assert_eq!(metric(&after, "rootspan_ingest_rejected_requests_total{transport=\"http\",reason=\"busy\"}"), 0.0);
    assert_eq!(metric(&after, "rootspan_store_spans"), (http_spans + grpc_spans) as f64);
    assert!(metric(&after, "rootspan_store_size_bytes") > 0.0);
    assert_eq!(metric(&after, "rootspan_query_duration_seconds_count{route=\"/traces\"}"), 1.0);
    assert_eq!(
        metric(&after, "rootspan_query_duration_seconds_count{route=\"/traces/{trace_id}\"}"),
        2.0,
        "/api and /api/v1 alike"
    );
    assert_eq!(metric(&after, "rootspan_query_duration_seconds_count{route=\"/traces/{trace_id}/diagnosis\"}"), 1.0);
    assert_eq!(metric(&after, "rootspan_query_duration_seconds_bucket{route=\"/traces/{trace_id}\",le=\"+Inf\"}"), 2.0);
}

/// trace id -> failure mode of the otel-clients ground truth.
fn failure_modes() -> BTreeMap<String, String> {
    let path = rootspan_testkit::shared_data().join("otel-clients/ground_truth.json");
    let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for scenario in truth["scenarios"].as_array().unwrap() {
        for trace in scenario["traces"].as_array().unwrap() {
            out.insert(
                trace["trace_id"].as_str().unwrap().to_owned(),
                trace["failure_mode"].as_str().unwrap().to_owned(),
            );
        }
    }
    out
}

/// The verdict fields of every listed trace: trace id -> (status, failure_mode, silent_failure).
fn verdicts(list: &serde_json::Value) -> BTreeMap<String, (String, Option<String>, bool)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["trace_id"].as_str().unwrap().to_owned(),
                (
                    t["status"].as_str().unwrap().to_owned(),
                    t["failure_mode"].as_str().map(str::to_owned),
                    t["silent_failure"].as_bool().expect("silent_failure is a bool"),
                ),
            )
        })
        .collect()
}

#[test]
fn a_run_that_succeeded_with_a_wrong_answer_stands_out() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("verdicts.db");
    let store_arg = store.to_str().unwrap();
    let files = ["pai_silent_wrong_answer.pb", "pai_healthy.pb", "pai_tool_error_ignored.pb", "pai_retry_loop.pb"];
    for file in files {
        let output = cli(&["ingest", data.join(file).to_str().unwrap(), "--store", store_arg]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let listed = cli_json(&["traces", "--store", store_arg, "--json"]);
    let from_cli = verdicts(&listed);
    assert_eq!(from_cli.len(), 4);
    // The failure mode the list names is the one `rootspan diagnose` gives.
    for (trace_id, (status, failure_mode, silent)) in &from_cli {
        let output = cli(&["diagnose", trace_id, "--store", store_arg, "--json"]);
        let diagnosis: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let diagnosed = diagnosis["failure_mode"].as_str().unwrap();
        assert_eq!(failure_mode.as_deref().unwrap_or("none"), diagnosed, "{trace_id}");
        assert_eq!(*silent, failure_mode.is_some() && status != "error", "{trace_id}");
    }
    let silent =
        from_cli.keys().find(|id| id.starts_with("0f71f479")).expect("the silent wrong answer is listed").clone();
    assert_eq!(from_cli[&silent], ("ok".to_owned(), Some("silent_wrong_answer".to_owned()), true));
    let healthy = from_cli.keys().find(|id| id.starts_with("68138cc8")).unwrap();
    assert_eq!(from_cli[healthy], ("ok".to_owned(), None, false));
    let ignored = from_cli.keys().find(|id| id.starts_with("a7b837af")).unwrap();
    assert_eq!(from_cli[ignored], ("error".to_owned(), Some("tool_error_ignored".to_owned()), false));

    // Human output: the row is marked, in colour when asked for, and never with NO_COLOR.
    let human = |env: &[(&str, &str)]| -> String {
        let mut command = std::process::Command::new(binary());
        command.args(["traces", "--store", store_arg]).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let plain = human(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!plain.contains('\x1b'), "NO_COLOR wins: {plain}");
    let row = plain.lines().find(|l| l.starts_with(&silent[..8])).unwrap();
    assert!(row.contains("FAILED (silent)") && row.contains("silent_wrong_answer"), "{row}");
    let header = plain.lines().next().unwrap();
    assert!(header.contains("verdict") && header.contains("failure mode"), "{header}");
    let healthy_row = plain.lines().find(|l| l.starts_with(&healthy[..8])).unwrap();
    assert!(healthy_row.contains(" ok ") && !healthy_row.contains("FAILED"), "{healthy_row}");
    let ignored_row = plain.lines().find(|l| l.starts_with(&ignored[..8])).unwrap();
    assert!(ignored_row.contains("FAILED ") && !ignored_row.contains("(silent)"), "{ignored_row}");
    let colored = human(&[("CLICOLOR_FORCE", "1")]);
    assert!(colored.contains("\x1b[1;7;31mFAILED (silent)"), "{colored}");
    assert!(!human(&[]).contains('\x1b'), "no colour when standard output is not a terminal");

    // The REST list, live: the worker diagnoses traces a second after they went quiet.
    let live = tempfile::tempdir().unwrap();
    let server = Server::start(&live.path().join("live.db"));
    let client = reqwest::blocking::Client::new();
    for file in files {
        assert_eq!(
            post(&client, server.url("/v1/traces"), "application/x-protobuf", std::fs::read(data.join(file)).unwrap()),
            200
        );
    }
    let from_rest = wait_for("the worker's verdicts", Duration::from_secs(30), || {
        let page: serde_json::Value = client.get(server.url("/api/v1/traces")).send().unwrap().json().unwrap();
        let verdicts = verdicts(&page["traces"]);
        (verdicts.values().filter(|v| v.1.is_some()).count() == 3).then_some(verdicts)
    });
    assert_eq!(from_rest, from_cli, "REST and CLI agree");
    let alias: serde_json::Value = client.get(server.url("/api/traces")).send().unwrap().json().unwrap();
    assert_eq!(verdicts(&alias), from_cli, "the /api alias carries them too");
}

#[test]
fn the_mcp_benchmark_runs_against_a_stored_real_trace() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let file = data.join("pai_silent_wrong_answer.pb");
    let port = free_port_pair().to_string();
    let output = cli(&["bench", "--mcp", file.to_str().unwrap(), "--calls", "3", "--port", &port, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["spans"], 6);
    let tools: Vec<&str> = report["tools"].as_array().unwrap().iter().map(|t| t["tool"].as_str().unwrap()).collect();
    assert_eq!(tools, ["search_traces", "get_trace", "diagnose_trace"]);
    for tool in report["tools"].as_array().unwrap() {
        assert_eq!(tool["calls"], 3);
        assert!(tool["p50_ms"].as_f64().unwrap() > 0.0 && tool["p99_ms"].as_f64() >= tool["p50_ms"].as_f64());
        assert!(tool["answer_bytes"].as_u64().unwrap() > 100, "{tool}");
    }
}
