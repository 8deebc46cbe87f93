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
