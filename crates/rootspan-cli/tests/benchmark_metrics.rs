//! The published metrics on the labelled dev data, through `rootspan benchmark`: a regression
//! guard held at the targets where they are met, and at the measured cross-validated
//! figure where they are not (README says which). Also checks that the trivial baselines and the
//! cross-validation figures are present and right, the baselines recomputed here from the files.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

fn run_benchmark(dataset: &str, dir: &Path, extra: &[&str]) -> Value {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut args = vec!["benchmark", dataset, dir.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let metrics = cli_json(&args);
    let predictions: Value = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    assert!(predictions.as_object().is_some_and(|p| !p.is_empty()), "predictions were written");
    metrics
}

fn f(value: &Value) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("not a number: {value}"))
}

/// A fold figure: pooled, mean, std, min, max in [0, 1], min <= mean <= max, one entry per fold.
fn assert_fold_figure(figure: &Value, folds: usize) {
    for key in ["pooled", "mean", "std", "min", "max"] {
        let value = f(&figure[key]);
        assert!((0.0..=1.0).contains(&value), "{key} out of range: {figure}");
    }
    assert!(
        f(&figure["min"]) <= f(&figure["mean"]) + 1e-12 && f(&figure["mean"]) <= f(&figure["max"]) + 1e-12,
        "{figure}"
    );
    assert_eq!(figure["per_fold"].as_array().map(Vec::len), Some(folds), "{figure}");
}

#[test]
fn trail_gaia_meets_the_targets() {
    let Some(trail) = rootspan_testkit::require_data("trail") else { return };
    let metrics = run_benchmark("trail", &trail, &[]);
    let gaia = &metrics["GAIA"];
    assert!(f(&gaia["joint_accuracy"]) >= 0.25, "{gaia}");
    assert!(f(&gaia["location_accuracy"]) >= 0.65, "{gaia}");
    assert!(gaia["location_precision"].as_f64().is_some(), "{gaia}");
    assert!(gaia["category_f1"].as_f64().is_some(), "{gaia}");
    // Nothing is fitted, so the pooled held-out figure is the result itself.
    let cv = &gaia["cross_validation"];
    assert!(f(&cv["joint_accuracy"]["pooled"]) >= 0.25, "{cv}");
    assert!(f(&cv["location_accuracy"]["pooled"]) >= 0.65, "{cv}");
    assert_fold_figure(&cv["joint_accuracy"], 5);
    // The joint accuracy beats every trivial baseline.
    for (name, baseline) in gaia["baselines"].as_object().expect("baselines") {
        assert!(f(&gaia["joint_accuracy"]) > f(&baseline["joint_accuracy"]), "{name}: {baseline}");
    }
    assert_eq!(metrics["cross_validation_setup"]["fitted_on_training_folds"], serde_json::json!([]));
}

#[test]
fn who_and_when_attribution_holds() {
    let Some(who_and_when) = rootspan_testkit::require_data("who_and_when") else { return };
    let metrics = run_benchmark("who-and-when", &who_and_when, &[]);
    let generated = &metrics["Algorithm-Generated"];
    let hand = &metrics["Hand-Crafted"];
    let all = &metrics["all"];
    // Target met under cross-validation: step at least 10 points above the best trivial baseline.
    let margin =
        f(&generated["cross_validation"]["step_accuracy"]["pooled"]) - f(&generated["baselines"]["best_step_accuracy"]);
    assert!(margin >= 0.10, "Algorithm-Generated step margin {margin}: {generated}");
    // Targets NOT met (README): Hand-Crafted step above its best baseline by 10 points, agent
    // >= 0.65 pooled. Held at the measured cross-validated figures (0.138, 0.620).
    assert!(f(&hand["cross_validation"]["step_accuracy"]["pooled"]) >= 0.13, "{hand}");
    assert!(f(&all["cross_validation"]["agent_accuracy"]["pooled"]) >= 0.61, "{all}");
    // In-sample figures with the shipped weights.
    assert!(f(&all["agent_accuracy"]) >= 0.62, "{all}");
    assert!(f(&all["step_accuracy"]) >= 0.38, "{all}");
}

#[test]
fn baselines_and_cross_validation_are_reported_and_right() {
    let Some(who_and_when) = rootspan_testkit::require_data("who_and_when") else { return };
    let metrics = run_benchmark("who-and-when", &who_and_when, &["--folds", "3"]);
    assert_eq!(metrics["cross_validation_setup"]["folds"], 3);
    assert!(!metrics["cross_validation_setup"]["fitted_on_training_folds"].as_array().unwrap().is_empty());
    for subset in ["Algorithm-Generated", "Hand-Crafted"] {
        // The baselines, recomputed from the label files.
        let mut logs = 0usize;
        let (mut first, mut last) = (0usize, 0usize);
        let mut steps: BTreeMap<i64, usize> = BTreeMap::new();
        for entry in std::fs::read_dir(who_and_when.join(subset)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let log: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let step: i64 = match &log["mistake_step"] {
                Value::String(s) => s.trim().parse().unwrap(),
                other => other.as_i64().unwrap(),
            };
            let history = log["history"].as_array().unwrap().len() as i64;
            logs += 1;
            first += usize::from(step == 0);
            last += usize::from(step == history - 1);
            *steps.entry(step).or_default() += 1;
        }
        let mode = steps.values().copied().max().unwrap();
        let figures = &metrics[subset];
        let baselines = &figures["baselines"];
        let share = |n: usize| n as f64 / logs as f64;
        assert!((f(&baselines["first_step"]["step_accuracy"]) - share(first)).abs() < 1e-9, "{subset}: {baselines}");
        assert!((f(&baselines["last_step"]["step_accuracy"]) - share(last)).abs() < 1e-9, "{subset}: {baselines}");
        assert!((f(&baselines["most_frequent_step"]["step_accuracy"]) - share(mode)).abs() < 1e-9, "{baselines}");
        let best = share(first.max(last).max(mode));
        assert!((f(&baselines["best_step_accuracy"]) - best).abs() < 1e-9, "{subset}: {baselines}");
        assert!((0.0..=1.0).contains(&f(&baselines["most_frequent_agent"]["agent_accuracy"])), "{baselines}");
        // Cross-validation: every record held out exactly once.
        let cv = &figures["cross_validation"];
        assert_eq!(cv["logs"].as_u64(), Some(logs as u64), "{subset}: {cv}");
        for key in ["step_accuracy", "agent_accuracy", "most_frequent_step_baseline"] {
            assert_fold_figure(&cv[key], 3);
        }
    }
    let Some(agentrx) = rootspan_testkit::require_data("agentrx") else { return };
    let rx = run_benchmark("agentrx", &agentrx, &["--folds", "4"]);
    for part in ["magentic_one", "tau_retail"] {
        assert!(rx[part]["baselines"]["best_step_accuracy"].as_f64().is_some(), "{part}: {rx}");
        assert_fold_figure(&rx[part]["cross_validation"]["step_accuracy"], 4);
    }
}

#[test]
fn too_few_folds_is_an_error() {
    let Some(who_and_when) = rootspan_testkit::require_data("who_and_when") else { return };
    let output = cli(&["benchmark", "who-and-when", who_and_when.to_str().unwrap(), "--folds", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--folds 1"), "{output:?}");
}
