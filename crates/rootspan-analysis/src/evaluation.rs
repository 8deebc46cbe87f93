//! Honest benchmark figures: the trivial baselines a result must beat, and k-fold
//! cross-validation, where everything fitted from labels is fitted on the training folds and
//! scored on the held-out fold.
//!
//! Folds are assigned by a hash of each record's key (FNV-1a, 64 bits, of the file name or trace
//! id), so the split is the same on every run and does not depend on the order files are read.

use crate::attribution::{AttributionModel, Example, StepLog};
use crate::benchmarks::{TRAIL_CATEGORIES, TrailLabels, score_trail};
use serde::Serialize;
use std::collections::BTreeMap;

/// The fold of a record: FNV-1a (64 bits) of its key, modulo `folds`.
pub fn fold_of(key: &str, folds: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % folds.max(1) as u64) as usize
}

/// One metric over the folds: the figure on all held-out predictions together (`pooled`), and
/// the mean, standard deviation (population), minimum and maximum of the per-fold figures.
/// Folds without records are left out of the spread.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldFigure {
    pub pooled: f64,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// Per fold, `null` for a fold without records.
    pub per_fold: Vec<Option<f64>>,
}

impl FoldFigure {
    /// From per-fold values (`None` for empty folds) and the pooled value.
    pub fn from_folds(per_fold: Vec<Option<f64>>, pooled: f64) -> FoldFigure {
        let values: Vec<f64> = per_fold.iter().flatten().copied().collect();
        if values.is_empty() {
            return FoldFigure { pooled, mean: 0.0, std: 0.0, min: 0.0, max: 0.0, per_fold };
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        FoldFigure {
            pooled,
            mean,
            std: variance.sqrt(),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            per_fold,
        }
    }

    /// From per-fold (hits, records) counts.
    pub fn from_counts(counts: &[(usize, usize)]) -> FoldFigure {
        let per_fold = counts.iter().map(|&(hits, n)| (n > 0).then(|| hits as f64 / n as f64)).collect();
        let (hits, n) = counts.iter().fold((0, 0), |t, c| (t.0 + c.0, t.1 + c.1));
        FoldFigure::from_folds(per_fold, if n == 0 { 0.0 } else { hits as f64 / n as f64 })
    }
}

// ------------------------------------------------------------------ attribution (Who&When, AgentRx)

/// One labelled message log.
#[derive(Debug, Clone)]
pub struct AttributionRecord {
    /// The name the fold is derived from (`Hand-Crafted/17`, a trajectory id).
    pub key: String,
    pub subset: String,
    pub log: StepLog,
    pub step: i64,
    pub agent: String,
}

/// A trivial baseline's figures. `step` / `agent` name the constant answer when there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// `null` for a baseline that names no step.
    pub step_accuracy: Option<f64>,
    pub agent_accuracy: f64,
}

/// The trivial answers: always the log's first step, always its last step (each with the
/// speaker of that step as the agent), always the most frequent labelled step (with its
/// speaker), always the most frequent labelled agent. Frequencies are counted on the records
/// given, so these baselines have seen the labels they are scored on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionBaselines {
    pub first_step: Baseline,
    pub last_step: Baseline,
    pub most_frequent_step: Baseline,
    pub most_frequent_agent: Baseline,
    /// The best step accuracy among the baselines, and which one it is.
    pub best_step_baseline: String,
    pub best_step_accuracy: f64,
    /// The best agent accuracy among the baselines, and which one it is.
    pub best_agent_baseline: String,
    pub best_agent_accuracy: f64,
}

/// The most frequent labelled step (ties: the smaller step).
pub fn most_frequent_step<'a>(records: impl Iterator<Item = &'a AttributionRecord>) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for record in records {
        *counts.entry(record.step).or_default() += 1;
    }
    counts.iter().max_by_key(|(step, n)| (**n, std::cmp::Reverse(**step))).map(|(step, _)| *step)
}

fn most_frequent_agent<'a>(records: impl Iterator<Item = &'a AttributionRecord>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for record in records {
        *counts.entry(record.agent.trim().to_lowercase()).or_default() += 1;
    }
    counts.iter().max_by_key(|(agent, n)| (**n, std::cmp::Reverse((*agent).clone()))).map(|(a, _)| a.clone())
}

