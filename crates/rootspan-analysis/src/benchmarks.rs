//! Scoring of the labelled benchmarks, as pure functions over parsed label JSON: TRAIL (category
//! F1, location accuracy and precision, joint accuracy), Who&When (agent and step accuracy) and
//! AgentRx (critical step, agent and category accuracy). The CLI reads the files; nothing here does
//! IO.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The TRAIL taxonomy leaves (20) plus the official scorer's extra "Incorrect Memory Usage".
pub const TRAIL_CATEGORIES: &[&str] = &[
    "Language-only",
    "Tool-related",
    "Poor Information Retrieval",
    "Tool Output Misinterpretation",
    "Incorrect Problem Identification",
    "Tool Selection Errors",
    "Formatting Errors",
    "Instruction Non-compliance",
    "Tool Definition Issues",
    "Environment Setup Errors",
    "Rate Limiting",
    "Authentication Errors",
    "Service Errors",
    "Resource Not Found",
    "Resource Exhaustion",
    "Timeout Issues",
    "Context Handling Failures",
    "Resource Abuse",
    "Goal Deviation",
    "Task Orchestration",
    "Incorrect Memory Usage",
];

fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Maps a label spelling onto its canonical TRAIL category (case, spaces and substring tolerant,
/// as the official scorer does): "Goal deviation" -> "Goal Deviation", "Formatting Error" ->
/// "Formatting Errors", "Instruction non complience" -> "Instruction Non-compliance".
pub fn normalize_trail_category(label: &str) -> Option<&'static str> {
    let key = squash(label);
    if key.is_empty() {
        return None;
    }
    if let Some(exact) = TRAIL_CATEGORIES.iter().find(|c| squash(c) == key) {
        return Some(exact);
    }
    if let Some(partial) = TRAIL_CATEGORIES.iter().find(|c| {
        let canonical = squash(c);
        canonical.contains(&key) || key.contains(&canonical)
    }) {
        return Some(partial);
    }
    // Misspellings: compare the first word.
    let first = label.split_whitespace().next().map(squash).unwrap_or_default();
    TRAIL_CATEGORIES.iter().find(|c| first.len() >= 5 && squash(c).starts_with(&first)).copied()
}

/// One trace's labels: (location span id, canonical category) pairs.
pub type TrailLabels = BTreeSet<(String, String)>;

/// Reads `{"errors": [{"category", "location"}]}` into pairs (unknown categories kept verbatim).
pub fn trail_labels(value: &Value) -> TrailLabels {
    value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|error| {
            let location = error.get("location")?.as_str()?.to_owned();
            let category = error.get("category")?.as_str()?;
            let category = normalize_trail_category(category).map(str::to_owned).unwrap_or_else(|| category.to_owned());
            Some((location, category))
        })
        .collect()
}

/// TRAIL metrics over a set of traces.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrailScores {
    pub traces: usize,
    pub category_f1: f64,
    pub location_accuracy: f64,
    pub location_precision: f64,
    pub joint_accuracy: f64,
    pub joint_precision: f64,
}

/// Scores predictions against gold, per trace id (traces missing from `predicted` count as empty).
pub fn score_trail(gold: &BTreeMap<String, TrailLabels>, predicted: &BTreeMap<String, TrailLabels>) -> TrailScores {
    let empty = TrailLabels::new();
    let mut location = Vec::new();
    let mut location_precision = Vec::new();
    let mut joint = Vec::new();
    let mut joint_precision = Vec::new();
    let mut gold_vectors = Vec::new();
    let mut predicted_vectors = Vec::new();
    for (trace, gold_pairs) in gold {
        let predicted_pairs = predicted.get(trace).unwrap_or(&empty);
        let gold_spans: BTreeSet<&String> = gold_pairs.iter().map(|p| &p.0).collect();
        let predicted_spans: BTreeSet<&String> = predicted_pairs.iter().map(|p| &p.0).collect();
        if !gold_spans.is_empty() {
            location.push(gold_spans.intersection(&predicted_spans).count() as f64 / gold_spans.len() as f64);
            joint.push(gold_pairs.intersection(predicted_pairs).count() as f64 / gold_pairs.len() as f64);
        }
        if !predicted_spans.is_empty() {
            location_precision
                .push(gold_spans.intersection(&predicted_spans).count() as f64 / predicted_spans.len() as f64);
            joint_precision
                .push(gold_pairs.intersection(predicted_pairs).count() as f64 / predicted_pairs.len() as f64);
        }
        let vector = |pairs: &TrailLabels| -> Vec<bool> {
            TRAIL_CATEGORIES.iter().map(|c| pairs.iter().any(|p| p.1 == *c)).collect()
        };
        gold_vectors.push(vector(gold_pairs));
        predicted_vectors.push(vector(predicted_pairs));
    }
    let mean = |values: &[f64]| if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
    TrailScores {
        traces: gold.len(),
        category_f1: weighted_f1(&gold_vectors, &predicted_vectors),
        location_accuracy: mean(&location),
        location_precision: mean(&location_precision),
        joint_accuracy: mean(&joint),
        joint_precision: mean(&joint_precision),
    }
}

/// sklearn `f1_score(average="weighted")` over multilabel 0/1 vectors: per-label F1 weighted by
/// the label's support in gold.
pub fn weighted_f1(gold: &[Vec<bool>], predicted: &[Vec<bool>]) -> f64 {
    let labels = gold.first().map(Vec::len).unwrap_or(0);
    let mut total_support = 0.0;
    let mut weighted = 0.0;
    for label in 0..labels {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (g, p) in gold.iter().zip(predicted) {
            match (g[label], p[label]) {
                (true, true) => tp += 1.0,
                (false, true) => fp += 1.0,
                (true, false) => fn_ += 1.0,
                _ => {}
            }
        }
        let support = tp + fn_;
        if support == 0.0 {
            continue;
        }
        let f1 = if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fn_) };
        weighted += f1 * support;
        total_support += support;
    }
    if total_support == 0.0 { 0.0 } else { weighted / total_support }
}

