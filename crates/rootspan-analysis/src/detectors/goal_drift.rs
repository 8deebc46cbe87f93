//! `goal-drift`: the steps' alignment with the original request decays and does not recover.
//!
//! **What.** Each model action (the string arguments of the tool calls it emits, or its final text)
//! is scored by the share of its topic words found in the user's request and system instructions.
//! The final answer is scored by the share of the request's topic words it covers. When, from some
//! step on, every scored step stays below 0.5 (at least two of them, the final answer included when
//! there is one), that step is the inflection point and the first faulty span.
//!
//! **Why.** The run looks busy and healthy while it answers a different question.
//!
//! **Example.** Asked which phone has the longer battery life, the agent searches "Pixel 9 battery
//! life" (1.0), then "iPhone 16 camera review" (0.33), then "best camera phone 2025" (0.0), and
//! answers about cameras.
//!
//! **False positives.** Legitimate sub-tasks whose vocabulary differs from the request (looking up
//! an exchange rate to answer a price question). Actions made only of ids or numbers are not scored.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use std::collections::HashSet;

pub const ID: &str = "goal-drift";

/// Threshold under which a step counts as off-goal.
pub const LOW: f64 = 0.5;

/// One scored step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAlignment {
    pub span: usize,
    pub score: f64,
    pub text: String,
    pub is_answer: bool,
}

fn words(text: &str) -> HashSet<String> {
    text::content_tokens(text)
        .into_iter()
        .filter(|t| t.len() >= 3 && t.chars().all(char::is_alphabetic))
        .map(|t| text::fold(&t))
        .collect()
}

/// Alignment per model action with the request (the context drift technique works on these).
pub fn alignments(view: &TraceView) -> Vec<StepAlignment> {
    let mut goal = words(&view.user_request);
    let request_words = goal.clone();
    goal.extend(words(&view.system));
    let mut out = Vec::new();
    if request_words.is_empty() {
        return out;
    }
    for step in &view.steps {
        if step.kind != SpanKind::Llm {
            continue;
        }
        if !step.tool_calls.is_empty() {
            let mut action = String::new();
            for (_, arguments) in &step.tool_calls {
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(arguments) {
                    for value in map.values() {
                        if let Some(s) = value.as_str() {
                            action.push_str(s);
                            action.push(' ');
                        }
                    }
                }
            }
            let tokens = words(&action);
            if tokens.is_empty() {
                continue;
            }
            let hit = tokens.iter().filter(|t| goal.contains(*t)).count() as f64;
            out.push(StepAlignment {
                span: step.span,
                score: hit / tokens.len() as f64,
                text: action.trim().to_owned(),
                is_answer: false,
            });
        } else if !step.output.trim().is_empty() {
            let tokens = words(&step.output);
            let covered = request_words.iter().filter(|t| tokens.contains(*t)).count() as f64;
            out.push(StepAlignment {
                span: step.span,
                score: covered / request_words.len() as f64,
                text: step.output.clone(),
                is_answer: true,
            });
        }
    }
    out
}

/// The inflection: the first step from which every step stays below `LOW` (at least two steps).
pub fn inflection(scores: &[f64]) -> Option<usize> {
    let mut start = None;
    for (index, score) in scores.iter().enumerate() {
        if *score < LOW {
            start.get_or_insert(index);
        } else {
            start = None;
        }
    }
    let start = start?;
    let earlier_on_goal = scores[..start].iter().any(|s| *s >= LOW);
    (scores.len() - start >= 2 && earlier_on_goal).then_some(start)
}

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let steps = alignments(view);
    // Only actions before the final answer, plus the final answer itself.
    let answer_span = view.final_answer.as_ref().map(|a| a.0);
    let steps: Vec<StepAlignment> = steps.into_iter().filter(|s| !s.is_answer || Some(s.span) == answer_span).collect();
    let scores: Vec<f64> = steps.iter().map(|s| s.score).collect();
    let Some(start) = inflection(&scores) else { return Vec::new() };
    if !steps.last().is_some_and(|s| s.is_answer) && answer_span.is_some() {
        return Vec::new();
    }
    let first = &steps[start];
    let mut hit = Hit::new(
        ID,
        first.span,
        Severity::High,
        format!("the run drifts away from the request at step {} of {}", start + 1, steps.len()),
    )
    .chain(steps[start + 1..].iter().map(|s| s.span).collect())
    .evidence(format!("request: {}", text::clip(&view.user_request, 200)))
    .confidence(0.7);
    for step in &steps {
        hit = hit.evidence(format!("alignment {:.2}: {}", step.score, text::clip(&step.text, 120)));
    }
    vec![hit]
}

#[cfg(test)]
mod tests {
    use super::inflection;

    #[test]
    fn inflection_needs_a_sustained_drop() {
        assert_eq!(inflection(&[1.0, 0.3, 0.0, 0.1]), Some(1));
        assert_eq!(inflection(&[1.0, 0.3, 0.9]), None);
        assert_eq!(inflection(&[1.0, 1.0, 0.2]), None);
        assert_eq!(inflection(&[0.2, 0.2]), None);
    }
}
