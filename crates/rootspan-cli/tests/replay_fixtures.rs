//! Every recording replays its own requests: each stored trace with captured content, from the
//! real instrumentation fixtures (eleven families) and the shared otel-clients traces, is
//! exported as a recording, and each of its LLM requests, rebuilt as the OpenAI Chat Completions
//! request an agent would send, and each tool call, is answered by the replayer with no
//! divergence. This guards the conversion trace -> recording -> wire -> comparison for every
//! convention we read.

mod support;

use rootspan_replay::compare::Tolerance;
use rootspan_replay::openai::parse_chat;
use rootspan_replay::step::{StepOverrides, step_request};
use rootspan_replay::{EventKind, Recording, Replayer};
use std::path::Path;
use support::*;

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "pb") && !path.to_string_lossy().contains("nocontent") {
            out.push(path);
        }
    }
}

#[test]
fn every_recording_replays_its_own_requests() {
    let mut inputs = Vec::new();
    files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/instrumentations"), &mut inputs);
    let shared = shared_data().join("otel-clients");
    if shared.is_dir() {
        files(&shared, &mut inputs);
    }
    assert!(inputs.len() >= 100, "expected the instrumentation fixtures, found {}", inputs.len());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("rootspan.db");
    let store = store.to_str().unwrap();
    for chunk in inputs.chunks(50) {
        let mut args = vec!["ingest", "--store", store];
        args.extend(chunk.iter().map(|p| p.to_str().unwrap()));
        let output = cli(&args);
        assert!(output.status.code().is_some_and(|c| c <= 2), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let listed = cli_json(&["traces", "--store", store, "--limit", "10000", "--json"]);
    let mut checked = (0, 0, 0);
    let mut failures = Vec::new();
    for trace in listed.as_array().unwrap() {
        let id = trace["trace_id"].as_str().unwrap();
        let file = dir.path().join(format!("{id}.jsonl"));
        let exported = cli(&["record", "export", id, "--store", store, "--out", file.to_str().unwrap()]);
        assert!(exported.status.success(), "{id}: {}", String::from_utf8_lossy(&exported.stderr));
        let recording = Recording::load(&file).unwrap();
        let mut replayer = Replayer::new(recording.clone(), Tolerance::default());
        checked.0 += 1;
        for event in &recording.events {
            if event.missing.is_some() {
                continue;
            }
            let outcome = match event.kind {
                EventKind::LlmCall => {
                    let request = step_request(event, &StepOverrides::default()).unwrap();
                    checked.1 += 1;
                    replayer.llm(&parse_chat(&request)).map(|_| ())
                }
                EventKind::ToolCall => {
                    checked.2 += 1;
                    replayer.tool(&event.name, &event.request["arguments"]).map(|_| ())
                }
                _ => Ok(()),
            };
            if let Err(failure) = outcome {
                failures.push(format!("{} {id}: {}", trace["service"], failure.message));
            }
        }
    }
    eprintln!("{} recordings, {} LLM calls and {} tool calls replayed", checked.0, checked.1, checked.2);
    assert!(checked.1 >= 300, "{checked:?}");
    assert!(failures.is_empty(), "{} refusals:\n{}", failures.len(), failures.join("\n"));
}