/// A Who&When style prediction or label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    pub mistake_agent: String,
    pub mistake_step: i64,
}

/// Reads `mistake_agent` and `mistake_step` (string or integer).
pub fn attribution_label(value: &Value) -> Option<Attribution> {
    let agent = value.get("mistake_agent")?.as_str()?.to_owned();
    let step = match value.get("mistake_step")? {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Some(Attribution { mistake_agent: agent, mistake_step: step })
}

/// Who&When metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttributionScores {
    pub logs: usize,
    pub agent_accuracy: f64,
    pub step_accuracy: f64,
    /// Step within ±k for k = 1, 3, 5.
    pub step_accuracy_within: BTreeMap<String, f64>,
}

/// Exact integer step comparison, case-insensitive agents; the denominator is every gold log.
pub fn score_attribution(
    gold: &BTreeMap<String, Attribution>,
    predicted: &BTreeMap<String, Attribution>,
) -> AttributionScores {
    let logs = gold.len();
    if logs == 0 {
        return AttributionScores::default();
    }
    let mut agent = 0usize;
    let mut step = 0usize;
    let mut within = [0usize; 3];
    for (name, truth) in gold {
        let Some(guess) = predicted.get(name) else { continue };
        agent += usize::from(guess.mistake_agent.trim().eq_ignore_ascii_case(truth.mistake_agent.trim()));
        step += usize::from(guess.mistake_step == truth.mistake_step);
        for (slot, k) in [1, 3, 5].iter().enumerate() {
            within[slot] += usize::from((guess.mistake_step - truth.mistake_step).abs() <= *k);
        }
    }
    AttributionScores {
        logs,
        agent_accuracy: agent as f64 / logs as f64,
        step_accuracy: step as f64 / logs as f64,
        step_accuracy_within: [1, 3, 5]
            .iter()
            .zip(within)
            .map(|(k, hits)| (format!("±{k}"), hits as f64 / logs as f64))
            .collect(),
    }
}

/// The critical failure of an AgentRx record: (1-based step, category, agent).
pub fn agentrx_critical(record: &Value) -> Option<(i64, String, String)> {
    let root = record.pointer("/root_cause/failure_id")?;
    let root_id = match root {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let failure = record.get("failures")?.as_array()?.iter().find(|f| {
        let id = match f.get("failure_id") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        id == root_id
    })?;
    let step = match failure.get("step_number")? {
        Value::String(s) => s.trim().parse().ok()?,
        other => other.as_i64()?,
    };
    Some((
        step,
        failure.get("failure_category").and_then(Value::as_str).unwrap_or("").to_owned(),
        failure.get("failed_agent").and_then(Value::as_str).unwrap_or("").to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn category_spellings() {
        assert_eq!(normalize_trail_category("Goal deviation"), Some("Goal Deviation"));
        assert_eq!(normalize_trail_category("Formatting Error"), Some("Formatting Errors"));
        assert_eq!(normalize_trail_category("Context Handling Failure"), Some("Context Handling Failures"));
        assert_eq!(normalize_trail_category("Task Orchestration Error"), Some("Task Orchestration"));
        assert_eq!(normalize_trail_category("Language-Only"), Some("Language-only"));
        assert_eq!(normalize_trail_category("Instruction non complience"), Some("Instruction Non-compliance"));
    }

    #[test]
    fn trail_metrics() {
        let gold: BTreeMap<String, TrailLabels> =
            [("t".to_owned(), trail_labels(&json!({"errors":[{"category":"Formatting Errors","location":"a"},{"category":"Goal Deviation","location":"b"}]})))].into();
        let predicted: BTreeMap<String, TrailLabels> =
            [("t".to_owned(), trail_labels(&json!({"errors":[{"category":"Formatting Errors","location":"a"},{"category":"Formatting Errors","location":"c"}]})))].into();
        let scores = score_trail(&gold, &predicted);
        assert!((scores.location_accuracy - 0.5).abs() < 1e-9);
        assert!((scores.location_precision - 0.5).abs() < 1e-9);
        assert!((scores.joint_accuracy - 0.5).abs() < 1e-9);
        assert!((scores.category_f1 - 0.5).abs() < 1e-9);
    }

    #[test]
    fn attribution_metrics_use_exact_steps() {
        let gold: BTreeMap<String, Attribution> =
            [("1".to_owned(), Attribution { mistake_agent: "WebSurfer".into(), mistake_step: 12 })].into();
        let predicted: BTreeMap<String, Attribution> =
            [("1".to_owned(), Attribution { mistake_agent: "websurfer".into(), mistake_step: 1 })].into();
        let scores = score_attribution(&gold, &predicted);
        assert_eq!(scores.agent_accuracy, 1.0);
        assert_eq!(scores.step_accuracy, 0.0);
        assert_eq!(attribution_label(&json!({"mistake_agent":"A","mistake_step":"3"})).unwrap().mistake_step, 3);
    }

    #[test]
    fn agentrx_root_cause_ids_compare_as_strings() {
        let record = json!({"failures":[{"failure_id":1,"step_number":4,"failure_category":"System Failure","failed_agent":"WebSurfer"}],"root_cause":{"failure_id":"1"}});
        assert_eq!(agentrx_critical(&record), Some((4, "System Failure".to_owned(), "WebSurfer".to_owned())));
    }
}
