//! `rootspan benchmark {trail,who-and-when,agentrx} DIR --out FILE`: runs the deterministic
//! detectors over a labelled data set, writes the predictions in the data set's own label shape,
//! and prints the data set's metrics (scoring lives in `rootspan_analysis::benchmarks`).
//!
//! - `trail DIR`: DIR is the TRAIL root (with `data/GAIA`, `data/SWE Bench` and
//!   `processed_annotations_*`) or one of its `data/<split>` folders (labels found at
//!   `../../processed_annotations_<split>`). Writes `{trace_id: {"errors": [{category, location}]}}`.
//! - `who-and-when DIR`: DIR holds Who&When logs, or subset folders of them. Writes
//!   `{name: {"mistake_agent", "mistake_step"}}`; names are file stems, prefixed with the subset
//!   folder (`Hand-Crafted/17`) when DIR holds several subsets.
//! - `agentrx DIR`: the AgentRx root (`magentic_dataset/`, `tau_retail/`, `ground_truth/`). Writes
//!   `{trajectory_id: {"critical_step", "agent", "category"}}`.

use anyhow::{Context, bail};
use rootspan_analysis::attribution::attribute;
use rootspan_analysis::benchmarks::{
    Attribution, TrailLabels, agentrx_critical, attribution_label, score_attribution, score_trail, trail_labels,
};
use rootspan_analysis::taxonomy::trail_predictions;
use rootspan_analysis::{DiagnoseOptions, Diagnosis, diagnose};
use rootspan_app::traces::trees_by_trace;
use rootspan_ingest::FileFormat;
use rootspan_model::SpanTree;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub dataset: Dataset,
}

#[derive(Debug, clap::Subcommand)]
pub enum Dataset {
    /// TRAIL (GAIA and SWE Bench): category F1, location accuracy and precision, joint accuracy.
    Trail(Common),
    /// Who&When: agent-level and step-level accuracy.
    WhoAndWhen(Common),
    /// AgentRx (Magentic-One and tau-bench retail): critical step, agent and category accuracy.
    Agentrx(Common),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The data set folder.
    pub dir: PathBuf,
    /// Where to write the predictions (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (common, predictions, metrics) = match args.dataset {
        Dataset::Trail(common) => {
            let (predictions, metrics) = trail(&common.dir)?;
            (common, predictions, metrics)
        }
        Dataset::WhoAndWhen(common) => {
            let (predictions, metrics) = who_and_when(&common.dir)?;
            (common, predictions, metrics)
        }
        Dataset::Agentrx(common) => {
            let (predictions, metrics) = agentrx(&common.dir)?;
            (common, predictions, metrics)
        }
    };
    if let Some(out) = &common.out {
        std::fs::write(out, serde_json::to_string_pretty(&predictions)? + "\n")
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if common.json {
        println!("{}", serde_json::to_string_pretty(&metrics)?);
    } else {
        print_metrics(&metrics, "");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_metrics(value: &Value, indent: &str) {
    if let Value::Object(map) = value {
        for (key, value) in map {
            match value {
                Value::Object(_) => {
                    println!("{indent}{key}:");
                    print_metrics(value, &format!("{indent}  "));
                }
                Value::Number(n) if n.is_f64() => println!("{indent}{key}: {:.3}", n.as_f64().unwrap_or(0.0)),
                other => println!("{indent}{key}: {other}"),
            }
        }
    }
}

fn json_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Parses JSON, tolerating trailing commas (one TRAIL label file has one).
pub fn parse_lenient(text: &str) -> anyhow::Result<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut cleaned = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if in_string {
            cleaned.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' && chars[index + 1..].iter().find(|n| !n.is_whitespace()).is_some_and(|n| *n == ']' || *n == '}') {
            continue;
        }
        cleaned.push(c);
    }
    Ok(serde_json::from_str(&cleaned)?)
}

fn import_trees(path: &Path, format: Option<FileFormat>) -> anyhow::Result<BTreeMap<String, SpanTree>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let imported = match format {
        Some(format) => rootspan_ingest::import_as(format, path, &bytes, None)?,
        None => rootspan_ingest::import_file(path, &bytes, None)?,
    };
    Ok(trees_by_trace(imported.spans))
}