/// Scores the trivial baselines on `records`; `agent_matches` is the data set's own agent comparison.
pub fn attribution_baselines(
    records: &[&AttributionRecord],
    agent_matches: fn(&str, &str) -> bool,
) -> AttributionBaselines {
    let n = records.len().max(1) as f64;
    let at = |pick: &dyn Fn(&AttributionRecord) -> Option<i64>| -> (f64, f64) {
        let (mut step_hits, mut agent_hits) = (0usize, 0usize);
        for record in records {
            let Some(step) = pick(record) else { continue };
            step_hits += usize::from(step == record.step);
            let speaker = record.log.speakers.get(&step).map(String::as_str).unwrap_or("");
            agent_hits += usize::from(agent_matches(speaker, &record.agent));
        }
        (step_hits as f64 / n, agent_hits as f64 / n)
    };
    let (first_step, first_agent) = at(&|r| r.log.first_step());
    let (last_step, last_agent) = at(&|r| r.log.last_step());
    let frequent = most_frequent_step(records.iter().copied());
    let (frequent_step, frequent_step_agent) = at(&|_| frequent);
    let frequent_agent = most_frequent_agent(records.iter().copied());
    let frequent_agent_hits = records
        .iter()
        .filter(|r| frequent_agent.as_deref().is_some_and(|agent| agent_matches(agent, &r.agent)))
        .count() as f64
        / n;
    let steps = [("first_step", first_step), ("last_step", last_step), ("most_frequent_step", frequent_step)];
    let agents = [
        ("first_step", first_agent),
        ("last_step", last_agent),
        ("most_frequent_step", frequent_step_agent),
        ("most_frequent_agent", frequent_agent_hits),
    ];
    fn best(pairs: &[(&'static str, f64)]) -> (&'static str, f64) {
        pairs.iter().fold(("", f64::NEG_INFINITY), |b, p| if p.1 > b.1 { (p.0, p.1) } else { b })
    }
    let (best_step_name, best_step) = best(&steps);
    let (best_agent_name, best_agent) = best(&agents);
    AttributionBaselines {
        first_step: Baseline { step: None, agent: None, step_accuracy: Some(first_step), agent_accuracy: first_agent },
        last_step: Baseline { step: None, agent: None, step_accuracy: Some(last_step), agent_accuracy: last_agent },
        most_frequent_step: Baseline {
            step: frequent,
            agent: None,
            step_accuracy: Some(frequent_step),
            agent_accuracy: frequent_step_agent,
        },
        most_frequent_agent: Baseline {
            step: None,
            agent: frequent_agent,
            step_accuracy: None,
            agent_accuracy: frequent_agent_hits,
        },
        best_step_baseline: best_step_name.to_owned(),
        best_step_accuracy: best_step.max(0.0),
        best_agent_baseline: best_agent_name.to_owned(),
        best_agent_accuracy: best_agent.max(0.0),
    }
}

/// Cross-validated attribution figures of one subset (or of all records).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionCv {
    pub logs: usize,
    pub step_accuracy: FoldFigure,
    pub agent_accuracy: FoldFigure,
    /// The most-frequent-step baseline with the step counted on the training folds (the honest
    /// version of `baselines.most_frequent_step`).
    pub most_frequent_step_baseline: FoldFigure,
}

/// k-fold cross-validation of the attribution scorer: per fold, the weights are fitted on the
/// other folds' records (shapes without training records keep `fallback`'s weights) and the
/// held-out records are scored. Figures per subset and for `all`.
pub fn cross_validate_attribution(
    records: &[AttributionRecord],
    folds: usize,
    fallback: &AttributionModel,
    agent_matches: fn(&str, &str) -> bool,
) -> BTreeMap<String, AttributionCv> {
    let folds = folds.max(2);
    let fold_of_record: Vec<usize> = records.iter().map(|r| fold_of(&r.key, folds)).collect();
    let mut subsets: Vec<String> = records.iter().map(|r| r.subset.clone()).collect();
    subsets.sort();
    subsets.dedup();
    subsets.push("all".to_owned());
    // counts[subset][fold] = (step hits, agent hits, baseline hits, records)
    let mut counts: BTreeMap<&str, Vec<(usize, usize, usize, usize)>> =
        subsets.iter().map(|s| (s.as_str(), vec![(0, 0, 0, 0); folds])).collect();
    for fold in 0..folds {
        let training: Vec<&AttributionRecord> =
            records.iter().zip(&fold_of_record).filter(|(_, f)| **f != fold).map(|(r, _)| r).collect();
        let examples: Vec<Example> =
            training.iter().map(|r| Example { log: &r.log, step: r.step, agent: &r.agent }).collect();
        let model = AttributionModel::fit(&examples, fallback);
        let frequent_all = most_frequent_step(training.iter().copied());
        for (record, _) in records.iter().zip(&fold_of_record).filter(|(_, f)| **f == fold) {
            let chosen = model.choose_step(&record.log);
            let step_hit = chosen.is_some_and(|c| c.step == record.step);
            let agent_hit = chosen
                .and_then(|_| model.choose_agent(&record.log))
                .is_some_and(|agent| agent_matches(agent, &record.agent));
            let frequent_subset = most_frequent_step(training.iter().copied().filter(|r| r.subset == record.subset));
            for (subset, frequent) in [(record.subset.as_str(), frequent_subset), ("all", frequent_all)] {
                let slot = &mut counts.get_mut(subset).expect("subset listed")[fold];
                slot.0 += usize::from(step_hit);
                slot.1 += usize::from(agent_hit);
                slot.2 += usize::from(frequent == Some(record.step));
                slot.3 += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(subset, per_fold)| {
            let figure = |pick: fn(&(usize, usize, usize, usize)) -> usize| {
                FoldFigure::from_counts(&per_fold.iter().map(|c| (pick(c), c.3)).collect::<Vec<_>>())
            };
            let cv = AttributionCv {
                logs: per_fold.iter().map(|c| c.3).sum(),
                step_accuracy: figure(|c| c.0),
                agent_accuracy: figure(|c| c.1),
                most_frequent_step_baseline: figure(|c| c.2),
            };
            (subset.to_owned(), cv)
        })
        .collect()
}

// ------------------------------------------------------------------ TRAIL

/// The most frequent gold category over all traces (ties: the first in taxonomy order).
pub fn most_frequent_trail_category(gold: &BTreeMap<String, TrailLabels>) -> &'static str {
    let mut counts = [0usize; TRAIL_CATEGORIES.len()];
    for pairs in gold.values() {
        for (_, category) in pairs {
            if let Some(index) = TRAIL_CATEGORIES.iter().position(|c| c == category) {
                counts[index] += 1;
            }
        }
    }
    let best = counts.iter().enumerate().fold(0, |b, (i, n)| if *n > counts[b] { i } else { b });
    TRAIL_CATEGORIES[best]
}

/// TRAIL's trivial baselines: the most frequent category (counted on `gold`) put on the first
/// model call, on the last model call, and on every model call of each trace. `llm_spans` lists
/// each trace's model-call span ids in order.
pub fn trail_baselines(
    gold: &BTreeMap<String, TrailLabels>,
    llm_spans: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<&'static str, crate::benchmarks::TrailScores> {
    let category = most_frequent_trail_category(gold);
    let predict = |pick: &dyn Fn(&[String]) -> Vec<String>| -> BTreeMap<String, TrailLabels> {
        llm_spans
            .iter()
            .map(|(trace, spans)| {
                (trace.clone(), pick(spans).into_iter().map(|span| (span, category.to_owned())).collect())
            })
            .collect()
    };
    let mut out = BTreeMap::new();
    out.insert("first_llm_span", score_trail(gold, &predict(&|s| s.first().cloned().into_iter().collect())));
    out.insert("last_llm_span", score_trail(gold, &predict(&|s| s.last().cloned().into_iter().collect())));
    out.insert("every_llm_span", score_trail(gold, &predict(&|s| s.to_vec())));
    out
}

/// TRAIL figures per fold of traces (nothing is fitted: this shows the spread of a fixed method).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailCv {
    pub joint_accuracy: FoldFigure,
    pub location_accuracy: FoldFigure,
    pub location_precision: FoldFigure,
    pub category_f1: FoldFigure,
}

pub fn trail_fold_spread(
    gold: &BTreeMap<String, TrailLabels>,
    predicted: &BTreeMap<String, TrailLabels>,
    folds: usize,
) -> TrailCv {
    let folds = folds.max(2);
    let all = score_trail(gold, predicted);
    let per_fold: Vec<Option<crate::benchmarks::TrailScores>> = (0..folds)
        .map(|fold| {
            let part: BTreeMap<String, TrailLabels> = gold
                .iter()
                .filter(|(trace, _)| fold_of(trace, folds) == fold)
                .map(|(t, g)| (t.clone(), g.clone()))
                .collect();
            (!part.is_empty()).then(|| score_trail(&part, predicted))
        })
        .collect();
    let figure = |pick: fn(&crate::benchmarks::TrailScores) -> f64| {
        FoldFigure::from_folds(per_fold.iter().map(|s| s.as_ref().map(pick)).collect(), pick(&all))
    };
    TrailCv {
        joint_accuracy: figure(|s| s.joint_accuracy),
        location_accuracy: figure(|s| s.location_accuracy),
        location_precision: figure(|s| s.location_precision),
        category_f1: figure(|s| s.category_f1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stable_and_cover_every_fold() {
        assert_eq!(fold_of("Hand-Crafted/17", 5), fold_of("Hand-Crafted/17", 5));
        let mut seen = [false; 5];
        for i in 0..100 {
            seen[fold_of(&format!("log-{i}"), 5)] = true;
        }
        assert!(seen.iter().all(|s| *s));
        // FNV-1a 64 of the empty string is the offset basis.
        assert_eq!(fold_of("", 7), (0xcbf2_9ce4_8422_2325u64 % 7) as usize);
    }

    #[test]
    fn fold_figures_leave_empty_folds_out() {
        let figure = FoldFigure::from_counts(&[(1, 2), (0, 0), (3, 4)]);
        assert_eq!(figure.per_fold, vec![Some(0.5), None, Some(0.75)]);
        assert!((figure.pooled - 4.0 / 6.0).abs() < 1e-12);
        assert!((figure.mean - 0.625).abs() < 1e-12);
        assert!((figure.std - 0.125).abs() < 1e-12);
        assert_eq!((figure.min, figure.max), (0.5, 0.75));
    }
}
