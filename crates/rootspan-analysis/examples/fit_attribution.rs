//! Fits the shipped attribution weights and prints them as `src/attribution/weights.rs`.
//!
//! `cargo run --release -p rootspan-analysis --example fit_attribution -- [SHARED_DATA] > crates/rootspan-analysis/src/attribution/weights.rs`
//! then `rustfmt --edition 2024` that file. `--report` prints the 5-fold cross-validated figures
//! instead (`--dump` adds each held-out prediction, `--features` each step's features).
//!
//! The training logs are the labelled dev files in the shared data (never copied here): Who&When
//! (both subsets; group-chat and orchestrated weights) and AgentRx τ-bench retail (tool-use
//! weights). AgentRx's Magentic-One runs are left out: they are the Who&When Hand-Crafted logs
//! again, under a second annotation. `rootspan benchmark` cross-validates the same fit.

use rootspan_analysis::attribution::features::{AGENT_FEATURES, STEP_FEATURES};
use rootspan_analysis::attribution::{AttributionModel, Example, ShapeWeights, StepLog, step_log};
use rootspan_analysis::benchmarks::{agentrx_critical, attribution_label};
use rootspan_analysis::evaluation::{AttributionRecord, attribution_baselines, cross_validate_attribution, fold_of};
use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_ingest::FileFormat;
use rootspan_model::SpanTree;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn trees(path: &Path, format: FileFormat) -> Vec<SpanTree> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let imported =
        rootspan_ingest::import_as(format, path, &bytes, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut by_trace: std::collections::BTreeMap<[u8; 16], Vec<rootspan_model::Span>> = Default::default();
    for span in imported.spans {
        by_trace.entry(span.trace_id).or_default().push(span);
    }
    by_trace.into_values().map(SpanTree::build).collect()
}