fn diagnosed(tree: &SpanTree) -> Diagnosis {
    diagnose(tree, &DiagnoseOptions::default())
}

// ---------------------------------------------------------------- TRAIL

fn trail_splits(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf, PathBuf)>> {
    let split_labels = |name: &str| match name {
        "GAIA" => "processed_annotations_gaia",
        _ => "processed_annotations_swe_bench",
    };
    if dir.join("data").is_dir() {
        let mut out = Vec::new();
        for split in ["GAIA", "SWE Bench"] {
            let traces = dir.join("data").join(split);
            if traces.is_dir() {
                out.push((split.to_owned(), traces, dir.join(split_labels(split))));
            }
        }
        return Ok(out);
    }
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("traces").to_owned();
    let labels = dir.join("..").join("..").join(split_labels(&name));
    Ok(vec![(name, dir.to_path_buf(), labels)])
}

fn trail(dir: &Path) -> anyhow::Result<(Value, Value)> {
    let mut predictions = serde_json::Map::new();
    let mut metrics = serde_json::Map::new();
    let splits = trail_splits(dir)?;
    if splits.is_empty() {
        bail!("{}: no TRAIL traces (expected data/GAIA or data/SWE Bench)", dir.display());
    }
    for (split, traces, labels) in splits {
        let mut predicted: BTreeMap<String, TrailLabels> = BTreeMap::new();
        for file in json_files(&traces)? {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            for (trace_id, tree) in import_trees(&file, Some(FileFormat::Trail))? {
                let pairs = trail_predictions(&tree, &diagnosed(&tree));
                let key = if trace_id == stem || stem.is_empty() { trace_id } else { stem.clone() };
                let errors: Vec<Value> = pairs
                    .iter()
                    .map(|(location, category)| json!({"category": category, "location": location}))
                    .collect();
                predictions.insert(key.clone(), json!({ "errors": errors }));
                predicted.insert(key, pairs);
            }
        }
        let mut gold: BTreeMap<String, TrailLabels> = BTreeMap::new();
        if labels.is_dir() {
            for file in json_files(&labels)? {
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
                if !predicted.contains_key(&stem) {
                    continue;
                }
                let text = std::fs::read_to_string(&file)?;
                let value = parse_lenient(&text).with_context(|| format!("parsing {}", file.display()))?;
                gold.insert(stem, trail_labels(&value));
            }
        }
        let scores = score_trail(&gold, &predicted);
        metrics.insert(split, serde_json::to_value(scores)?);
    }
    Ok((Value::Object(predictions), Value::Object(metrics)))
}

// ---------------------------------------------------------------- Who&When

fn who_and_when(dir: &Path) -> anyhow::Result<(Value, Value)> {
    let mut folders: Vec<(Option<String>, PathBuf)> = Vec::new();
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    if json_files(dir)?.is_empty() {
        for sub in subdirs {
            let name = sub.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            folders.push((Some(name), sub));
        }
    } else {
        folders.push((None, dir.to_path_buf()));
    }
    let mut predictions = serde_json::Map::new();
    let mut metrics = serde_json::Map::new();
    let mut all_gold = BTreeMap::new();
    let mut all_predicted = BTreeMap::new();
    for (subset, folder) in &folders {
        let mut gold = BTreeMap::new();
        let mut predicted = BTreeMap::new();
        for file in json_files(folder)? {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let key = match subset {
                Some(subset) => format!("{subset}/{stem}"),
                None => stem.to_owned(),
            };
            let text = std::fs::read_to_string(&file)?;
            if let Some(label) = serde_json::from_str::<Value>(&text).ok().as_ref().and_then(attribution_label) {
                gold.insert(key.clone(), label);
            }
            let trees = import_trees(&file, Some(FileFormat::WhoAndWhen))?;
            let Some(tree) = trees.values().next() else { continue };
            let Some(found) = attribute(tree, None) else { continue };
            let guess = Attribution { mistake_agent: found.agent, mistake_step: found.step };
            predictions
                .insert(key.clone(), json!({"mistake_agent": guess.mistake_agent, "mistake_step": guess.mistake_step}));
            predicted.insert(key, guess);
        }
        if let Some(subset) = subset {
            metrics.insert(subset.clone(), serde_json::to_value(score_attribution(&gold, &predicted))?);
        }
        all_gold.extend(gold);
        all_predicted.extend(predicted);
    }
    metrics.insert("all".to_owned(), serde_json::to_value(score_attribution(&all_gold, &all_predicted))?);
    Ok((Value::Object(predictions), Value::Object(metrics)))
}

