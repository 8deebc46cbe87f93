//! Replay end to end with a real agent: the official openai SDK in a tool loop, traced by
//! OpenInference and exported over OTLP to `rootspan serve`. A first run talks to a scripted
//! model (the "live" service); its stored trace becomes a recording (`record export`); the
//! unchanged agent then runs against `rootspan replay serve`, reproduces the run exactly, and its
//! new trace diffs empty against the old one. A changed prompt and a changed tool result are
//! refused at the step where they first reach the model, with a message naming that step.

#[path = "replay/harness.rs"]
mod agent_support;
mod support;

use agent_support::*;
use support::*;

#[test]
fn the_unchanged_agent_reproduces_its_recorded_run_and_the_traces_diff_empty() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (original, recording, answer) = record_live_run(dir.path(), &server, &store);

    for (round, env) in [vec![], vec![("AGENT_STREAM", "1")]].into_iter().enumerate() {
        let summary_path = dir.path().join(format!("summary-{round}.json"));
        let (replay, url) = replay_server(&recording, &summary_path);
        let replayed = run_agent(&url, &server, &env);
        assert!(replayed.status.success(), "replayed run {env:?}: {}", String::from_utf8_lossy(&replayed.stderr));
        assert_eq!(String::from_utf8_lossy(&replayed.stdout).trim(), answer, "the same answer {env:?}");
        let (complete, stderr) = finish(replay);
        assert!(complete, "replay serve exits 0 when every step was consumed: {stderr}");
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap();
        assert_eq!(summary["complete"], true, "{summary}");
        assert_eq!(summary["consumed"].as_array().unwrap().len(), 3, "the three model calls: {summary}");
        assert_eq!(summary["observed"].as_array().unwrap().len(), 2, "the two tools the agent ran: {summary}");

        let new = wait_for_traces(&store, 2 + round)[0].clone();
        assert_ne!(new, original);
        let diff = cli_json(&["diff", &original, &new, "--store", store.to_str().unwrap(), "--json"]);
        assert!(
            diff["first_divergence"].is_null(),
            "the replayed run diffs empty {env:?}: {}",
            diff["first_divergence"]
        );
        assert_eq!(diff["counts"]["changed"], 0, "{}", diff["counts"]);
        assert_eq!(diff["counts"]["same"], 6, "{}", diff["counts"]);
    }
}

#[test]
fn a_changed_prompt_or_tool_result_is_refused_at_its_step() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (_original, recording, _answer) = record_live_run(dir.path(), &server, &store);
    let cases = [
        (("AGENT_SYSTEM_SUFFIX", " Be terse."), 1, "message 0 (system) text"),
        (("AGENT_REFUND_ID", "RF-9999"), 5, "message 5 (tool) text"),
    ];
    for ((key, value), step, difference) in cases {
        let summary_path = dir.path().join(format!("summary-{key}.json"));
        let (replay, url) = replay_server(&recording, &summary_path);
        let run = run_agent(&url, &server, &[(key, value)]);
        assert!(!run.status.success(), "{key}: the agent must fail loudly, not get an answer");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("422"), "{key}: {stderr}");
        assert!(stderr.contains(&format!("replay diverged at step {step} (llm_call")), "{key}: {stderr}");
        assert!(stderr.contains(difference), "{key}: {stderr}");
        let (complete, _) = finish(replay);
        assert!(!complete, "{key}: replay serve exits 1 after a divergence");
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap();
        assert_eq!(summary["diverged"][0]["step"], step, "{summary}");
        assert_eq!(summary["failures"][0]["failure"], "diverged", "{summary}");
    }
}

#[test]
fn a_pydantic_ai_agent_replays_exactly_and_a_changed_tool_result_diverges() {
    if !python_agent_available() || !pydantic_ai_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (_model, model_url) = scripted_model();
    let live = run_script("pydantic_agent.py", &model_url, &server, &[]);
    assert!(live.status.success(), "live run: {}", String::from_utf8_lossy(&live.stderr));
    let answer = String::from_utf8_lossy(&live.stdout).trim().to_owned();
    let original = wait_for_traces(&store, 1).remove(0);
    let recording = dir.path().join("pydantic.recording.jsonl");
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
    assert_eq!(
        (exported["by_kind"]["llm_call"].as_u64(), exported["by_kind"]["tool_call"].as_u64()),
        (Some(3), Some(2)),
        "{exported}"
    );

    let summary_path = dir.path().join("summary.json");
    let (replay, url) = replay_server(&recording, &summary_path);
    let replayed = run_script("pydantic_agent.py", &url, &server, &[]);
    assert!(replayed.status.success(), "replayed run: {}", String::from_utf8_lossy(&replayed.stderr));
    assert_eq!(String::from_utf8_lossy(&replayed.stdout).trim(), answer);
    let (complete, stderr) = finish(replay);
    assert!(complete, "{stderr}");
    let new = wait_for_traces(&store, 2)[0].clone();
    let diff = cli_json(&["diff", &original, &new, "--store", store.to_str().unwrap(), "--json"]);
    assert!(diff["first_divergence"].is_null(), "{}", diff["first_divergence"]);

    let (replay, url) = replay_server(&recording, &summary_path);
    let changed = run_script("pydantic_agent.py", &url, &server, &[("AGENT_REFUND_ID", "RF-0001")]);
    assert!(!changed.status.success());
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert!(stderr.contains("replay diverged at step 5 (llm_call") && stderr.contains("RF-0001"), "{stderr}");
    let (complete, _) = finish(replay);
    assert!(!complete);
}

