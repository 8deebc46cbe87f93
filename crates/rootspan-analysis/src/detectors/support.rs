//! Checks that a model's text is supported by the tool outputs it received: numbers with a
//! different scale than their source (thousands reported as millions), values attributed to the
//! wrong key (latitude and longitude swapped), and totals that do not add up. Shared by
//! `cascading-multi-agent` and `silent-wrong-answer`.

use crate::text;
use crate::view::TraceView;
use regex::Regex;
use rootspan_model::SpanKind;
use serde_json::Value;
use std::sync::OnceLock;

/// One unsupported claim in a model output.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    /// What is wrong: `scale`, `swapped`, `arithmetic`.
    pub kind: &'static str,
    /// The claim as written in the output.
    pub claim: String,
    /// The source excerpt it contradicts.
    pub source: String,
    /// A short token of the claim to follow downstream (a number as written).
    pub token: String,
}

const SCALES: &[(&str, f64)] = &[("thousand", 1e3), ("million", 1e6), ("billion", 1e9), ("trillion", 1e12)];

fn scale_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(-?\$?-?\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|trillion)\b")
            .unwrap_or_else(|_| unreachable!())
    })
}

fn pair_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b([a-z][a-z_]{1,30})\s*[=:]\s*(-?\d[\d,]*(?:\.\d+)?)").unwrap_or_else(|_| unreachable!())
    })
}

fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    let negative = cleaned.starts_with('-') || cleaned.contains("-");
    let digits: String = cleaned.chars().filter(|c| *c != '-').collect();
    digits.parse::<f64>().ok().map(|v| if negative { -v } else { v })
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Numeric leaves of a JSON value with their key.
fn json_pairs(value: &Value, key: &str, out: &mut Vec<(String, f64)>) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                out.push((key.to_lowercase(), f));
            }
        }
        Value::String(s) => {
            if let Ok(f) = s.trim().parse::<f64>() {
                out.push((key.to_lowercase(), f));
            }
        }
        Value::Array(items) => items.iter().for_each(|item| json_pairs(item, key, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| json_pairs(v, k, out)),
        _ => {}
    }
}

/// A source the model could rely on: a tool output.
struct Source<'a> {
    text: &'a str,
    pairs: Vec<(String, f64)>,
}

/// How many of the most recent successful tool/retrieval outputs a claim is checked against.
/// Bounding it keeps a diagnosis linear in the trace (an agent's claims draw on recent results).
const MAX_SOURCES: usize = 64;

fn sources_before<'a>(view: &'a TraceView, span: usize) -> Vec<Source<'a>> {
    // Steps are in span order, so the steps before `span` are a prefix.
    let end = view.steps.partition_point(|s| s.span < span);
    let mut recent: Vec<&crate::view::Step> = view.steps[..end]
        .iter()
        .rev()
        .filter(|s| matches!(s.kind, SpanKind::Tool | SpanKind::Retrieval) && s.error.is_none())
        .take(MAX_SOURCES)
        .collect();
    recent.reverse();
    recent
        .into_iter()
        .map(|s| {
            let mut pairs = Vec::new();
            if let Ok(value) = serde_json::from_str::<Value>(&s.output) {
                json_pairs(&value, "", &mut pairs);
            }
            for capture in pair_regex().captures_iter(&s.output) {
                if let Some(v) = parse_number(&capture[2]) {
                    pairs.push((capture[1].to_lowercase(), v));
                }
            }
            Source { text: s.output.as_str(), pairs }
        })
        .collect()
}

