//! Classifies the error text of failed spans into system-execution failure classes (rate limit,
//! authentication, timeout, not found, service error, formatting) and runs the shared detection
//! for the thin per-class detector files.

use super::Hit;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::{TraceView, http_error_code};
use rootspan_model::SpanKind;

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

/// The first failed step of a class: its own span, and the later steps as the chain.
pub fn detect_class(view: &TraceView, class: ErrorClass, id: &'static str, what: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    for step in &view.steps {
        let Some(error) = &step.error else { continue };
        if classify(error) != Some(class) {
            continue;
        }
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
