//! The human report of `rootspan benchmark`: per data set and subset, the result beside the
//! trivial baselines and the cross-validated figure (mean ± standard deviation and range over the
//! folds). It prints the JSON `benchmark --json` gives, so the two cannot disagree.

use serde_json::Value;

fn number(value: &Value) -> Option<f64> {
    value.as_f64()
}

fn fixed(value: &Value) -> String {
    number(value).map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".to_owned())
}

/// `0.437 pooled; 0.44 ± 0.12 [0.25, 0.58] over 5 folds`
fn spread(figure: &Value) -> String {
    let folds = figure["per_fold"].as_array().map(|f| f.iter().filter(|v| !v.is_null()).count()).unwrap_or(0);
    format!(
        "{} pooled; {:.3} ± {:.3} [{:.3}, {:.3}] over {folds} folds",
        fixed(&figure["pooled"]),
        number(&figure["mean"]).unwrap_or(0.0),
        number(&figure["std"]).unwrap_or(0.0),
        number(&figure["min"]).unwrap_or(0.0),
        number(&figure["max"]).unwrap_or(0.0),
    )
}

pub fn print_report(dataset: &str, metrics: &Value) {
    let Some(map) = metrics.as_object() else { return };
    let setup = &metrics["cross_validation_setup"];
    match dataset {
        "trail" => println!("TRAIL"),
        "who-and-when" => println!("Who&When"),
        _ => println!("AgentRx"),
    }
    if !setup.is_null() {
        let fitted: Vec<&str> =
            setup["fitted_on_training_folds"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        println!(
            "cross-validation: {} folds, split by {}; fitted on the training folds: {}",
            setup["folds"],
            setup["split"].as_str().unwrap_or("?"),
            if fitted.is_empty() { "nothing".to_owned() } else { fitted.join("; ") }
        );
        if let Some(note) = setup["note"].as_str() {
            println!("  ({note})");
        }
    }
    for (subset, figures) in map.iter().filter(|(name, _)| name.as_str() != "cross_validation_setup") {
        println!();
        if dataset == "trail" {
            print_trail(subset, figures);
        } else {
            print_attribution(dataset, subset, figures);
        }
    }
}

fn print_trail(split: &str, figures: &Value) {
    println!("{split} ({} traces)", figures["traces"]);
    println!("  {:<28} {:>8} {:>8} {:>8} {:>8}", "", "joint", "location", "loc.prec", "cat. F1");
    let row = |name: &str, s: &Value| {
        println!(
            "  {:<28} {:>8} {:>8} {:>8} {:>8}",
            name,
            fixed(&s["joint_accuracy"]),
            fixed(&s["location_accuracy"]),
            fixed(&s["location_precision"]),
            fixed(&s["category_f1"])
        );
    };
    row("result", figures);
    if let Some(baselines) = figures["baselines"].as_object() {
        for (name, scores) in baselines {
            row(&format!("baseline {}", name.replace('_', " ")), scores);
        }
    }
    let cv = &figures["cross_validation"];
    for (label, key) in [("joint", "joint_accuracy"), ("location", "location_accuracy"), ("category F1", "category_f1")]
    {
        if !cv[key].is_null() {
            println!("  folds, {label}: {}", spread(&cv[key]));
        }
    }
}

fn print_attribution(dataset: &str, subset: &str, figures: &Value) {
    let count = if dataset == "agentrx" { &figures["runs"] } else { &figures["logs"] };
    println!("{subset} ({count} labelled logs)");
    let baselines = &figures["baselines"];
    let cv = &figures["cross_validation"];
    for (label, key) in [("step", "step_accuracy"), ("agent", "agent_accuracy")] {
        println!("  {label:<5} result {} (shipped weights)", fixed(&figures[key]));
        if !cv.is_null() {
            println!("        cross-validated {}", spread(&cv[key]));
        }
        if let Some(map) = baselines.as_object() {
            let mut parts = Vec::new();
            for name in ["first_step", "last_step", "most_frequent_step", "most_frequent_agent"] {
                let baseline = &map[name];
                if baseline[key].is_null() {
                    continue;
                }
                let constant = match (&baseline["step"], &baseline["agent"]) {
                    (Value::Number(step), _) => format!(" ({step})"),
                    (_, Value::String(agent)) => format!(" ({agent})"),
                    _ => String::new(),
                };
                parts.push(format!("{}{constant} {}", name.replace('_', " "), fixed(&baseline[key])));
            }
            println!("        baselines: {}", parts.join(", "));
            let (best_name, best_key) = if key == "step_accuracy" {
                ("best_step_baseline", "best_step_accuracy")
            } else {
                ("best_agent_baseline", "best_agent_accuracy")
            };
            if let (Some(best), Some(name)) = (number(&map[best_key]), map[best_name].as_str()) {
                let cv_margin = number(&cv[key]["pooled"]).map(|v| format!("{:+.3}", v - best)).unwrap_or_default();
                println!(
                    "        best baseline {} {best:.3}; cross-validated margin {cv_margin}",
                    name.replace('_', " ")
                );
            }
        }
        if key == "step_accuracy" && !cv["most_frequent_step_baseline"].is_null() {
            println!(
                "        most frequent step counted on the training folds: {}",
                spread(&cv["most_frequent_step_baseline"])
            );
        }
    }
    if let Some(category) = number(&figures["category_accuracy"]) {
        println!("  category result {category:.3}");
    }
}
