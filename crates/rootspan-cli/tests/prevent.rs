//! Prevention end to end: a stored trace becomes an eval case on disk (`eval new`), the case
//! runs against a replay of its recording with the real agent (`eval run`, JUnit, exit codes),
//! and failure issues move through active, resolved, regressed (by a new matching trace, and by
//! a failed eval case), reopened and ignored, each change kept with its time and cause.

#[path = "replay/harness.rs"]
mod agent_support;
mod support;

use agent_support::*;
use std::path::Path;
use std::process::Command;
use support::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/instrumentations/oi_openai").join(name)
}

#[test]
fn an_eval_case_from_a_trace_passes_on_replay_and_fails_when_the_agent_changes() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (original, _recording, answer) = record_live_run(dir.path(), &server, &store);
    let evals = dir.path().join("evals");
    let command = format!("python3 {}", script("agent.py").display());
    let made = cli(&[
        "eval",
        "new",
        "--from",
        &original,
        "--store",
        store.to_str().unwrap(),
        "--out",
        evals.to_str().unwrap(),
        "--id",
        "refund-a1003",
        "--command",
        &command,
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let case_path = String::from_utf8_lossy(&made.stdout).lines().last().unwrap().to_owned();
    assert!(case_path.ends_with("refund-a1003/case.json"), "{case_path}");
    let case: serde_json::Value = serde_json::from_slice(&std::fs::read(&case_path).unwrap()).unwrap();
    assert_eq!(case["origin"]["trace_id"], original.as_str());
    assert_eq!(case["input"], "My smart speaker from order A1003 arrived broken. Please refund it.");
    assert_eq!(case["expected"]["answer"], answer.as_str(), "a healthy run's answer is the reference");
    assert!(evals.join("refund-a1003/recording.jsonl").is_file());

    let junit = dir.path().join("junit.xml");
    let passed = cli(&["eval", "run", evals.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    assert_eq!(
        passed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&passed.stdout),
        String::from_utf8_lossy(&passed.stderr)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");

    let changed = Command::new(binary())
        .args(["eval", "run", evals.to_str().unwrap(), "--json", "--junit", junit.to_str().unwrap()])
        .env("AGENT_REFUND_ID", "RF-9999")
        .output()
        .unwrap();
    assert_eq!(changed.status.code(), Some(1), "a changed tool result fails the case");
    let report: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(report["failed"], 1);
    let why = report["cases"][0].to_string();
    assert!(why.contains("replay diverged at step 5"), "{why}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure") && xml.contains("step 5"), "{xml}");
}

fn issues(store: &str) -> Vec<serde_json::Value> {
    cli_json(&["issues", "--store", store, "--json"]).as_array().unwrap().clone()
}

/// The fixture trace again under a new trace id: the same failure in a new run.
fn copy_with_trace_id(dir: &Path, original_id: &str, new_id: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("oi_openai_tool_error_ignored.json")).unwrap();
    assert!(text.contains(original_id));
    let path = dir.join(format!("{new_id}.json"));
    std::fs::write(&path, text.replace(original_id, new_id)).unwrap();
    path
}

#[test]
fn issues_resolve_regress_reopen_and_ignore_with_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("rootspan.db");
    let store = store_path.to_str().unwrap();
    let ingest = cli(&["ingest", "--store", store, fixture("oi_openai_tool_error_ignored.json").to_str().unwrap()]);
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    let first = issues(store);
    assert_eq!(first.len(), 1, "{first:?}");
    let issue = &first[0];
    assert_eq!(issue["state"], "active");
    assert_eq!(issue["count"], 1);
    assert!(!issue["signature"].as_str().unwrap().is_empty());
    let id = issue["id"].as_str().unwrap().to_owned();
    let original_id = issue["representative_trace_id"].as_str().unwrap().to_owned();

    let resolved = cli(&["issue", &id[..8], "resolve", "--store", store, "--cause", "fixed the refund error handling"]);
    assert!(resolved.status.success(), "{}", String::from_utf8_lossy(&resolved.stderr));
    assert_eq!(issues(store)[0]["state"], "resolved");

    let new_trace = "0123456789abcdef0123456789abcdef";
    let copy = copy_with_trace_id(dir.path(), &original_id, new_trace);
    assert!(cli(&["ingest", "--store", store, copy.to_str().unwrap()]).status.success());
    let after = issues(store);
    assert_eq!(after[0]["count"], 2);
    assert_eq!(after[0]["state"], "regressed", "a new trace matched the resolved issue: {}", after[0]);
    assert_eq!(after[0]["last_change"]["trace_id"], new_trace);

    for (action, state) in [("reopen", "active"), ("ignore", "ignored")] {
        let changed = cli_json(&["issue", &id, action, "--store", store, "--json"]);
        assert_eq!(changed["issue"]["state"], state);
    }
    let third = copy_with_trace_id(dir.path(), &original_id, "fedcba9876543210fedcba9876543210");
    assert!(cli(&["ingest", "--store", store, third.to_str().unwrap()]).status.success());
    assert_eq!(issues(store)[0]["state"], "ignored", "an ignored issue stays ignored");

    // A failed eval case linked to a resolved issue regresses it too.
    assert!(cli(&["issue", &id, "resolve", "--store", store]).status.success());
    let evals = dir.path().join("evals");
    let made = cli(&["eval", "new", "--from", new_trace, "--store", store, "--out", evals.to_str().unwrap()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let run = cli(&["eval", "run", evals.to_str().unwrap(), "--store", store]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "the recorded run still shows its failure: {}",
        String::from_utf8_lossy(&run.stdout)
    );
    let last = &issues(store)[0];
    assert_eq!(last["state"], "regressed", "{last}");
    assert!(last["last_change"]["cause"].as_str().unwrap().starts_with("eval case tool-error-ignored-"), "{last}");
    assert!(last["eval_cases"].as_object().unwrap().values().all(|v| v == "failed"), "{last}");

    let shown = cli_json(&["issue", &id, "--store", store, "--json"]);
    let kinds: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec!["resolved", "regressed", "reopened", "ignored", "resolved", "eval_linked", "eval_failed", "regressed"],
        "every change is kept in order"
    );
    assert_eq!(shown["history"][0]["cause"], "fixed the refund error handling");
}

fn post(url: &str, content_type: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new().post(url).header("content-type", content_type).body(body).send().unwrap()
}

fn eval_issue(server: &Server, want_state: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed: serde_json::Value = reqwest::blocking::get(server.url("/api/v1/issues")).unwrap().json().unwrap();
        let found = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["signature"].as_str().unwrap_or("").starts_with("eval | "))
            .cloned();
        if let Some(issue) = found.filter(|i| i["state"] == want_state) {
            return issue;
        }
        assert!(std::time::Instant::now() < deadline, "no {want_state} eval issue: {listed}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn continuous_evaluation_scores_incoming_traces_and_regresses_resolved_issues() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("online.json");
    std::fs::write(&config, r#"{"share": 1.0, "scorers": [{"type": "contains", "value": "could not"}]}"#).unwrap();
    let store = dir.path().join("rootspan.db");
    let (http, grpc) = (free_port(), free_port());
    let server = Server::start_with(&store, http, grpc, &["--online-eval", config.to_str().unwrap()]);
    // The run claims the refund went through although the tool failed: the scorer wants the
    // answer to admit it could not.
    let sent = post(
        &server.url("/v1/traces"),
        "application/x-protobuf",
        std::fs::read(fixture("oi_openai_tool_error_ignored.pb")).unwrap(),
    );
    assert!(sent.status().is_success());
    let issue = eval_issue(&server, "active");
    assert_eq!(issue["signature"], "eval | contains \"could not\"");
    assert_eq!(issue["count"], 1);
    let id = issue["id"].as_str().unwrap();
    let resolved = reqwest::blocking::Client::new()
        .post(server.url(&format!("/api/v1/issues/{id}/resolve?cause=prompt%20fixed")))
        .send()
        .unwrap();
    assert!(resolved.status().is_success());
    let original_id = issue["representative_trace_id"].as_str().unwrap();
    let copy = copy_with_trace_id(dir.path(), original_id, "00112233445566778899aabbccddeeff");
    let sent = post(&server.url("/v1/traces"), "application/json", std::fs::read(copy).unwrap());
    assert!(sent.status().is_success());
    let regressed = eval_issue(&server, "regressed");
    assert_eq!(regressed["count"], 2);
    assert_eq!(regressed["last_change"]["trace_id"], "00112233445566778899aabbccddeeff");
}

#[test]
fn the_llm_judge_scorer_asks_an_openai_compatible_endpoint() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_model, endpoint) = scripted_model();
    for (id, output, passes) in
        [("names-refund", "Refunded, id RF-5521.", true), ("no-refund", "Your refund is on its way.", false)]
    {
        let case_dir = dir.path().join("evals").join(id);
        std::fs::create_dir_all(&case_dir).unwrap();
        std::fs::write(
            case_dir.join("recording.jsonl"),
            format!("{}\n", serde_json::json!({"rootspan_recording": 1, "output": output})),
        )
        .unwrap();
        let case = serde_json::json!({
            "rootspan_eval": 1, "id": id, "input": "Refund A1003", "recording": "recording.jsonl",
            "scorers": [{"type": "llm_judge", "criteria": "The answer names the refund id."}],
        });
        std::fs::write(case_dir.join("case.json"), case.to_string()).unwrap();
        let run = cli(&["eval", "run", case_dir.to_str().unwrap(), "--judge-url", &endpoint, "--json"]);
        assert_eq!(
            run.status.code(),
            Some(if passes { 0 } else { 1 }),
            "{id}: {}",
            String::from_utf8_lossy(&run.stdout)
        );
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert!(report["cases"][0]["scores"][0]["detail"].as_str().unwrap().starts_with("judge: "), "{report}");
    }
}
