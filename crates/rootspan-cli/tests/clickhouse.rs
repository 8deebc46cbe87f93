//! The ClickHouse backend through the real binary, against a real ClickHouse engine (the test
//! server of `scripts/clickhouse-test-server`, or `ROOTSPAN_CLICKHOUSE_URI`): the otel-clients
//! acceptance (exact ground-truth counts, over files and over every OTLP transport), and the same
//! answers as the embedded store for the same data (trace list, search, show, diagnose, analyze,
//! clusters, sessions), byte for byte; `migrate` and `copy` both ways; the password never shows.

mod support;

use prost::Message;
use rootspan_store_clickhouse::{ClickHouseConfig, test_server};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::*;

/// A fresh ClickHouse database: its URI without the password, and the password.
fn fresh(label: &str) -> Option<(String, String, ClickHouseConfig)> {
    let config = test_server::fresh(label)?;
    let uri = format!("clickhouse://{}@{}:{}/{}", config.user, config.host, config.port, config.database);
    Some((uri, config.password.clone(), config))
}

/// Runs the CLI with the ClickHouse password in the environment, not in the URI.
fn run(password: &str, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env(rootspan_store_clickhouse::PASSWORD_ENV, password)
        .output()
        .expect("running rootspan")
}

fn run_json(password: &str, args: &[&str]) -> serde_json::Value {
    let output = run(password, args);
    assert!(output.status.success(), "rootspan {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("rootspan {args:?}: {e}"))
}

fn pb_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pb"))
        .collect();
    files.sort();
    files
}

fn ingest(password: &str, store: &str, files: &[PathBuf]) {
    let mut args = vec!["ingest".to_owned(), "--store".to_owned(), store.to_owned()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(password, &args);
    assert!(output.status.success(), "ingest: {}", String::from_utf8_lossy(&output.stderr));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(password) || password.is_empty());
}

/// Every ground-truth count of every otel-clients trace, exactly, from `show --json`.
fn assert_ground_truth(password: &str, store: &str, how: &str) {
    let truth = ground_truth();
    assert!(truth.len() >= 15, "expected the otel-clients ground truth, found {} traces", truth.len());
    for (scenario, trace_id, expected) in truth {
        let shown = run_json(password, &["show", &trace_id, "--store", store, "--json"]);
        for name in COUNT_NAMES {
            assert_eq!(shown["summary"][name], expected[name], "{how}: {scenario} trace {trace_id}: count {name}");
        }
        assert_eq!(shown["spans"].as_array().map(Vec::len), expected["spans"].as_u64().map(|n| n as usize), "{how}");
    }
}

/// The answers of every read command on both stores are identical.
fn assert_same_answers(password: &str, clickhouse: &str, sqlite: &str) {
    let both = |args: &[&str]| {
        let mut on_clickhouse: Vec<&str> = args.to_vec();
        on_clickhouse.extend(["--store", clickhouse]);
        let mut on_sqlite: Vec<&str> = args.to_vec();
        on_sqlite.extend(["--store", sqlite]);
        let a = run(password, &on_clickhouse);
        let b = run(password, &on_sqlite);
        assert_eq!(a.status.code(), b.status.code(), "rootspan {args:?}: exit codes");
        assert_eq!(
            String::from_utf8_lossy(&a.stdout),
            String::from_utf8_lossy(&b.stdout),
            "rootspan {args:?}: ClickHouse and the embedded store answer differently"
        );
        assert!(!a.stdout.is_empty(), "rootspan {args:?} printed nothing");
    };
    both(&["traces", "--json", "--limit", "1000"]);
    both(&["traces", "--limit", "1000"]);
    both(&["traces", "--json", "--errors"]);
    both(&["traces", "--json", "--search", "order"]);
    both(&["traces", "--json", "--search", "weather forecast"]);
    both(&["clusters", "--json"]);
    both(&["sessions", "--json"]);
    both(&["issues", "--json"]);
    for (_, trace_id, _) in ground_truth() {
        both(&["show", &trace_id, "--json"]);
        both(&["diagnose", &trace_id, "--json"]);
        both(&["analyze", &trace_id, "--json"]);
        both(&["export", &trace_id]);
    }
}

#[test]
fn otel_clients_on_clickhouse_give_the_embedded_stores_answers() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let Some((uri, password, config)) = fresh("cli_same") else { return };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("same.db");
    let files = pb_files(&data);
    ingest(&password, &uri, &files);
    ingest(&password, sqlite.to_str().unwrap(), &files);
    assert_ground_truth(&password, &uri, "ingest into ClickHouse");
    assert_same_answers(&password, &uri, sqlite.to_str().unwrap());
    // The diagnosis is the ground truth's on ClickHouse too.
    let truth = read_truth(&data);
    for scenario in truth["scenarios"].as_array().unwrap() {
        for trace in scenario["traces"].as_array().unwrap() {
            let id = trace["trace_id"].as_str().unwrap();
            let output = run(&password, &["diagnose", id, "--store", &uri, "--json"]);
            let diagnosis: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(diagnosis["failure_mode"], trace["failure_mode"], "{id}");
        }
    }
    assert_same_rest_answers(&config, &sqlite, dir.path());
    let _ = rootspan_store_clickhouse::ClickHouseStore::connect(config).drop_database();
}

