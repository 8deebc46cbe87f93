//! The published metrics on the labelled dev data, through `rootspan benchmark`: a regression
//! guard: TRAIL GAIA and Who&When are held at the targets.

mod support;

use support::*;

fn metrics(dataset: &str, dir: &str) -> serde_json::Value {
    let out = tempfile::NamedTempFile::new().unwrap();
    let metrics = cli_json(&[
        "benchmark",
        dataset,
        shared_data().join(dir).to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--json",
    ]);
    let predictions: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    assert!(predictions.as_object().is_some_and(|p| !p.is_empty()), "predictions were written");
    metrics
}

#[test]
fn trail_gaia_meets_the_targets() {
    let metrics = metrics("trail", "trail");
    let gaia = &metrics["GAIA"];
    assert!(gaia["joint_accuracy"].as_f64().unwrap() >= 0.25, "{gaia}");
    assert!(gaia["location_accuracy"].as_f64().unwrap() >= 0.60, "{gaia}");
    assert!(gaia["location_precision"].as_f64().is_some(), "{gaia}");
    assert!(gaia["category_f1"].as_f64().is_some(), "{gaia}");
}

#[test]
fn who_and_when_attribution_holds() {
    let metrics = metrics("who-and-when", "who_and_when");
    let all = &metrics["all"];
    assert!(all["agent_accuracy"].as_f64().unwrap() >= 0.60, "{all}");
    assert!(all["step_accuracy"].as_f64().unwrap() >= 0.30, "{all}");
}
