//! The analysis commands through the real binary on a real store, checking the interface facts
//! that acceptance checks rely on: `diagnose --json`, `diff --json`, `clusters --json`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use support::*;

/// Ingests a trace file, or every trace file of a directory (its ground-truth label files are
/// not traces: `rootspan ingest DIR` would name them as skipped and exit 2).
fn ingest(store: &std::path::Path, path: &std::path::Path) {
    let mut args = vec!["ingest".to_owned(), "--store".to_owned(), store.to_str().unwrap().to_owned()];
    if path.is_dir() {
        let mut files: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && !p.to_string_lossy().contains("ground_truth"))
            .map(|p| p.to_str().unwrap().to_owned())
            .collect();
        files.sort();
        args.extend(files);
    } else {
        args.push(path.to_str().unwrap().to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cli(&args);
    assert!(output.status.success(), "ingest {}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
}

fn read_json(path: std::path::PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn diagnose_json_names_the_failure_mode_and_first_faulty_span() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("diagnose.db");
    let data = shared_data().join("otel-clients");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pb") {
            ingest(&store, &path);
        }
    }
    let truth = read_json(data.join("ground_truth.json"));
    let store_arg = store.to_str().unwrap();
    let mut checked = 0;
    for scenario in truth["scenarios"].as_array().unwrap() {
        for trace in scenario["traces"].as_array().unwrap() {
            let trace_id = trace["trace_id"].as_str().unwrap();
            let output = cli(&["diagnose", trace_id, "--store", store_arg, "--json"]);
            let code = output.status.code();
            let diagnosis: serde_json::Value = serde_json::from_slice(&output.stdout)
                .unwrap_or_else(|e| panic!("diagnose {trace_id}: {e}: {}", String::from_utf8_lossy(&output.stderr)));
            let expected = trace["failure_mode"].as_str().unwrap();
            assert_eq!(diagnosis["failure_mode"], expected, "{trace_id} ({})", scenario["scenario"]);
            for finding in diagnosis["findings"].as_array().expect("findings array") {
                for key in ["detector", "span_id", "severity", "evidence"] {
                    assert!(!finding[key].is_null(), "{trace_id}: finding without {key}: {finding}");
                }
            }
            if expected == "none" {
                assert!(diagnosis["root_cause"].is_null(), "{trace_id}: healthy run blamed: {diagnosis}");
                assert_eq!(code, Some(0), "{trace_id}: a healthy run exits 0");
            } else {
                let mut accepted: BTreeSet<&str> = BTreeSet::new();
                accepted.insert(trace["first_faulty_span"]["span_id"].as_str().unwrap());
                for other in trace["also_acceptable_faulty_spans"].as_array().unwrap() {
                    accepted.insert(other["span_id"].as_str().unwrap());
                }
                let blamed = diagnosis["root_cause"]["span_id"].as_str().unwrap_or("null");
                assert!(accepted.contains(blamed), "{trace_id}: root cause {blamed}, accepted {accepted:?}");
                assert!(diagnosis["root_cause"]["span_name"].is_string());
            }
            checked += 1;
        }
    }
    assert!(checked >= 15);
}

#[test]
fn diff_json_marks_the_first_divergence_of_each_pair() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("pairs.db");
    let data = shared_data().join("otel-clients/pairs");
    ingest(&store, &data);
    let truth = read_json(data.join("pairs_ground_truth.json"));
    let store_arg = store.to_str().unwrap();
    for pair in truth["pairs"].as_array().unwrap() {
        let faulty = pair["faulty_trace_id"].as_str().unwrap();
        let healthy = pair["healthy_trace_id"].as_str().unwrap();
        let diff = cli_json(&["diff", faulty, healthy, "--store", store_arg, "--json"]);
        let mut accepted = vec![(
            pair["first_divergent_span"]["faulty"]["span_id"].as_str().unwrap().to_owned(),
            pair["first_divergent_span"]["healthy"]["span_id"].as_str().unwrap().to_owned(),
        )];
        for other in pair["also_acceptable_divergent_spans"].as_array().unwrap() {
            accepted.push((
                other["faulty"]["span_id"].as_str().unwrap().to_owned(),
                other["healthy"]["span_id"].as_str().unwrap().to_owned(),
            ));
        }
        let found = (
            diff["first_divergence"]["a_span_id"].as_str().unwrap_or("null").to_owned(),
            diff["first_divergence"]["b_span_id"].as_str().unwrap_or("null").to_owned(),
        );
        assert!(accepted.contains(&found), "{}: divergence {found:?}, accepted {accepted:?}", pair["pair"]);
        assert!(diff["steps"].as_array().is_some_and(|steps| !steps.is_empty()));
        let same = cli_json(&["diff", faulty, faulty, "--store", store_arg, "--json"]);
        assert!(same["first_divergence"].is_null(), "a run diffed with itself does not diverge");
    }
}

#[test]
fn clusters_json_groups_a_population_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("population.db");
    let data = shared_data().join("otel-clients/population");
    ingest(&store, &data);
    let truth = read_json(data.join("population_ground_truth.json"));
    let labels: BTreeMap<String, String> =
        truth["labels"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    let clusters = cli_json(&["clusters", "--store", store.to_str().unwrap(), "--json"]);
    let clusters = clusters.as_array().expect("an array of clusters");
    let kinds: BTreeSet<&String> =
        labels.values().filter(|kind| kind.as_str() != "none" && kind.as_str() != "healthy").collect();
    assert!(!clusters.is_empty());
    assert!(clusters.len() <= kinds.len() + 3, "{} clusters for {} kinds", clusters.len(), kinds.len());
    let mut majority = 0;
    let mut total = 0;
    for cluster in clusters {
        assert!(cluster["signature"].is_string());
        let ids: Vec<&str> = cluster["trace_ids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(cluster["count"], ids.len());
        assert!(ids.contains(&cluster["representative_trace_id"].as_str().unwrap()));
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for id in &ids {
            *counts.entry(labels.get(*id).map(String::as_str).unwrap_or("unlabelled")).or_default() += 1;
        }
        majority += counts.values().max().copied().unwrap_or(0);
        total += ids.len();
    }
    let purity = majority as f64 / total as f64;
    assert!(purity >= 0.95, "purity {purity:.3}");
}

#[test]
fn clusters_right_after_live_ingest_include_every_failing_trace() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("live-population.db");
    let server = Server::start(&store);
    let data = shared_data().join("otel-clients/population");
    let truth = read_json(data.join("population_ground_truth.json"));
    let client = reqwest::blocking::Client::new();
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pb"))
        .collect();
    files.sort();
    for file in files {
        let response = client
            .post(server.url("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(std::fs::read(&file).unwrap())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    // No waiting: the command must not depend on the server's background analysis having run.
    let clusters = cli_json(&["clusters", "--store", store.to_str().unwrap(), "--json"]);
    let clustered: usize = clusters.as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap() as usize).sum();
    let failing =
        truth["labels"].as_object().unwrap().values().filter(|kind| kind != &"none" && kind != &"healthy").count();
    assert_eq!(clustered, failing, "every failing trace is in a cluster");
}