// ---------------------------------------------------------------- AgentRx

/// Our failure mode mapped onto AgentRx's category names.
fn agentrx_category(diagnosis: &Diagnosis) -> &'static str {
    match diagnosis.findings.first().map(|f| f.detector.as_str()) {
        Some("rate-limited" | "auth-error" | "timeout" | "resource-not-found" | "service-error") => "System Failure",
        Some("wrong-tool-args" | "format-error") => "Invalid Invocation",
        Some("tool-error-ignored" | "empty-tool-result-used") => "Misinterpretation of Tool Output",
        Some("goal-drift") => "Intent-Plan Misalignment",
        Some("silent-wrong-answer") => "Invention of New Information",
        _ => "Instruction/Plan Adherence Failure",
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn agentrx(dir: &Path) -> anyhow::Result<(Value, Value)> {
    let mut predictions = serde_json::Map::new();
    let mut metrics = serde_json::Map::new();
    let parts = [
        ("magentic_one", "ground_truth/magentic_one_ground_truth.json"),
        ("tau_retail", "ground_truth/tau_ground_truth.json"),
    ];
    for (part, truth_file) in parts {
        let truth_path = dir.join(truth_file);
        if !truth_path.exists() {
            continue;
        }
        let truth = parse_lenient(&std::fs::read_to_string(&truth_path)?)?;
        let mut guesses: BTreeMap<String, (i64, String, String)> = BTreeMap::new();
        if part == "magentic_one" {
            for file in json_files(&dir.join("magentic_dataset"))? {
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
                let trees = import_trees(&file, Some(FileFormat::AgentRx))?;
                let Some(tree) = trees.values().next() else { continue };
                let diagnosis = diagnosed(tree);
                if let Some(found) = attribute(tree, Some(&diagnosis)) {
                    guesses.insert(stem, (found.step, found.agent, agentrx_category(&diagnosis).to_owned()));
                }
            }
        } else {
            let file = dir.join("tau_retail/tau_dataset_failed.json");
            if file.exists() {
                for tree in import_trees(&file, Some(FileFormat::AgentRx))?.values() {
                    let Some(task) = tree.root().and_then(|r| r.attr("rootspan.task_id")).map(|v| v.to_text()) else {
                        continue;
                    };
                    let diagnosis = diagnosed(tree);
                    if let Some(found) = attribute(tree, Some(&diagnosis)) {
                        guesses.insert(task, (found.step, found.agent, agentrx_category(&diagnosis).to_owned()));
                    }
                }
            }
        }
        let (mut total, mut step, mut within1, mut within3, mut agent, mut category) = (0usize, 0, 0, 0, 0, 0);
        for record in truth.as_array().into_iter().flatten() {
            let id = match record.get("trajectory_id") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => continue,
            };
            let Some((gold_step, gold_category, gold_agent)) = agentrx_critical(record) else { continue };
            if !guesses.contains_key(&id) {
                continue;
            }
            total += 1;
            let (guess_step, guess_agent, guess_category) = &guesses[&id];
            step += usize::from(*guess_step == gold_step);
            within1 += usize::from((guess_step - gold_step).abs() <= 1);
            within3 += usize::from((guess_step - gold_step).abs() <= 3);
            agent += usize::from(squash(guess_agent) == squash(&gold_agent));
            category += usize::from(squash(guess_category) == squash(&gold_category));
        }
        for (id, (guess_step, guess_agent, guess_category)) in &guesses {
            predictions.insert(
                format!("{part}/{id}"),
                json!({"critical_step": guess_step, "agent": guess_agent, "category": guess_category}),
            );
        }
        let share = |n: usize| if total == 0 { 0.0 } else { n as f64 / total as f64 };
        metrics.insert(
            part.to_owned(),
            json!({"runs": total, "step_accuracy": share(step), "step_accuracy_within_1": share(within1),
                   "step_accuracy_within_3": share(within3), "agent_accuracy": share(agent), "category_accuracy": share(category)}),
        );
    }
    Ok((Value::Object(predictions), Value::Object(metrics)))
}
