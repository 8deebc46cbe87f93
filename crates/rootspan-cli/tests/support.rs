//! Helpers shared by the end-to-end tests: the shared data folder, a running server, the CLI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `../shared/data` beside the checkout (or `ROOTSPAN_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    if let Ok(path) = std::env::var("ROOTSPAN_SHARED_DATA") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_rootspan")
}

/// Runs the CLI and returns its output.
pub fn cli(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().expect("running rootspan")
}

/// Runs the CLI, asserts success, parses stdout as JSON.
pub fn cli_json(args: &[&str]) -> serde_json::Value {
    let output = cli(args);
    assert!(output.status.success(), "rootspan {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("rootspan {args:?}: bad JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A port P such that P and P + 1 are both free now (commands that listen on PORT and PORT+1,
/// such as `bench`).
pub fn free_port_pair() -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = first.local_addr().expect("addr").port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// A `rootspan serve` child process, killed on drop.
pub struct Server {
    pub child: Child,
    pub http: u16,
    pub grpc: u16,
}

impl Server {
    pub fn start(store: &Path) -> Server {
        Server::start_with(store, free_port(), free_port(), &[])
    }

    /// A server on these ports, with these extra `serve` flags.
    pub fn start_with(store: &Path, http: u16, grpc: u16, extra: &[&str]) -> Server {
        let child = Command::new(binary())
            .args(["serve", "--store"])
            .arg(store)
            .args(["--listen", &format!("127.0.0.1:{http}"), "--grpc-listen", &format!("127.0.0.1:{grpc}")])
            .args(extra)
            .env("ROOTSPAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting rootspan serve");
        let server = Server { child, http, grpc };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok()
            {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("rootspan serve did not start listening within 30 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ground truth of the otel-clients scenarios: (file stem, trace id, expected counts).
pub fn ground_truth() -> Vec<(String, String, serde_json::Value)> {
    let path = shared_data().join("otel-clients/ground_truth.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let truth: serde_json::Value = serde_json::from_str(&text).expect("ground truth JSON");
    let mut out = Vec::new();
    for scenario in truth["scenarios"].as_array().expect("scenarios") {
        let stem = scenario["scenario"].as_str().expect("scenario").to_owned();
        for trace in scenario["traces"].as_array().expect("traces") {
            out.push((
                stem.clone(),
                trace["trace_id"].as_str().expect("id").to_owned(),
                trace["expected_counts"].clone(),
            ));
        }
    }
    out
}

pub const COUNT_NAMES: &[&str] = &[
    "spans",
    "max_depth",
    "llm_calls",
    "tool_calls",
    "tool_errors",
    "error_spans",
    "input_tokens",
    "output_tokens",
    "total_tokens",
];

/// Asserts that `show --json` of every ground-truth trace reproduces every count.
pub fn assert_counts(store: &Path, how: &str) {
    let store = store.to_str().expect("utf-8 path");
    let truth = ground_truth();
    assert!(truth.len() >= 15, "expected the otel-clients ground truth, found {} traces", truth.len());
    for (scenario, trace_id, expected) in truth {
        let shown = cli_json(&["show", &trace_id, "--store", store, "--json"]);
        for name in COUNT_NAMES {
            assert_eq!(shown["summary"][name], expected[name], "{how}: {scenario} trace {trace_id}: count {name}");
        }
        assert_eq!(
            shown["spans"].as_array().map(Vec::len),
            expected["spans"].as_u64().map(|n| n as usize),
            "{how}: {scenario}: spans array"
        );
    }
}
