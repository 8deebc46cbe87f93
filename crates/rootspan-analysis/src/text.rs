//! Small, deterministic text helpers shared by the detectors: tokens, numbers, dates, excerpts.

use std::collections::HashSet;

/// Words that carry no topic.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is",
    "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "i", "you", "he",
    "she", "we", "they", "me", "my", "your", "our", "their", "his", "her", "them", "us", "do", "does", "did", "have",
    "has", "had", "will", "would", "can", "could", "should", "shall", "may", "might", "must", "not", "no", "yes", "so",
    "than", "then", "there", "here", "what", "which", "who", "whom", "when", "where", "why", "how", "all", "any",
    "some", "one", "more", "most", "other", "into", "about", "over", "under", "up", "down", "out", "please", "tell",
    "give", "get", "let", "also", "just", "only", "very", "too", "each", "per", "via", "vs", "am", "pm", "s", "t",
    "re", "ll", "ve", "d", "m", "ok", "okay", "now", "new", "use", "using", "used",
];

/// Whether a lowercase word is a stopword (hashed lookup: this sits on hot paths).
pub fn is_stopword(word: &str) -> bool {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    word.len() <= 8 && SET.get_or_init(|| STOPWORDS.iter().copied().collect()).contains(word)
}

/// Lowercase alphanumeric tokens (keeps `-`/`.` inside numbers), without stopwords.
pub fn content_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if raw.is_empty() {
            continue;
        }
        let token = raw.to_lowercase();
        if is_stopword(&token) {
            continue;
        }
        out.push(token);
    }
    out
}

/// The set of content tokens, with a crude plural fold (`phones` -> `phone`).
pub fn token_set(text: &str) -> HashSet<String> {
    content_tokens(text).into_iter().map(|t| fold(&t)).collect()
}

/// Crude stemming: strips a plural `s` from longer words.
pub fn fold(token: &str) -> String {
    if token.len() > 4 && token.ends_with('s') && !token.ends_with("ss") {
        token[..token.len() - 1].to_owned()
    } else {
        token.to_owned()
    }
}

/// A number found in text, with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberMention {
    pub value: f64,
    pub start: usize,
    pub end: usize,
    /// Had a decimal point.
    pub decimal: bool,
}

