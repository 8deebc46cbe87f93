//! Rollback-point identification: the earlier states a run could restart from, ranked. A good
//! rollback point is a model step before the first faulty span (its inputs were still sound),
//! as close to the fault as possible (least work redone), with no failed step between the start
//! and it.

use crate::Diagnosis;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use serde::Serialize;

/// A state to restart from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackPoint {
    pub span_id: String,
    pub span_name: String,
    /// In (0, 1]; higher is better.
    pub score: f64,
    /// Model steps between this point and the fault (work that is redone).
    pub steps_before_fault: usize,
    pub reason: String,
}

/// Ranks the model steps before the diagnosis' root cause. Empty when nothing failed.
pub fn rollback_points(view: &TraceView, diagnosis: &Diagnosis) -> Vec<RollbackPoint> {
    let Some(root) = &diagnosis.root_cause else { return Vec::new() };
    let Some(fault) = view.tree.spans.iter().position(|s| rootspan_model::span_id_hex(&s.span_id) == root.span_id)
    else {
        return Vec::new();
    };
    let before: Vec<&crate::view::Step> = view.steps.iter().filter(|s| s.span < fault).collect();
    let model_steps: Vec<usize> = (0..before.len()).filter(|&i| before[i].kind == SpanKind::Llm).collect();
    let total = model_steps.len();
    let mut out = Vec::new();
    for (rank, &position) in model_steps.iter().enumerate() {
        let step = before[position];
        let clean = before[..position].iter().all(|s| s.error.is_none());
        let distance = total - rank - 1;
        let score = (1.0 / (1.0 + distance as f64)) * if clean { 1.0 } else { 0.3 };
        out.push(RollbackPoint {
            span_id: view.span_id(step.span),
            span_name: view.span_name(step.span).to_owned(),
            score,
            steps_before_fault: distance,
            reason: if clean {
                format!("last sound state {distance} model step(s) before the fault")
            } else {
                "an earlier step had already failed".to_owned()
            },
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.steps_before_fault.cmp(&b.steps_before_fault)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;
    use crate::{DiagnoseOptions, diagnose};

    #[test]
    fn the_closest_sound_step_ranks_first() {
        let tree = fixture::tree();
        let view = TraceView::new(&tree);
        let diagnosis = diagnose(&tree, &DiagnoseOptions::default());
        assert_eq!(diagnosis.failure_mode, "tool_error_ignored");
        let points = rollback_points(&view, &diagnosis);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].span_id, "0404040404040404");
        assert_eq!(points[0].steps_before_fault, 0);
        assert!(points[0].score > points[1].score);
    }
}