/// The REST API of `serve` answers the same on both stores.
fn assert_same_rest_answers(config: &ClickHouseConfig, sqlite: &Path, dir: &Path) {
    let on_clickhouse = serve(&test_server::store_uri(config), &dir.join("rest-clickhouse.log"));
    let on_sqlite = serve(sqlite.to_str().unwrap(), &dir.join("rest-sqlite.log"));
    let client = reqwest::blocking::Client::new();
    let get = |server: &Server, path: &str| {
        let response = client.get(server.url(path)).send().unwrap();
        (response.status().as_u16(), response.text().unwrap())
    };
    let mut paths: Vec<String> = ["/api/v1/traces?limit=1000", "/api/clusters", "/api/sessions", "/api/governance"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    for (_, trace_id, _) in ground_truth() {
        for tail in ["", "/diagnosis", "/analysis", "/outline", "/spans"] {
            paths.push(format!("/api/traces/{trace_id}{tail}"));
        }
    }
    for path in &paths {
        let (a, b) = (get(&on_clickhouse, path), get(&on_sqlite, path));
        assert_eq!(a.0, 200, "GET {path} on ClickHouse: {}", a.1);
        assert_eq!(a, b, "GET {path}: ClickHouse and the embedded store answer differently");
    }
}

fn read_truth(data: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data.join("ground_truth.json")).unwrap()).unwrap()
}

/// `rootspan serve --store clickhouse://...` on this database, its stderr kept in a file.
fn serve(uri_with_password: &str, log: &Path) -> Server {
    let (http, grpc) = (free_port(), free_port());
    let child = Command::new(binary())
        .args(["serve", "--store", uri_with_password])
        .args(["--listen", &format!("127.0.0.1:{http}"), "--grpc-listen", &format!("127.0.0.1:{grpc}")])
        .env("ROOTSPAN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("starting rootspan serve");
    let server = Server { child, http, grpc };
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok()
        {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("rootspan serve on ClickHouse did not listen within 30 s: {}", std::fs::read_to_string(log).unwrap());
}

#[test]
fn serve_on_clickhouse_counts_exactly_over_every_transport() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::blocking::Client::new();
    for transport in ["http-protobuf", "http-json", "grpc-twice"] {
        let Some((uri, password, config)) = fresh("serve") else { return };
        let with_password = test_server::store_uri(&config);
        let log = dir.path().join(format!("{transport}.log"));
        let server = serve(&with_password, &log);
        let extension = if transport == "http-json" { "json" } else { "pb" };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == extension) && !p.to_string_lossy().contains("ground_truth"))
            .collect();
        files.sort();
        let rounds = if transport == "grpc-twice" { 2 } else { 1 };
        for _ in 0..rounds {
            for file in &files {
                let body = std::fs::read(file).unwrap();
                if transport == "grpc-twice" {
                    grpc_export(&server, &body);
                    continue;
                }
                let content_type = if extension == "json" { "application/json" } else { "application/x-protobuf" };
                let response = client
                    .post(server.url("/v1/traces"))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .unwrap();
                assert_eq!(response.status(), 200, "{transport}: {}", file.display());
            }
        }
        assert_ground_truth(&password, &uri, transport);
        drop(server);
        let log = std::fs::read_to_string(&log).unwrap();
        assert!(log.contains("clickhouse://"), "serve names its store: {log}");
        assert!(!log.contains(&password), "serve must never print the password: {log}");
        let _ = rootspan_store_clickhouse::ClickHouseStore::connect(config).drop_database();
    }
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
fn migrate_is_idempotent_and_copy_goes_both_ways_resuming_and_verifying() {
    let Some(data) = rootspan_testkit::require_data("otel-clients") else { return };
    let Some((uri, password, config)) = fresh("copy") else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    ingest("", source.to_str().unwrap(), &pb_files(&data));
    let first = run_json(&password, &["migrate", "--store", &uri, "--json"]);
    assert_eq!(first["from_version"], 0);
    assert_eq!(first["to_version"], rootspan_store_clickhouse::SCHEMA_VERSION);
    let again = run_json(&password, &["migrate", "--store", &uri, "--json"]);
    assert_eq!(again["applied"], serde_json::json!([]), "a second migrate applies nothing");
    let ddl = run(&password, &["migrate", "--store", &uri, "--cluster", "main", "--print"]);
    let ddl = String::from_utf8_lossy(&ddl.stdout);
    assert!(ddl.contains("ON CLUSTER main") && ddl.contains("Distributed(main,"), "{ddl}");
    let copied = run_json(&password, &["copy", "--from", source.to_str().unwrap(), "--to", &uri, "--json"]);
    assert_eq!((copied["traces"].as_u64(), copied["verified"].as_bool()), (Some(18), Some(true)), "{copied}");
    assert_eq!(copied["copied_spans"], 745);
    let resumed = run_json(&password, &["copy", "--from", source.to_str().unwrap(), "--to", &uri, "--json"]);
    assert_eq!((resumed["copied_traces"].as_u64(), resumed["skipped_traces"].as_u64()), (Some(0), Some(18)));
    let back = dir.path().join("back.db");
    let returned = run_json(&password, &["copy", "--from", &uri, "--to", back.to_str().unwrap(), "--json"]);
    assert_eq!(returned["verified"], true, "{returned}");
    assert_ground_truth(&password, &uri, "copied to ClickHouse");
    assert_same_answers(&password, &uri, back.to_str().unwrap());
    let output = run("wrong-password-123", &["traces", "--store", &uri]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Authentication failed") && !stderr.contains("wrong-password-123"), "{stderr}");
    let _ = rootspan_store_clickhouse::ClickHouseStore::connect(config).drop_database();
}
