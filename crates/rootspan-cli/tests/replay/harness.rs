//! Helpers of the tests that drive a real instrumented agent (`replay`, `prevent`): the
//! scripted model, the agent, the replay server, waiting for traces.
#![allow(dead_code)]

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether the agent's Python packages are installed; required under CI (`.ci/run` installs
/// them), skipped with a note elsewhere.
pub fn python_agent_available() -> bool {
    let probe = "import openai, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, openinference.instrumentation.openai";
    let ok = Command::new("python3").args(["-c", probe]).output().is_ok_and(|o| o.status.success());
    if !ok {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "the replay test agent needs openai, opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http and openinference-instrumentation-openai under CI"
        );
        eprintln!("skipping: the replay test agent's Python packages are not installed");
    }
    ok
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay").join(name)
}

/// A child process killed on drop.
pub struct Background(pub Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The scripted model: (process, base URL).
pub fn scripted_model() -> (Background, String) {
    let mut child =
        Command::new("python3").arg(script("scripted_llm.py")).stdout(Stdio::piped()).spawn().expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("port");
    let port: u16 = line.trim().parse().expect("the scripted model prints its port");
    (Background(child), format!("http://127.0.0.1:{port}/v1"))
}

/// Runs the agent against `base_url`, exporting to `server`, with extra environment.
pub fn run_agent(base_url: &str, server: &Server, env: &[(&str, &str)]) -> Output {
    run_script("agent.py", base_url, server, env)
}

/// Whether pydantic-ai is installed (required under CI, like the agent's other packages).
pub fn pydantic_ai_available() -> bool {
    let ok = Command::new("python3").args(["-c", "import pydantic_ai"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "the pydantic-ai replay test needs pydantic-ai-slim under CI");
        eprintln!("skipping: pydantic-ai is not installed");
    }
    ok
}

/// Runs one of the test agents (`agent.py`, `pydantic_agent.py`).
pub fn run_script(name: &str, base_url: &str, server: &Server, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("python3");
    command
        .arg(script(name))
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_API_KEY", "test-key")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", server.url(""))
        .env_remove("AGENT_SYSTEM_SUFFIX")
        .env_remove("AGENT_REFUND_ID")
        .env_remove("AGENT_STREAM");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("python3 runs a test agent")
}

pub fn trace_ids(store: &Path) -> Vec<String> {
    let listed = cli_json(&["traces", "--store", store.to_str().unwrap(), "--json"]);
    listed.as_array().expect("array").iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect()
}

/// Waits until the store lists `count` traces; returns them, newest first.
pub fn wait_for_traces(store: &Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ids = trace_ids(store);
        if ids.len() >= count || Instant::now() > deadline {
            assert_eq!(ids.len(), count, "traces in the store");
            return ids;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `rootspan replay serve FILE --exit-when-done` on a free port: (process, base URL).
pub fn replay_server(recording: &Path, summary: &Path) -> (Child, String) {
    let port = free_port();
    let child = Command::new(binary())
        .args(["replay", "serve"])
        .arg(recording)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--exit-when-done", "--summary-out"])
        .arg(summary)
        .stderr(Stdio::piped())
        .spawn()
        .expect("rootspan replay serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "replay serve did not listen");
        std::thread::sleep(Duration::from_millis(30));
    }
    (child, format!("http://127.0.0.1:{port}/v1"))
}

pub fn finish(mut child: Child) -> (bool, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("read");
            return (status.success(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("replay serve --exit-when-done did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A live run of the agent, stored and exported as a recording: (store, trace id, recording, answer).
pub fn record_live_run(dir: &Path, server: &Server, store: &Path) -> (String, PathBuf, String) {
    let (_model, model_url) = scripted_model();
    let live = run_agent(&model_url, server, &[]);
    assert!(live.status.success(), "live run: {}", String::from_utf8_lossy(&live.stderr));
    let answer = String::from_utf8_lossy(&live.stdout).trim().to_owned();
    assert!(answer.contains("RF-5521"), "the live answer: {answer}");
    let original = wait_for_traces(store, 1).remove(0);
    let recording = dir.join("run.recording.jsonl");
    let exported = cli_json(&[
        "record",
        "export",
        &original,
        "--store",
        store.to_str().unwrap(),
        "--out",
        recording.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(exported["by_kind"]["llm_call"], 3, "{exported}");
    assert_eq!(exported["by_kind"]["tool_call"], 2, "{exported}");
    assert_eq!(exported["missing"].as_array().map(Vec::len), Some(0), "content was captured: {exported}");
    (original, recording, answer)
}