fn prepared(tree: &SpanTree) -> Option<StepLog> {
    step_log(tree, Some(&diagnose(tree, &DiagnoseOptions::default())))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let report = args.iter().any(|a| a == "--report");
    let data =
        args.iter().find(|a| !a.starts_with("--")).map(PathBuf::from).unwrap_or_else(rootspan_testkit::shared_data);
    let mut labelled: Vec<(StepLog, i64, String, String)> = Vec::new();
    for subset in ["Algorithm-Generated", "Hand-Crafted"] {
        for file in json_files(&data.join("who_and_when").join(subset)) {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let value: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let Some(label) = attribution_label(&value) else { continue };
            let Some(log) = trees(&file, FileFormat::WhoAndWhen).first().and_then(prepared) else { continue };
            let key = format!("{subset}/{}", file.file_stem().and_then(|s| s.to_str()).unwrap_or_default());
            labelled.push((log, label.mistake_step, label.mistake_agent, key));
        }
    }
    let agentrx = data.join("agentrx");
    let truth_path = agentrx.join("ground_truth/tau_ground_truth.json");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&truth_path).unwrap_or_else(|e| panic!("{}: {e}", truth_path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", truth_path.display()));
    let runs = trees(&agentrx.join("tau_retail/tau_dataset_failed.json"), FileFormat::AgentRx);
    for record in truth.as_array().into_iter().flatten() {
        let id = match record.get("trajectory_id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => continue,
        };
        let Some((step, _, agent)) = agentrx_critical(record) else { continue };
        let run = runs
            .iter()
            .find(|tree| tree.root().and_then(|r| r.attr("rootspan.task_id")).is_some_and(|v| v.to_text() == id));
        let Some(log) = run.and_then(prepared) else { continue };
        labelled.push((log, step, agent, format!("tau_retail/{id}")));
    }
    let zero = AttributionModel {
        orchestrated: ShapeWeights::ZERO,
        group_chat: ShapeWeights::ZERO,
        tool_use: ShapeWeights::ZERO,
    };
    if report {
        let records: Vec<AttributionRecord> = labelled
            .iter()
            .map(|(log, step, agent, key)| AttributionRecord {
                key: key.clone(),
                subset: key.split('/').next().unwrap_or("").to_owned(),
                log: log.clone(),
                step: *step,
                agent: agent.clone(),
            })
            .collect();
        let cv = cross_validate_attribution(&records, 5, &zero, |a, b| a.trim().eq_ignore_ascii_case(b.trim()));
        for (subset, figures) in &cv {
            let of: Vec<&AttributionRecord> =
                records.iter().filter(|r| subset == "all" || &r.subset == subset).collect();
            let baselines = attribution_baselines(&of, |a, b| a.trim().eq_ignore_ascii_case(b.trim()));
            println!(
                "{subset:<20} n={:<3} step {:.3} [{:.2}..{:.2}] agent {:.3} | best step baseline {} {:.3} (cv mf {:.3}) best agent {} {:.3}",
                figures.logs,
                figures.step_accuracy.pooled,
                figures.step_accuracy.min,
                figures.step_accuracy.max,
                figures.agent_accuracy.pooled,
                baselines.best_step_baseline,
                baselines.best_step_accuracy,
                figures.most_frequent_step_baseline.pooled,
                baselines.best_agent_baseline,
                baselines.best_agent_accuracy
            );
        }
        if args.iter().any(|a| a == "--features") {
            for record in &records {
                for c in record.log.steps.iter().take(40) {
                    let marks: Vec<String> = c
                        .features
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| **v != 0.0)
                        .map(|(i, v)| format!("{}={v:.1}", STEP_FEATURES[i]))
                        .collect();
                    println!(
                        "{} {}{} {} {}",
                        record.key,
                        if c.step == record.step { "*" } else { " " },
                        c.step,
                        c.agent,
                        marks.join(" ")
                    );
                }
            }
        }
        if args.iter().any(|a| a == "--dump") {
            for fold in 0..5 {
                let training: Vec<Example> = records
                    .iter()
                    .filter(|r| fold_of(&r.key, 5) != fold)
                    .map(|r| Example { log: &r.log, step: r.step, agent: &r.agent })
                    .collect();
                let model = AttributionModel::fit(&training, &zero);
                for record in records.iter().filter(|r| fold_of(&r.key, 5) == fold) {
                    let chosen = model.choose_step(&record.log);
                    let agent = chosen.and_then(|_| model.choose_agent(&record.log)).unwrap_or("-");
                    let gold_agent_at = record.log.speakers.get(&record.step).map(String::as_str).unwrap_or("-");
                    println!(
                        "{:<24} step {:>3} gold {:>3} {} | agent {:<28} gold {:<28} (speaker at gold {gold_agent_at}) {}",
                        record.key,
                        chosen.map(|c| c.step).unwrap_or(-1),
                        record.step,
                        if chosen.is_some_and(|c| c.step == record.step) { "OK" } else { "  " },
                        agent,
                        record.agent,
                        if agent.eq_ignore_ascii_case(&record.agent) { "OK" } else { "" }
                    );
                }
                if fold == 0 {
                    eprintln!("{:?}", model.group_chat);
                }
            }
        }
        return;
    }
    let examples: Vec<Example> =
        labelled.iter().map(|(log, step, agent, _)| Example { log, step: *step, agent }).collect();
    let model = AttributionModel::fit(&examples, &zero);
    let shapes =
        [("orchestrated", &model.orchestrated), ("group_chat", &model.group_chat), ("tool_use", &model.tool_use)];
    println!("//! The shipped attribution weights (generated; do not edit by hand).");
    println!("//!");
    println!(
        "//! Regenerate with `cargo run --release -p rootspan-analysis --example fit_attribution -- ../shared/data`"
    );
    println!("//! after changing the features. Fitted on {} labelled dev logs.", examples.len());
    println!();
    println!("use super::model::{{AttributionModel, ShapeWeights}};");
    println!();
    println!("pub const SHIPPED: AttributionModel = AttributionModel {{");
    for (name, weights) in shapes {
        println!("    {name}: ShapeWeights {{");
        println!("        step: [");
        for (feature, w) in STEP_FEATURES.iter().zip(weights.step) {
            println!("            {w:?}, // {feature}");
        }
        println!("        ],");
        println!("        agent: [");
        for (feature, w) in AGENT_FEATURES.iter().zip(weights.agent) {
            println!("            {w:?}, // {feature}");
        }
        println!("        ],");
        println!("    }},");
    }
    println!("}};");
}