/// Unsupported claims in the text output of the step at span `span`.
pub fn unsupported_claims(view: &TraceView, span: usize, output: &str) -> Vec<Unsupported> {
    let sources = sources_before(view, span);
    if sources.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Scale: "4,210 million" where the source says 4210 with unit thousand.
    for capture in scale_regex().captures_iter(output) {
        let Some(value) = parse_number(&capture[1]) else { continue };
        let claimed = capture[2].to_lowercase();
        for source in &sources {
            if !source.pairs.iter().any(|(_, v)| same(*v, value))
                && !text::numbers(source.text).iter().any(|n| same(n.value, value))
            {
                continue;
            }
            let lower = source.text.to_lowercase();
            let source_scale = SCALES.iter().map(|(w, _)| *w).find(|w| lower.contains(w));
            if let Some(source_scale) = source_scale
                && source_scale != claimed
            {
                out.push(Unsupported {
                    kind: "scale",
                    claim: capture[0].to_owned(),
                    source: text::clip(source.text, 200),
                    token: capture[0].trim_start_matches(['$', '-']).to_owned(),
                });
                break;
            }
        }
    }
    // Swapped keys: "lat=-70.2568" where the source has lat 43.6591 and lon -70.2568.
    for capture in pair_regex().captures_iter(output) {
        let key = capture[1].to_lowercase();
        let Some(value) = parse_number(&capture[2]) else { continue };
        for source in &sources {
            let own: Vec<f64> = source.pairs.iter().filter(|(k, _)| *k == key).map(|(_, v)| *v).collect();
            if own.is_empty() || own.iter().any(|v| same(*v, value)) {
                continue;
            }
            if let Some((other, _)) = source.pairs.iter().find(|(k, v)| *k != key && same(*v, value)) {
                out.push(Unsupported {
                    kind: "swapped",
                    claim: capture[0].to_owned(),
                    source: format!(
                        "{key}={} and {other}={} in: {}",
                        own[0],
                        capture[2].trim(),
                        text::clip(source.text, 160)
                    ),
                    token: capture[2].to_owned(),
                });
                break;
            }
        }
    }
    // Transposed digits: "$98.99" where the source says 89.99 and nothing says 98.99. Source
    // numbers are read only when the output has a candidate (a number of three or more digits,
    // with decimals or of at least 100, that no source pair and no request number gives).
    let request_numbers = text::numbers(&view.user_request);
    let candidates: Vec<(text::NumberMention, String)> = text::numbers(output)
        .into_iter()
        .map(|mention| {
            let written = written_number(&output[mention.start..mention.end]);
            (mention, written)
        })
        .filter(|(mention, written)| {
            written.bytes().filter(u8::is_ascii_digit).count() >= 3
                && (mention.decimal || mention.value.abs() >= 100.0)
                && !sources.iter().any(|s| s.pairs.iter().any(|(_, v)| same(*v, mention.value)))
                && !request_numbers.iter().any(|n| same(n.value, mention.value))
        })
        .collect();
    if !candidates.is_empty() {
        let mut source_numbers: Vec<(String, f64)> = Vec::new();
        for source in &sources {
            for mention in text::numbers(source.text) {
                source_numbers.push((written_number(&source.text[mention.start..mention.end]), mention.value));
            }
        }
        for (mention, written) in &candidates {
            if source_numbers.iter().any(|(_, v)| same(*v, mention.value)) {
                continue;
            }
            if let Some((original, _)) = source_numbers.iter().find(|(text, _)| is_transposition(written, text)) {
                out.push(Unsupported {
                    kind: "transposed",
                    claim: text::excerpt_around(output, mention.start, 80),
                    source: format!("the tool results say {original}"),
                    token: output[mention.start..mention.end].to_owned(),
                });
                break;
            }
        }
    }
    // Totals that do not add up.
    let lower = output.to_lowercase();
    let request = view.user_request.to_lowercase();
    let asks_total =
        ["total", "sum", "altogether", "combined", "in all"].iter().any(|w| lower.contains(w) || request.contains(w));
    if asks_total {
        let mut by_key: std::collections::HashMap<&str, (f64, usize)> = std::collections::HashMap::new();
        for source in &sources {
            for (key, value) in &source.pairs {
                let entry = by_key.entry(key.as_str()).or_insert((0.0, 0));
                entry.0 += value;
                entry.1 += 1;
            }
        }
        let known: Vec<f64> = sources.iter().flat_map(|s| s.pairs.iter().map(|p| p.1)).collect();
        for mention in text::numbers(output) {
            if !(mention.decimal || mention.value.abs() >= 100.0) || known.iter().any(|v| same(*v, mention.value)) {
                continue;
            }
            if let Some((key, (total, _))) = by_key
                .iter()
                .filter(|(_, (total, count))| *count >= 2 && !same(*total, mention.value))
                .find(|(_, (total, _))| (total - mention.value).abs() <= 0.25 * total.abs())
            {
                out.push(Unsupported {
                    kind: "arithmetic",
                    claim: text::excerpt_around(output, mention.start, 80),
                    source: format!("the {key} values in the tool results add up to {total}"),
                    token: output[mention.start..mention.end].to_owned(),
                });
            }
        }
    }
    out
}

/// A number as written, without sign, currency or thousands separators (`$1,098.50` -> `1098.50`).
fn written_number(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect()
}

/// Whether two written numbers differ only by two swapped digits (`98.99` and `89.99`).
fn is_transposition(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a == b {
        return false;
    }
    let differing: Vec<usize> =
        a.bytes().zip(b.bytes()).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i).collect();
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    matches!(differing.as_slice(), [i, j] if ab[*i] == bb[*j] && ab[*j] == bb[*i] && ab[*i].is_ascii_digit() && ab[*j].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_digits() {
        assert!(is_transposition("98.99", "89.99"));
        assert!(is_transposition("1243", "1342"));
        assert!(!is_transposition("98.99", "98.99"));
        assert!(!is_transposition("129.00", "129.0"));
        assert!(!is_transposition("9.899", "98.99"));
    }

    #[test]
    fn parses_numbers_with_separators() {
        assert_eq!(parse_number("$4,210"), Some(4210.0));
        assert_eq!(parse_number("-70.2568"), Some(-70.2568));
    }
}
