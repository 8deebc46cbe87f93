//! Context drift: how well each model step stays aligned with the original request, and the
//! inflection step after which alignment does not recover (the same scores `goal-drift` uses).

use crate::detectors::goal_drift::{alignments, inflection};
use crate::view::TraceView;
use serde::Serialize;

/// Alignment per step and the inflection point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// (span id, alignment in [0, 1], whether the step is the final answer).
    pub steps: Vec<(String, f64, bool)>,
    /// Index into `steps` of the first step of the sustained drop, if any.
    pub inflection: Option<usize>,
    /// Mean alignment after the inflection minus before it (negative: decay).
    pub decay: f64,
}

/// Scores every model action against the request.
pub fn context_drift(view: &TraceView) -> DriftReport {
    let scored = alignments(view);
    let scores: Vec<f64> = scored.iter().map(|s| s.score).collect();
    let turn = inflection(&scores);
    let mean = |values: &[f64]| if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
    let decay = turn.map(|t| mean(&scores[t..]) - mean(&scores[..t])).unwrap_or(0.0);
    DriftReport {
        steps: scored.iter().map(|s| (view.span_id(s.span), s.score, s.is_answer)).collect(),
        inflection: turn,
        decay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;

    #[test]
    fn an_on_topic_run_does_not_drift() {
        let tree = fixture::tree();
        let view = TraceView::new(&tree);
        let report = context_drift(&view);
        assert_eq!(report.inflection, None);
        assert!(report.steps.iter().any(|(_, score, answer)| *answer && *score > 0.0));
    }
}