/// Numbers in text: `-1,234.50`, `43.6591`, `4210`. Thousands separators are removed; digits glued to
/// letters (ids such as `A1002`, `1Z999`) are skipped.
pub fn numbers(text: &str) -> Vec<NumberMention> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let glued_before = i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'_');
            let mut start = i;
            if i > 0 && bytes[i - 1] == b'-' && !(i > 1 && bytes[i - 2].is_ascii_alphanumeric()) {
                start = i - 1;
            }
            let mut j = i;
            let mut decimal = false;
            while j < bytes.len() {
                let d = bytes[j];
                let thousands_separator = d == b','
                    && j + 4 <= bytes.len()
                    && bytes[j + 1..j + 4].iter().all(u8::is_ascii_digit)
                    && bytes.get(j + 4).is_none_or(|b| !b.is_ascii_digit());
                if d.is_ascii_digit() || thousands_separator {
                    j += 1;
                } else if d == b'.' && !decimal && bytes.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    decimal = true;
                    j += 1;
                } else {
                    break;
                }
            }
            let glued_after = bytes.get(j).is_some_and(|b| {
                b.is_ascii_alphabetic() && !matches!(b, b'k' | b'm' | b'b' | b'h' | b's' | b'x' | b'p')
            }) && bytes.get(j + 1).is_some_and(u8::is_ascii_alphanumeric);
            if !glued_before && !glued_after {
                let cleaned: String = text[start..j].chars().filter(|c| *c != ',').collect();
                if let Ok(value) = cleaned.parse::<f64>() {
                    out.push(NumberMention { value, start, end: j, decimal });
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Calendar dates in text as `YYYY-MM-DD`: ISO dates, `March 5th 2025`, `5 March 2025`, `03/05/2025` (US order).
pub fn dates(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    let bytes = lower.as_bytes();
    // ISO.
    for (index, _) in lower.match_indices('-') {
        if index >= 4 && bytes.len() >= index + 6 {
            let year = &lower[index - 4..index];
            let rest = &lower[index + 1..];
            if year.bytes().all(|b| b.is_ascii_digit()) && rest.len() >= 5 {
                let month = &rest[..2];
                let sep = rest.as_bytes()[2];
                let day = &rest[3..5];
                if sep == b'-' && month.bytes().all(|b| b.is_ascii_digit()) && day.bytes().all(|b| b.is_ascii_digit()) {
                    out.push(format!("{year}-{month}-{day}"));
                }
            }
        }
    }
    // Month names.
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    for (position, word) in words.iter().enumerate() {
        let Some(month) =
            MONTHS.iter().position(|m| *word == *m || (word.len() >= 3 && m.starts_with(word) && word.len() == 3))
        else {
            continue;
        };
        let day_of = |w: &str| -> Option<u32> {
            let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
            let suffix = &w[digits.len()..];
            if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
                return None;
            }
            digits.parse().ok().filter(|d| (1..=31).contains(d))
        };
        let year_of = |w: &str| -> Option<u32> { w.parse().ok().filter(|y| (1900..=2100).contains(y)) };
        let after = words.get(position + 1).copied();
        let after2 = words.get(position + 2).copied();
        let before = position.checked_sub(1).and_then(|p| words.get(p)).copied();
        if let (Some(day), Some(year)) = (after.and_then(day_of), after2.and_then(year_of)) {
            out.push(format!("{year:04}-{:02}-{day:02}", month + 1));
        } else if let (Some(day), Some(year)) = (before.and_then(day_of), after.and_then(year_of)) {
            out.push(format!("{year:04}-{:02}-{day:02}", month + 1));
        } else if let Some(day) = after.and_then(day_of).or_else(|| before.and_then(day_of)) {
            // Year not given: `--MM-DD`.
            out.push(format!("--{:02}-{day:02}", month + 1));
        }
    }
    out
}

/// Canonical argument text: JSON re-serialised with sorted keys, else trimmed text.
pub fn canonical_arguments(arguments: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) => {
            let mut out = String::with_capacity(arguments.len());
            write_canonical(&value, &mut out);
            out
        }
        Err(_) => arguments.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Writes JSON with object keys sorted, without copying the value.
pub(crate) fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (position, (key, item)) in entries.into_iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Hashes of the content tokens of `text` (lowercased, stopwords dropped), sorted and
/// deduplicated: a cheap set for Jaccard similarity on hot paths.
pub fn token_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut lower = String::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if raw.is_empty() {
            continue;
        }
        lower.clear();
        lower.extend(raw.chars().flat_map(char::to_lowercase));
        if is_stopword(&lower) {
            continue;
        }
        out.push(rootspan_model::ids::fnv1a64(lower.as_bytes(), 0xcbf2_9ce4_8422_2325));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two sorted, deduplicated hash lists.
pub fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Whether an ISO date (`YYYY-MM-DD`) is one of `dates` (as returned by [`dates`]; `--MM-DD`
/// entries match any year).
pub fn date_matches(date: &str, dates: &[String]) -> bool {
    dates.iter().any(|d| d == date || (d.starts_with("--") && date.len() == 10 && date[4..] == d[1..]))
}

/// Identifier-like tokens (letters/digits with `-`/`_`, at least one digit, 3+ characters).
pub fn id_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .map(|t| t.trim_matches(|c| c == '-' || c == '_'))
        .filter(|t| t.len() >= 3 && t.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

/// Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Whether text looks like an ISO date (`YYYY-MM-DD`).
pub fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// An excerpt of at most `max` characters around byte `at` (char-boundary safe), with ellipses.
pub fn excerpt_around(text: &str, at: usize, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let half = max / 2;
    let mut start = at.saturating_sub(half);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + max).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&text[start..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// The first `max` characters.
pub fn clip(text: &str, max: usize) -> String {
    excerpt_around(text, 0, max)
}

/// Case-insensitive search; returns the byte offset in `haystack`.
pub fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let lower = haystack.to_ascii_lowercase();
    lower.find(&needle.to_ascii_lowercase())
}

/// Jaccard similarity of two token sets.
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count() as f64;
    let union = a.union(b).count() as f64;
    inter / union
}

/// Words that say an answer admits a failure or uncertainty.
pub fn admits_failure(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "unable",
        "couldn't",
        "could not",
        "can't",
        "cannot",
        "failed",
        "failure",
        "error",
        "unavailable",
        "sorry",
        "not able",
        "wasn't able",
        "was not able",
        "no results",
        "not found",
        "try again",
        "a problem",
        "an issue",
        "unfortunately",
        "apolog",
        "don't have",
        "do not have",
        "no information",
        "not available",
        "no data",
        "couldn’t",
        "can’t",
        "no record",
        "nothing was",
        "no policy",
        "did not succeed",
        "not been",
        "escalat",
    ];
    let lower = text.to_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_skip_ids_and_keep_separators() {
        let found: Vec<f64> =
            numbers("order A1002 costs $1,200.50 and lat=-70.2568; 4 people").iter().map(|n| n.value).collect();
        assert_eq!(found, vec![1200.5, -70.2568, 4.0]);
    }

    #[test]
    fn dates_in_several_forms() {
        assert_eq!(dates("on March 5th 2025 at 7pm"), vec!["2025-03-05"]);
        assert_eq!(dates("date 2025-05-03"), vec!["2025-05-03"]);
        assert_eq!(dates("5 March 2025"), vec!["2025-03-05"]);
    }

    #[test]
    fn near_miss_identifiers() {
        assert_eq!(edit_distance("C-6395", "C-6359"), 1);
        assert_eq!(edit_distance("C-3227", "C-3228"), 1);
        assert_eq!(id_tokens("customer C-3227, order A1002."), vec!["C-3227", "A1002"]);
        assert!(date_matches("2025-03-27", &dates("in March 24, 2025 and out March 27.")));
    }

    #[test]
    fn excerpts_respect_char_boundaries() {
        let text = "ééééééééééééééééééé error here ééééééééé";
        let out = excerpt_around(text, text.find("error").unwrap(), 10);
        assert!(out.contains("error"));
    }
}
