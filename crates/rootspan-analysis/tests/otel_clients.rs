//! Every otel-clients scenario (and every faulty/healthy pair) gets the right failure mode and a
//! first faulty span that the ground truth accepts; healthy runs raise no failure.

mod dataset;

use rootspan_analysis::{DiagnoseOptions, diagnose};
use serde_json::Value;

struct Case {
    name: String,
    trace_id: String,
    mode: String,
    accepted: Vec<String>,
}

fn cases(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Case)> {
    let mut out = Vec::new();
    let truth = dataset::json(&dir.join("ground_truth.json"));
    for scenario in truth["scenarios"].as_array().into_iter().flatten() {
        let file = dir.join(scenario["files"]["protobuf"].as_str().unwrap_or_default());
        for trace in scenario["traces"].as_array().into_iter().flatten() {
            let mut accepted = Vec::new();
            if let Some(id) = trace["first_faulty_span"]["span_id"].as_str() {
                accepted.push(id.to_owned());
            }
            for alt in trace["also_acceptable_faulty_spans"].as_array().into_iter().flatten() {
                if let Some(id) = alt["span_id"].as_str() {
                    accepted.push(id.to_owned());
                }
            }
            out.push((
                file.clone(),
                Case {
                    name: scenario["scenario"].as_str().unwrap_or_default().to_owned(),
                    trace_id: trace["trace_id"].as_str().unwrap_or_default().to_owned(),
                    mode: trace["failure_mode"].as_str().unwrap_or_default().to_owned(),
                    accepted,
                },
            ));
        }
    }
    for (folder, truth_file) in
        [("population", "population_ground_truth.json"), ("population2", "population2_ground_truth.json")]
    {
        let path = dir.join(folder).join(truth_file);
        if !path.exists() {
            continue;
        }
        let truth = dataset::json(&path);
        for entry in truth["traces"].as_array().into_iter().flatten() {
            let trace = &entry["trace"];
            let mut accepted = Vec::new();
            if let Some(id) = trace["first_faulty_span"]["span_id"].as_str() {
                accepted.push(id.to_owned());
            }
            for alt in trace["also_acceptable_faulty_spans"].as_array().into_iter().flatten() {
                if let Some(id) = alt["span_id"].as_str() {
                    accepted.push(id.to_owned());
                }
            }
            out.push((
                dir.join(folder).join(entry["files"]["protobuf"].as_str().unwrap_or_default()),
                Case {
                    name: format!("{folder}/{}", entry["name"].as_str().unwrap_or_default()),
                    trace_id: trace["trace_id"].as_str().unwrap_or_default().to_owned(),
                    mode: trace["failure_mode"].as_str().unwrap_or_default().to_owned(),
                    accepted,
                },
            ));
        }
    }
    let pairs = dataset::json(&dir.join("pairs/pairs_ground_truth.json"));
    for pair in pairs["pairs"].as_array().into_iter().flatten() {
        let name = pair["pair"].as_str().unwrap_or_default();
        for side in ["healthy", "faulty"] {
            let file = dir.join("pairs").join(pair["runs"][side]["files"]["protobuf"].as_str().unwrap_or_default());
            let mut accepted = Vec::new();
            if side == "faulty" {
                accepted
                    .push(pair["first_divergent_span"]["faulty"]["span_id"].as_str().unwrap_or_default().to_owned());
                for alt in pair["also_acceptable_divergent_spans"].as_array().into_iter().flatten() {
                    accepted.push(alt["faulty"]["span_id"].as_str().unwrap_or_default().to_owned());
                }
            }
            out.push((
                file,
                Case {
                    name: format!("{name}__{side}"),
                    trace_id: pair[format!("{side}_trace_id")].as_str().unwrap_or_default().to_owned(),
                    mode: if side == "faulty" {
                        pair["failure_mode"].as_str().unwrap_or_default().to_owned()
                    } else {
                        "none".to_owned()
                    },
                    accepted,
                },
            ));
        }
    }
    out
}

fn expected_answer_of(_case: &Case) -> Option<String> {
    None
}

#[test]
fn otel_clients_failure_mode_and_first_faulty_span() {
    let Some(truth) = dataset::require("otel-clients/ground_truth.json") else { return };
    let dir = truth.parent().expect("otel-clients");
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, case) in cases(dir) {
        total += 1;
        let trees = dataset::trees_from_otlp(&file);
        let Some(tree) = trees.get(&case.trace_id) else {
            failures.push(format!("{}: trace {} not in {}", case.name, case.trace_id, file.display()));
            continue;
        };
        let options = DiagnoseOptions { expected_answer: expected_answer_of(&case), ..DiagnoseOptions::default() };
        let diagnosis = diagnose(tree, &options);
        let root = diagnosis.root_cause.as_ref().map(|r| r.span_id.clone());
        let mode_ok = diagnosis.failure_mode == case.mode;
        let span_ok =
            if case.mode == "none" { root.is_none() } else { root.as_ref().is_some_and(|r| case.accepted.contains(r)) };
        if !(mode_ok && span_ok) {
            failures.push(format!(
                "{} {}: expected {} at {:?}, got {} at {:?} ({})",
                case.name,
                case.trace_id,
                case.mode,
                case.accepted,
                diagnosis.failure_mode,
                diagnosis.root_cause.as_ref().map(|r| format!("{} {}", r.span_name, r.span_id)),
                diagnosis
                    .findings
                    .iter()
                    .map(|f| format!("{}@{}", f.detector, f.span_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    eprintln!("otel-clients: {}/{} traces right", total - failures.len(), total);
    assert!(failures.is_empty(), "{} of {total} wrong:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn expected_answer_flags_a_wrong_final_answer() {
    let Some(file) = dataset::require("otel-clients/pai_healthy.pb") else { return };
    let trees = dataset::trees_from_otlp(&file);
    let tree = trees.values().next().expect("one trace");
    let right = DiagnoseOptions {
        expected_answer: Some("Order A1001 has shipped with UPS and should arrive on 2025-03-07.".to_owned()),
        ..DiagnoseOptions::default()
    };
    assert_eq!(diagnose(tree, &right).failure_mode, "none");
    let wrong =
        DiagnoseOptions { expected_answer: Some("It arrives on 2025-03-09.".to_owned()), ..DiagnoseOptions::default() };
    assert_eq!(diagnose(tree, &wrong).failure_mode, "silent_wrong_answer");
    let _: Option<Value> = None;
}
