//! Classifies the error text of failed spans into system-execution failure classes (rate limit,
//! authentication, timeout, not found, service error, formatting) and runs the shared detection
//! for the thin per-class detector files. A class whose every failure was recovered from (the same
//! tool later succeeded; a later model call succeeded in a run that did not fail) is reported at
//! low severity, so it does not make the run's failure mode.

use super::Hit;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::{TraceView, http_error_code};
use rootspan_model::SpanKind;
use std::collections::HashMap;

/// A system-execution failure class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    RateLimited,
    Auth,
    Timeout,
    NotFound,
    Service,
    Format,
}

/// The class of an error text, if any.
pub fn classify(error: &str) -> Option<ErrorClass> {
    let lower = error.to_lowercase();
    let code = http_error_code(&lower);
    let has = |markers: &[&str]| markers.iter().any(|m| lower.contains(m));
    if code == Some(429)
        || has(&[
            "rate limit",
            "ratelimit",
            "rate_limit",
            "too many requests",
            "quota exceeded",
            "resource_exhausted",
            "throttl",
        ])
    {
        return Some(ErrorClass::RateLimited);
    }
    if matches!(code, Some(401 | 403))
        || has(&[
            "unauthorized",
            "unauthorised",
            "forbidden",
            "invalid api key",
            "api key",
            "authentication",
            "permission denied",
            "access denied",
            "not authorized",
            "invalid token",
            "expired token",
        ])
    {
        return Some(ErrorClass::Auth);
    }
    if matches!(code, Some(408 | 504)) || has(&["timeout", "timed out", "time out", "deadline exceeded"]) {
        return Some(ErrorClass::Timeout);
    }
    if has(&["error in code parsing", "jsondecodeerror", "syntaxerror", "invalid syntax"]) {
        return Some(ErrorClass::Format);
    }
    if code == Some(404)
        || has(&["not found", "no such file", "does not exist", "doesn't exist", "filenotfound", "no such", "404"])
    {
        return Some(ErrorClass::NotFound);
    }
    if code.is_some_and(|c| c >= 500)
        || has(&[
            "service unavailable",
            "internal server error",
            "bad gateway",
            "connection refused",
            "connection reset",
            "connection error",
            "unavailable",
            "server error",
        ])
    {
        return Some(ErrorClass::Service);
    }
    if has(&[
        "json",
        "parse",
        "parsing",
        "syntaxerror",
        "syntax error",
        "invalid format",
        "malformed",
        "decode",
        "unexpected token",
        "validation error",
        "validationerror",
        "expected format",
        "regex pattern",
        "could not be parsed",
        "invalid literal",
    ]) {
        return Some(ErrorClass::Format);
    }
    None
}

/// A failure the run recovered from: a later call of the same tool succeeded, or, for a model
/// call, a later model call succeeded and the run did not fail.
fn recovered(
    view: &TraceView,
    position: usize,
    successes: &HashMap<Option<&str>, usize>,
    last_llm_ok: Option<usize>,
) -> bool {
    let step = &view.steps[position];
    match step.kind {
        SpanKind::Tool => !super::tool_error_ignored::unrecovered_failure(view, position, successes),
        SpanKind::Llm => !view.run_failed() && last_llm_ok.is_some_and(|last| last > position),
        _ => false,
    }
}

/// The first failed step of a class: its own span, and the later steps as the chain. When every
/// failure of the class was recovered from (retried successfully), the finding is kept at low
/// severity: the run did not fail because of it.
pub fn detect_class(view: &TraceView, class: ErrorClass, id: &'static str, what: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    let mut failed: Vec<usize> = Vec::new();
    for (position, step) in view.steps.iter().enumerate() {
        let Some(error) = &step.error else { continue };
        if classify(error) != Some(class) {
            continue;
        }
        failed.push(position);
        if let Some(existing) = hits.first_mut() {
            existing.chain.push(step.span);
            continue;
        }
        let name = match step.kind {
            SpanKind::Tool => format!("tool `{}`", step.tool_name.clone().unwrap_or_default()),
            _ => format!("`{}`", view.span_name(step.span)),
        };
        hits.push(
            Hit::new(id, step.span, Severity::Medium, format!("{name} failed: {what}"))
                .evidence(format!("error: {}", text::clip(error, 240)))
                .confidence(0.8),
        );
    }
    if hits.is_empty() {
        return hits;
    }
    let successes = super::tool_error_ignored::last_successes(view);
    let last_llm_ok = view.steps.iter().rposition(|s| s.kind == SpanKind::Llm && s.error.is_none());
    let all_recovered = failed.iter().all(|&position| recovered(view, position, &successes, last_llm_ok));
    if all_recovered && let Some(hit) = hits.first_mut() {
        hit.severity = Severity::Low;
        hit.message.push_str(" (recovered: a later call succeeded)");
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("HTTP 429 Too Many Requests"), Some(ErrorClass::RateLimited));
        assert_eq!(classify("payments API rejected key (HTTP 401)"), Some(ErrorClass::Auth));
        assert_eq!(classify("flights-api timeout after 30s"), Some(ErrorClass::Timeout));
        assert_eq!(classify("returned HTTP 503 Service Unavailable"), Some(ErrorClass::Service));
        assert_eq!(classify("HTTP 404 page missing"), Some(ErrorClass::NotFound));
        assert_eq!(classify("Error in code parsing: regex pattern not found"), Some(ErrorClass::Format));
        assert_eq!(classify("JSONDecodeError: Expecting value"), Some(ErrorClass::Format));
    }
}
