//! `silent-wrong-answer`: the run "succeeded" but its final answer is wrong.
//!
//! **What.** No error is reported, yet the final answer contradicts the expected answer given with
//! `--expected-answer` (its numbers and key words are missing or differ), or it is unsupported by
//! the tool outputs it relies on (a total that does not add up, a number with the wrong scale, a
//! value attributed to the wrong key, a number that no source gives but that is a source number
//! with two digits swapped: `$98.99` where the order says 89.99). A hedged answer ("I think", "probably", "not sure") that
//! is presented as final is reported at low severity.
//!
//! **Why.** Nothing in the trace looks red; only the content is wrong.
//!
//! **Example.** Invoices of 1200.50, 980.25 and 1500.00; the answer says "$3,580.75" (3680.75).
//!
//! **False positives.** Expected answers phrased very differently from the final answer (numbers
//! are compared exactly, words by overlap); totals over a subset the user asked for.

use super::Hit;
use super::support::unsupported_claims;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;

pub const ID: &str = "silent-wrong-answer";

/// Whether `answer` agrees with `expected`: every number of the expected answer appears in the
/// answer, and most of its words do.
pub fn agrees(answer: &str, expected: &str) -> bool {
    let expected_numbers = text::numbers(expected);
    let answer_numbers = text::numbers(answer);
    let numbers_ok = expected_numbers.iter().all(|e| answer_numbers.iter().any(|a| (a.value - e.value).abs() < 1e-6));
    let expected_words = text::token_set(expected);
    let answer_words = text::token_set(answer);
    let covered = if expected_words.is_empty() {
        1.0
    } else {
        expected_words.iter().filter(|w| answer_words.contains(*w)).count() as f64 / expected_words.len() as f64
    };
    numbers_ok && (covered >= 0.5 || !expected_numbers.is_empty())
}

const HEDGES: &[&str] =
    &["i think", "probably", "not sure", "i believe", "might be", "may be", "i guess", "possibly", "unclear"];

pub fn detect(view: &TraceView, options: &DiagnoseOptions) -> Vec<Hit> {
    let Some((answer_span, answer)) = &view.final_answer else { return Vec::new() };
    if let Some(expected) = &options.expected_answer {
        if !agrees(answer, expected) {
            return vec![
                Hit::new(ID, *answer_span, Severity::High, "the final answer contradicts the expected answer")
                    .evidence(format!("final answer: {}", text::clip(answer, 240)))
                    .evidence(format!("expected: {}", text::clip(expected, 240)))
                    .confidence(0.9),
            ];
        }
        return Vec::new();
    }
    if view.run_failed() {
        return Vec::new();
    }
    let claims = unsupported_claims(view, *answer_span, answer);
    if let Some(claim) = claims.first() {
        return vec![
            Hit::new(
                ID,
                *answer_span,
                Severity::High,
                format!("the final answer is not supported by the tool outputs ({})", claim.kind),
            )
            .evidence(format!("final answer: {}", text::clip(&claim.claim, 240)))
            .evidence(format!("source: {}", claim.source))
            .confidence(0.8),
        ];
    }
    let lower = answer.to_lowercase();
    if let Some(hedge) = HEDGES.iter().find(|h| lower.contains(*h)) {
        return vec![
            Hit::new(ID, *answer_span, Severity::Low, "the final answer is hedged but presented as final")
                .evidence(format!(
                    "final answer: {}",
                    text::excerpt_around(answer, lower.find(hedge).unwrap_or(0), 200)
                ))
                .confidence(0.4),
        ];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::agrees;

    #[test]
    fn expected_answer_comparison() {
        assert!(agrees("The total is $3,680.75.", "3680.75"));
        assert!(!agrees("The three invoices total $3,580.75.", "The total is $3,680.75"));
    }
}
