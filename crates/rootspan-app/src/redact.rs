//! Redaction at ingest: secrets and personal data are replaced in spans and log records before
//! anything is written, logged or forwarded ([`App::write`] and [`App::export`] run every batch
//! through [`Redactor::redact_batch`], whichever transport or file it came from).
//!
//! - Built-in detectors ([`BUILTIN`]): provider API keys, bearer tokens, JWTs, PEM private
//!   keys, emails, card numbers (only those that pass the Luhn check) and phone numbers; each can
//!   be turned off by name.
//! - User rules: a name and a regular expression.
//! - Attribute-key patterns: the whole value of an attribute whose key matches (`*` matches any
//!   run of characters, case-insensitive) is replaced, e.g. `http.request.header.authorization`.
//!
//! A replacement keeps the shape `[REDACTED:rule]`, and every replacement is counted per rule
//! ([`Redactor::counts`]). Covered: span names, status messages, span, event, link, resource and
//! scope attributes, log bodies and log attributes, nested arrays and maps. Byte values are kept.
//! A string that no rule can match costs one pass of a [`RegexSet`] over it.

use regex::{Regex, RegexSet};
use rootspan_model::{AnyValue, KeyValue, LogRecord, Resource, Scope, Span};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The built-in detectors: (name, pattern), applied in this order.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "pem_private_key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\z)",
    ),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ("aws_access_key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("slack_token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("rootspan_key", r"\brsk_[0-9a-f]{64}\b"),
    ("bearer_token", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ("card_number", r"\b(?:\d[ -]?){12,18}\d\b"),
    (
        "phone_number",
        r"(?:\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b|\(\d{3}\)\s?\d{3}[ .-]\d{4}\b|\b\d{3}[.-]\d{3}[.-]\d{4}\b)",
    ),
];

/// The attribute keys whose values are always replaced, unless turned off.
pub const BUILTIN_KEYS: &[&str] = &[
    "http.request.header.authorization",
    "http.request.header.proxy-authorization",
    "http.request.header.cookie",
    "http.request.header.x-api-key",
    "http.response.header.set-cookie",
    "*.api_key",
    "*.apikey",
    "*.password",
    "*.secret",
    "*.access_token",
    "*.refresh_token",
];

/// What to redact: which built-ins are off, the user's rules and key patterns.
#[derive(Debug, Clone, Default)]
pub struct RedactConfig {
    /// Built-in detectors turned off by name (`all` turns every one off, the key patterns too).
    pub disabled_builtins: Vec<String>,
    /// (name, regular expression).
    pub rules: Vec<(String, String)>,
    /// Attribute-key patterns, besides [`BUILTIN_KEYS`].
    pub key_patterns: Vec<String>,
}

struct Rule {
    name: String,
    regex: Regex,
    luhn: bool,
    count: AtomicU64,
}

/// Compiled rules and their counters. Shared by every transport of a process.
pub struct Redactor {
    rules: Vec<Rule>,
    set: RegexSet,
    keys: Option<(RegexSet, Vec<String>)>,
    key_count: AtomicU64,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("rules", &self.rules.iter().map(|r| &r.name).collect::<Vec<_>>()).finish()
    }
}

/// The counter name of attribute-key replacements.
pub const KEY_RULE: &str = "attribute_key";

fn glob_regex(pattern: &str) -> String {
    let parts: Vec<String> = pattern.split('*').map(regex::escape).collect();
    format!("(?i)^{}$", parts.join(".*"))
}