#[test]
fn one_step_reruns_against_an_endpoint_with_and_without_an_override() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (_original, recording, _answer) = record_live_run(dir.path(), &server, &store);
    let (_model, endpoint) = scripted_model();
    let file = recording.to_str().unwrap();
    let same = cli_json(&["replay", "step", file, "5", "--endpoint", &endpoint, "--json"]);
    assert_eq!(same["same"], true, "the same prompt gets the same answer from the scripted model: {same}");
    assert!(same["old"]["content"].as_str().unwrap().contains("RF-5521"));
    let tool_result = r#"5={"refund_id": "RF-7777", "order_id": "A1003", "amount": 129.0, "status": "issued"}"#;
    let changed = cli_json(&["replay", "step", file, "5", "--endpoint", &endpoint, "--message", tool_result, "--json"]);
    assert_eq!(changed["same"], false, "{changed}");
    assert!(changed["new"]["content"].as_str().unwrap().contains("RF-7777"), "{changed}");
    assert!(changed["old"]["content"].as_str().unwrap().contains("RF-5521"), "{changed}");
    let not_llm = cli(&["replay", "step", file, "2", "--endpoint", &endpoint]);
    assert_eq!(not_llm.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&not_llm.stderr).contains("step 2 is a tool_call step"),
        "{}",
        String::from_utf8_lossy(&not_llm.stderr)
    );
}

#[test]
fn a_recording_written_by_the_python_trace_writer_replays() {
    let available = std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("skipping: no python3");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("written.jsonl");
    let sdk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk/python");
    let program = format!(
        r#"
from rootspan_trace_writer import TraceWriter, RecordedError
with TraceWriter({path:?}, input="Where is A1?") as rec:
    rec.clock_read(1764633600000000000)
    rec.tool_call("get_order", {{"order_id": "A1"}}, result={{"status": "shipped"}})
    rec.tool_call("search_docs", {{"query": "returns"}}, result=[])
    rec.tool_call("refund_order", {{"order_id": "A1"}}, error=RecordedError("payments-api 503", status=503))
"#,
        path = recording.to_str().unwrap()
    );
    let written = std::process::Command::new("python3").arg("-c").arg(program).env("PYTHONPATH", sdk).output().unwrap();
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let summary = dir.path().join("summary.json");
    let (replay, url) = replay_server(&recording, &summary);
    let base = url.trim_end_matches("/v1").to_owned();
    let client = reqwest::blocking::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        let response = client.post(format!("{base}{path}")).json(&body).send().unwrap();
        (response.status().as_u16(), response.json::<serde_json::Value>().unwrap())
    };
    let (status, clock) = post("/v1/replay/clock_read", serde_json::Value::Null);
    assert_eq!((status, clock["response"]["unix_nano"].as_u64()), (200, Some(1_764_633_600_000_000_000)), "{clock}");
    let (status, order) = post("/v1/tools/get_order", serde_json::json!({"order_id": "A1"}));
    assert_eq!((status, order["result"]["status"].as_str()), (200, Some("shipped")), "{order}");
    let (status, docs) = post("/v1/tools/search_docs", serde_json::json!({"query": "returns"}));
    assert_eq!((status, docs["result"].clone()), (200, serde_json::json!([])), "an empty result: {docs}");
    let (status, refund) = post("/v1/tools/refund_order", serde_json::json!({"order_id": "A1"}));
    assert_eq!((status, refund["error"]["message"].as_str()), (502, Some("payments-api 503")), "{refund}");
    let (complete, stderr) = finish(replay);
    assert!(complete, "every written step was consumed: {stderr}");
}

#[test]
fn the_official_mcp_client_gets_recorded_tool_results_and_a_loud_refusal() {
    let ok =
        std::process::Command::new("python3").args(["-c", "import mcp"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "the Python mcp package is required under CI"
        );
        eprintln!("skipping: the Python mcp package is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("tools.jsonl");
    let sdk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk/python");
    let program = format!(
        r#"
from rootspan_trace_writer import TraceWriter, RecordedError
with TraceWriter({path:?}) as rec:
    rec.tool_call("get_order", {{"order_id": "A1"}}, result={{"status": "shipped"}})
    rec.tool_call("refund_order", {{"order_id": "A1"}}, error=RecordedError("payments-api 503", status=503))
"#,
        path = recording.to_str().unwrap()
    );
    let written = std::process::Command::new("python3").arg("-c").arg(program).env("PYTHONPATH", sdk).output().unwrap();
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let output = std::process::Command::new("python3")
        .arg(script("mcp_client.py"))
        .arg(binary())
        .arg(&recording)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let answers: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers["tools"], serde_json::json!(["get_order", "refund_order"]));
    assert_eq!(answers["get_order"]["is_error"], false);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(answers["get_order"]["text"].as_str().unwrap()).unwrap()["status"],
        "shipped"
    );
    assert_eq!(
        answers["refund_order"],
        serde_json::json!({"text": "payments-api 503", "is_error": true}),
        "the recorded failure"
    );
    let refusal = answers["beyond"]["error"].as_str().unwrap_or_default();
    assert!(refusal.contains("replay exhausted after step 2"), "{answers}");
}

#[test]
fn the_openai_sdk_streams_a_recorded_turn_over_the_responses_api() {
    if !python_agent_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let server = Server::start(&store);
    let (_original, recording, _answer) = record_live_run(dir.path(), &server, &store);
    let (mut replay, url) = replay_server(&recording, &dir.path().join("summary.json"));
    let output = std::process::Command::new("python3")
        .arg(script("responses_client.py"))
        .env("OPENAI_BASE_URL", &url)
        .env("OPENAI_API_KEY", "test-key")
        .output()
        .unwrap();
    let _ = replay.kill();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(items[0]["type"], "function_call", "{items}");
    assert_eq!(items[0]["name"], "get_order");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(items[0]["arguments"].as_str().unwrap()).unwrap()["order_id"],
        "A1003"
    );
}
