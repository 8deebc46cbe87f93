//! The labelled benchmarks, scored with the crate's pure functions on the dev data (read in place
//! from the shared data; skipped when absent, a failure under CI). Regression guards: each metric
//! must stay at or above what the deterministic detectors reach today.

mod dataset;

use rootspan_analysis::attribution::attribute;
use rootspan_analysis::benchmarks::{
    Attribution, TrailLabels, attribution_label, score_attribution, score_trail, trail_labels,
};
use rootspan_analysis::taxonomy::trail_predictions;
use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_ingest::FileFormat;
use rootspan_model::SpanTree;
use std::collections::BTreeMap;
use std::path::Path;

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn tree_of(path: &Path, format: FileFormat) -> SpanTree {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let imported =
        rootspan_ingest::import_as(format, path, &bytes, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    SpanTree::build(imported.spans)
}

#[test]
fn who_and_when_agent_and_step_accuracy() {
    let Some(who_and_when) = dataset::require("who_and_when") else { return };
    let mut gold = BTreeMap::new();
    let mut predicted = BTreeMap::new();
    for subset in ["Algorithm-Generated", "Hand-Crafted"] {
        for file in json_files(&who_and_when.join(subset)) {
            let key = format!("{subset}/{}", file.file_stem().and_then(|s| s.to_str()).unwrap_or_default());
            if let Some(label) = attribution_label(&dataset::json(&file)) {
                gold.insert(key.clone(), label);
            }
            let tree = tree_of(&file, FileFormat::WhoAndWhen);
            let found = attribute(&tree, None).expect("message steps");
            predicted.insert(key, Attribution { mistake_agent: found.agent, mistake_step: found.step });
        }
    }
    let scores = score_attribution(&gold, &predicted);
    eprintln!("who&when: {scores:?}");
    assert_eq!(scores.logs, gold.len());
    assert!(scores.agent_accuracy >= 0.60, "{scores:?}");
    assert!(scores.step_accuracy >= 0.30, "{scores:?}");
}

#[test]
fn trail_gaia_location_and_joint_accuracy() {
    let Some(gaia) = dataset::require("trail/data/GAIA") else { return };
    let root = gaia.parent().and_then(std::path::Path::parent).expect("trail root");
    let trailing_comma = regex::Regex::new(r",(\s*[\]}])").expect("regex");
    let mut gold: BTreeMap<String, TrailLabels> = BTreeMap::new();
    let mut predicted: BTreeMap<String, TrailLabels> = BTreeMap::new();
    for file in json_files(&gaia) {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let tree = tree_of(&file, FileFormat::Trail);
        let diagnosis = diagnose(&tree, &DiagnoseOptions::default());
        predicted.insert(stem.clone(), trail_predictions(&tree, &diagnosis));
        let label_path = root.join("processed_annotations_gaia").join(format!("{stem}.json"));
        let text = std::fs::read_to_string(&label_path).unwrap_or_else(|e| panic!("{}: {e}", label_path.display()));
        let lenient = trailing_comma.replace_all(&text, "$1");
        let value: serde_json::Value = serde_json::from_str(&lenient).unwrap_or_else(|e| panic!("{stem}: {e}"));
        gold.insert(stem, trail_labels(&value));
    }
    let scores = score_trail(&gold, &predicted);
    eprintln!("trail gaia: {scores:?}");
    assert!(scores.location_accuracy >= 0.60, "{scores:?}");
    assert!(scores.joint_accuracy >= 0.25, "{scores:?}");
    assert!(scores.location_precision >= 0.50, "{scores:?}");
    assert!(scores.category_f1 >= 0.25, "{scores:?}");
}