/// The Luhn check of the digits of `text` (13 to 19 digits).
pub fn luhn_valid(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

impl Redactor {
    /// Compiles a configuration; an unknown built-in name or an invalid pattern is an error that
    /// names it.
    pub fn new(config: &RedactConfig) -> Result<Redactor, String> {
        let all_off = config.disabled_builtins.iter().any(|n| n == "all");
        for name in &config.disabled_builtins {
            if name != "all" && !BUILTIN.iter().any(|(builtin, _)| builtin == name) {
                let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown built-in redaction rule {name:?} (known: all, {})", known.join(", ")));
            }
        }
        let mut rules = Vec::new();
        for (name, pattern) in BUILTIN {
            if all_off || config.disabled_builtins.iter().any(|n| n == name) {
                continue;
            }
            let regex = Regex::new(pattern).map_err(|e| format!("built-in rule {name}: {e}"))?;
            rules.push(Rule { name: (*name).into(), regex, luhn: *name == "card_number", count: AtomicU64::new(0) });
        }
        for (name, pattern) in &config.rules {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(format!("redaction rule name {name:?}: use letters, digits, _ and -"));
            }
            let regex = Regex::new(pattern).map_err(|e| format!("redaction rule {name}: {e}"))?;
            rules.push(Rule { name: name.clone(), regex, luhn: false, count: AtomicU64::new(0) });
        }
        let set = RegexSet::new(rules.iter().map(|r| r.regex.as_str())).map_err(|e| format!("redaction rules: {e}"))?;
        let mut patterns: Vec<String> =
            if all_off { Vec::new() } else { BUILTIN_KEYS.iter().map(|k| (*k).to_owned()).collect() };
        patterns.extend(config.key_patterns.iter().cloned());
        let keys = if patterns.is_empty() {
            None
        } else {
            let set = RegexSet::new(patterns.iter().map(|p| glob_regex(p)))
                .map_err(|e| format!("redaction key patterns: {e}"))?;
            Some((set, patterns))
        };
        Ok(Redactor { rules, set, keys, key_count: AtomicU64::new(0) })
    }

    /// The built-in rules and key patterns, all on.
    pub fn builtin() -> Arc<Redactor> {
        static DEFAULT: std::sync::OnceLock<Arc<Redactor>> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| Arc::new(Redactor::new(&RedactConfig::default()).expect("the built-in rules compile")))
            .clone()
    }

    /// Replacements so far, per rule (every rule listed, in order; attribute keys last).
    pub fn counts(&self) -> Vec<(String, u64)> {
        let mut counts: Vec<(String, u64)> =
            self.rules.iter().map(|r| (r.name.clone(), r.count.load(Ordering::Relaxed))).collect();
        counts.push((KEY_RULE.to_owned(), self.key_count.load(Ordering::Relaxed)));
        counts
    }

    /// The text with every match replaced, or `None` when nothing matched.
    pub fn redact_text(&self, text: &str) -> Option<String> {
        let matched = self.set.matches(text);
        if !matched.matched_any() {
            return None;
        }
        let mut current = std::borrow::Cow::Borrowed(text);
        let mut changed = false;
        for index in matched.iter() {
            let rule = &self.rules[index];
            let mut replaced = 0u64;
            let next = rule.regex.replace_all(&current, |caps: &regex::Captures<'_>| {
                let found = &caps[0];
                if rule.luhn && !luhn_valid(found) {
                    return found.to_owned();
                }
                replaced += 1;
                format!("[REDACTED:{}]", rule.name)
            });
            if replaced > 0 {
                rule.count.fetch_add(replaced, Ordering::Relaxed);
                changed = true;
                current = std::borrow::Cow::Owned(next.into_owned());
            }
        }
        changed.then(|| current.into_owned())
    }

    fn key_matches(&self, key: &str) -> bool {
        self.keys.as_ref().is_some_and(|(set, _)| set.is_match(key))
    }

    fn value(&self, value: &mut AnyValue) -> bool {
        match value {
            AnyValue::String(text) => match self.redact_text(text) {
                Some(redacted) => {
                    *text = redacted;
                    true
                }
                None => false,
            },
            AnyValue::Array(items) => items.iter_mut().fold(false, |changed, item| self.value(item) | changed),
            AnyValue::KvList(pairs) => self.attributes(pairs),
            _ => false,
        }
    }

    fn attributes(&self, attributes: &mut [KeyValue]) -> bool {
        let mut changed = false;
        for attribute in attributes {
            if self.key_matches(&attribute.key) && !matches!(attribute.value, AnyValue::Empty) {
                attribute.value = AnyValue::String(format!("[REDACTED:{KEY_RULE}]"));
                self.key_count.fetch_add(1, Ordering::Relaxed);
                changed = true;
            } else {
                changed |= self.value(&mut attribute.value);
            }
        }
        changed
    }

    fn string(&self, text: &mut String) -> bool {
        match self.redact_text(text) {
            Some(redacted) => {
                *text = redacted;
                true
            }
            None => false,
        }
    }

    fn log(&self, log: &mut LogRecord, resources: &mut Shared<Resource>, scopes: &mut Shared<Scope>) -> bool {
        let mut changed = self.value(&mut log.body) | self.attributes(&mut log.attributes);
        changed |= resources.redact(&mut log.resource, |r| self.attributes(&mut r.attributes));
        changed |= scopes.redact(&mut log.scope, |s| self.attributes(&mut s.attributes));
        changed
    }

    /// Redacts spans (their events, links, resources, scopes and attached logs) and log records
    /// in place; returns whether anything changed. A changed span's derived view is cleared, so
    /// that [`rootspan_store::WriteBatch::new`] derives it again from the redacted attributes.
    pub fn redact_batch(&self, spans: &mut [Span], logs: &mut [LogRecord]) -> bool {
        let mut resources = Shared::default();
        let mut scopes = Shared::default();
        let mut any = false;
        for span in spans.iter_mut() {
            let mut changed = self.string(&mut span.name) | self.string(&mut span.status.message);
            changed |= self.attributes(&mut span.attributes);
            for event in &mut span.events {
                changed |= self.string(&mut event.name) | self.attributes(&mut event.attributes);
            }
            for link in &mut span.links {
                changed |= self.attributes(&mut link.attributes);
            }
            changed |= resources.redact(&mut span.resource, |r| self.attributes(&mut r.attributes));
            changed |= scopes.redact(&mut span.scope, |s| self.attributes(&mut s.attributes));
            for log in &mut span.logs {
                changed |= self.log(log, &mut resources, &mut scopes);
            }
            if changed {
                span.gen_ai = Default::default();
                any = true;
            }
        }
        for log in logs.iter_mut() {
            any |= self.log(log, &mut resources, &mut scopes);
        }
        any
    }
}

/// Resources and scopes are shared by the spans of one request: each distinct one is redacted
/// once, and every span that shared it shares the redacted copy. The originals are held until
/// the batch is done, so that no address is reused while it is a key.
struct Shared<T> {
    done: HashMap<*const T, (Arc<T>, Option<Arc<T>>)>,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared { done: HashMap::new() }
    }
}

impl<T: Clone> Shared<T> {
    fn redact(&mut self, value: &mut Arc<T>, redact: impl FnOnce(&mut T) -> bool) -> bool {
        let key = Arc::as_ptr(value);
        let (_, outcome) = self.done.entry(key).or_insert_with(|| {
            let mut copy = T::clone(value);
            (value.clone(), redact(&mut copy).then(|| Arc::new(copy)))
        });
        match outcome {
            Some(redacted) => {
                *value = redacted.clone();
                true
            }
            None => false,
        }
    }
}
