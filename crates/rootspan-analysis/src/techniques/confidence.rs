//! Confidence-score trajectory: the confidences a run reports per step (attributes such as
//! `confidence`, `gen_ai.confidence`, `llm.confidence`, `rootspan.confidence`), and, when
//! correctness is known, their calibration: Brier score and expected calibration error (ECE,
//! equal-width bins).

use crate::view::TraceView;
use serde::Serialize;

const KEYS: &[&str] = &["confidence", "gen_ai.confidence", "llm.confidence", "rootspan.confidence", "score"];

/// The confidence trajectory: (span id, confidence in [0, 1]) in step order.
pub fn confidence_trajectory(view: &TraceView) -> Vec<(String, f64)> {
    view.steps
        .iter()
        .filter_map(|step| {
            let span = &view.tree.spans[step.span];
            KEYS.iter()
                .find_map(|key| span.attr(key).and_then(|v| v.as_f64()))
                .map(|c| if c > 1.0 && c <= 100.0 { c / 100.0 } else { c })
                .filter(|c| (0.0..=1.0).contains(c))
                .map(|c| (view.span_id(step.span), c))
        })
        .collect()
}

/// Calibration of confidences against outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub count: usize,
    /// Mean squared error of confidence vs outcome (0 best).
    pub brier: f64,
    /// Expected calibration error over `bins` equal-width bins (0 best).
    pub ece: f64,
    /// Mean confidence minus accuracy (positive: overconfident).
    pub overconfidence: f64,
}

/// Brier score and ECE of `(confidence, correct)` pairs. `None` when empty.
pub fn calibration(points: &[(f64, bool)], bins: usize) -> Option<Calibration> {
    if points.is_empty() || bins == 0 {
        return None;
    }
    let count = points.len() as f64;
    let brier = points.iter().map(|(c, ok)| (c - f64::from(u8::from(*ok))).powi(2)).sum::<f64>() / count;
    let mut sums = vec![(0.0, 0.0, 0usize); bins];
    for (confidence, ok) in points {
        let bin = ((confidence * bins as f64) as usize).min(bins - 1);
        sums[bin].0 += confidence;
        sums[bin].1 += f64::from(u8::from(*ok));
        sums[bin].2 += 1;
    }
    let ece =
        sums.iter().filter(|(_, _, n)| *n > 0).map(|(c, a, n)| (*n as f64 / count) * ((c - a) / *n as f64).abs()).sum();
    let mean_confidence = points.iter().map(|p| p.0).sum::<f64>() / count;
    let accuracy = points.iter().filter(|p| p.1).count() as f64 / count;
    Some(Calibration { count: points.len(), brier, ece, overconfidence: mean_confidence - accuracy })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brier_and_ece() {
        let perfect = calibration(&[(1.0, true), (0.0, false)], 10).unwrap();
        assert_eq!((perfect.brier, perfect.ece), (0.0, 0.0));
        let over = calibration(&[(0.9, false), (0.9, true)], 10).unwrap();
        assert!((over.brier - 0.41).abs() < 1e-9);
        assert!((over.ece - 0.4).abs() < 1e-9);
        assert!((over.overconfidence - 0.4).abs() < 1e-9);
        assert!(calibration(&[], 10).is_none());
    }

    #[test]
    fn trajectory_reads_confidence_attributes() {
        use rootspan_model::{AnyValue, KeyValue, SpanTree};
        let mut span = crate::techniques::fixture::span(2, None, 0, 1, "chat", &[("gen_ai.operation.name", "chat")]);
        span.attributes.push(KeyValue::new("confidence", AnyValue::Double(0.35)));
        let tree = SpanTree::build(vec![span]);
        let view = TraceView::new(&tree);
        assert_eq!(confidence_trajectory(&view), vec![("0202020202020202".to_owned(), 0.35)]);
    }
}
