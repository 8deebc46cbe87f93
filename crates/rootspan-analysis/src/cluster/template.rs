//! Text normalisation shared by diff and clustering.
//!
//! - [`mask_ids`] is light: it masks only values that differ between two runs of the same agent
//!   doing the same thing (uuids, provider call ids, long hex ids), so a diff does not report
//!   noise but still sees changed arguments and results.
//! - [`template`] is aggressive: it turns an error message into the template that all variants
//!   of one failure share, masking numbers, ids, uuids, hex, paths, urls, emails, quoted values
//!   and amounts, while keeping HTTP status codes (`HTTP 503`, `429 Too Many Requests`) and the
//!   words around them. JSON text is templated structurally (keys kept, values masked).
//!
//! Both are pure and deterministic.

use regex::{Captures, Regex};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Longest template kept (characters); longer messages are cut, variants agree on their start.
pub const MAX_TEMPLATE_CHARS: usize = 240;

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b").expect("uuid regex")
});
static CALL_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(call|toolu|chatcmpl|run|msg|resp|fc)[_-][A-Za-z0-9]{8,}\b").expect("call id regex")
});
static LONG_HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(0x)?[0-9a-f]{16,}\b").expect("hex regex"));
static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(0x)?[0-9a-f]{8,}\b").expect("hex regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("email regex"));
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>)\]]+"#).expect("url regex"));
static PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(^|[\s(=:'"\[,])((?:/[\w.~%@+-]+)+/?)"#).expect("path regex"));
static DOUBLE_QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""[^"\n]{0,200}""#).expect("quote regex"));
static SINGLE_QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^\w])'[^'\n]{0,200}'($|[^\w])").expect("quote regex"));
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[$€£¥]\s?\d[\d,]*(\.\d+)?|\b\d[\d,]*(\.\d+)?\s?(USD|EUR|GBP)\b").expect("amount regex")
});
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\w][\w.-]*").expect("token regex"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("space regex"));
static HTTP_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(https?|status|status_code|code|error)[\s:=/\d.]*$").expect("http regex"));
static REASON_AFTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^ [A-Z][a-z]").expect("reason regex"));

/// Masks what differs between two runs doing the same thing: uuids, provider call ids, long hex.
pub fn mask_ids(text: &str) -> Cow<'_, str> {
    // Fast path: every masked form has a `-` or `_`, or a run of 16 hex digits.
    if !text.contains(['-', '_']) && !has_hex_run(text, 16) {
        return Cow::Borrowed(text);
    }
    let text = UUID.replace_all(text, "<uuid>");
    let text = match CALL_ID.replace_all(&text, "<id>") {
        Cow::Borrowed(_) => text,
        Cow::Owned(owned) => Cow::Owned(owned),
    };
    match LONG_HEX.replace_all(&text, "<hex>") {
        Cow::Borrowed(_) => text,
        Cow::Owned(owned) => Cow::Owned(owned),
    }
}

fn has_hex_run(text: &str, length: usize) -> bool {
    let mut run = 0;
    for byte in text.bytes() {
        run = if byte.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= length {
            return true;
        }
    }
    false
}

/// The template of a message: what every variant of the same failure shares.
pub fn template(text: &str) -> String {
    let trimmed = text.trim();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(trimmed)
    {
        return cut(&json_template(&value, None));
    }
    cut(&text_template(text))
}

/// The template of data (tool arguments): like [`template`], but every JSON string is data, even
/// under keys that usually hold messages.
pub fn data_template(text: &str) -> String {
    let trimmed = text.trim();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(trimmed)
    {
        return cut(&json_template(&value, Some("")));
    }
    cut(&text_template(text))
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_TEMPLATE_CHARS {
        return text.to_owned();
    }
    text.chars().take(MAX_TEMPLATE_CHARS).collect()
}

/// Keys whose string values are messages worth templating (not data to mask away).
fn is_message_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["error", "message", "msg", "detail", "reason", "code", "status", "type", "kind"]
        .iter()
        .any(|word| key == *word || key.ends_with(&format!("_{word}")) || key.starts_with(&format!("{word}_")))
}

/// Structural template of JSON: keys kept (sorted), numbers `<n>`, data strings `<str>`,
/// message strings templated, arrays as their first element's template.
fn json_template(value: &Value, key: Option<&str>) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(_) => "<n>".to_owned(),
        Value::String(text) if text.is_empty() => "\"\"".to_owned(),
        Value::String(text) => match key {
            Some(key) if is_message_key(key) => format!("\"{}\"", text_template(text)),
            _ => "<str>".to_owned(),
        },
        Value::Array(items) => match items.first() {
            None => "[]".to_owned(),
            Some(first) => format!("[{}…]", json_template(first, key)),
        },
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            // An empty key marks data mode: it is passed down so that no key counts as a message.
            let data = key == Some("");
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", json_template(&map[k.as_str()], Some(if data { "" } else { k }))))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
    }
}

fn text_template(text: &str) -> String {
    let text = UUID.replace_all(text, "<uuid>");
    let text = EMAIL.replace_all(&text, "<email>");
    let text = URL.replace_all(&text, "<url>");
    let text = PATH.replace_all(&text, |caps: &Captures| format!("{}<path>", &caps[1]));
    let text = DOUBLE_QUOTED.replace_all(&text, "<q>");
    let text = SINGLE_QUOTED.replace_all(&text, |caps: &Captures| format!("{}<q>{}", &caps[1], &caps[2]));
    let text = AMOUNT.replace_all(&text, "<amount>");
    let text = HEX.replace_all(&text, |caps: &Captures| {
        let found = &caps[0];
        if found.bytes().any(|b| b.is_ascii_digit()) { "<hex>".to_owned() } else { found.to_owned() }
    });
    let mut text = SPACES.replace_all(mask_tokens(&text).trim(), " ").into_owned();
    // Lists of one placeholder say the same whatever their length.
    for placeholder in ["<id>", "<n>", "<q>"] {
        let pair = format!("{placeholder}, {placeholder}");
        while text.contains(&pair) {
            text = text.replace(&pair, placeholder);
        }
    }
    text
}

/// Numbers become `<n>` (HTTP status codes excepted); words mixing letters and digits, or joined
/// by `-`, `_` or `.` (ids, services, hosts, codes), become `<id>`; plain words stay.
fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in TOKEN.find_iter(text) {
        out.push_str(&text[last..found.start()]);
        last = found.end();
        let token = found.as_str().trim_end_matches(['.', '-']);
        let tail = &found.as_str()[token.len()..];
        if !token.bytes().any(|b| b.is_ascii_digit()) {
            // Names joined by `-`, `_` or `.` (services, hosts, codes, tables) vary between
            // variants of one failure; plain words do not.
            if token.contains(['-', '_', '.']) {
                out.push_str("<id>");
                out.push_str(tail);
            } else {
                out.push_str(found.as_str());
            }
            continue;
        }
        let numeric = token.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
        if numeric {
            let before = &text[..found.start()];
            let after = &text[found.start() + token.len()..];
            let status_like = token.len() == 3
                && matches!(token.as_bytes()[0], b'1'..=b'5')
                && (HTTP_BEFORE.is_match(tail_chars(before, 16)) || REASON_AFTER.is_match(after));
            out.push_str(if status_like { token } else { "<n>" });
        } else {
            out.push_str("<id>");
        }
        out.push_str(tail);
    }
    out.push_str(&text[last..]);
    out
}

fn tail_chars(text: &str, count: usize) -> &str {
    let start = text.char_indices().rev().nth(count.saturating_sub(1)).map(|(i, _)| i).unwrap_or(0);
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_share_a_template() {
        let a = "orders-api POST /v1/orders/A1002/cancel -> HTTP 503 Service Unavailable: orders service unavailable (request id 3d834446-660c-493a-b1d9-6636669b66d7)";
        let b = "orders-api POST /v1/orders/B77/refund -> HTTP 503 Service Unavailable: orders service unavailable (request id 0f3eb8a7-8ef2-44dd-a59b-16efb374b66d)";
        assert_eq!(template(a), template(b));
        assert!(template(a).contains("HTTP 503 Service Unavailable"), "{}", template(a));
        let c = "429 Too Many Requests: rate limit exceeded, retry after 37s";
        assert!(template(c).starts_with("429 Too Many Requests"), "{}", template(c));
        assert_eq!(template("query timed out after 4500 ms on shard 3"), "query timed out after <n> ms on shard <n>");
        assert_eq!(template("invalid API key for merchant acct_1JXCoACg7s1"), "invalid API key for merchant <id>");
        assert_eq!(template("mail bob@example.com about $12.50"), "mail <email> about <amount>");
        assert_eq!(template("input_value='2025-13-45', ok"), "<id>=<q>, ok");
        assert_eq!(template("key for acct_abc"), template("key for acct_1b2"));
        assert_eq!(template("rate limit exceeded for fx-api"), template("rate limit exceeded for flights-api"));
        assert_eq!(template("validation error [a_b, c_d]"), "validation error [<id>]");
        assert_eq!(template("it's the user's call"), "it's the user's call");
    }

    #[test]
    fn json_is_templated_by_structure() {
        let a = r#"{"query": "warranty laptops", "results": [], "total": 0, "request_id": "x1"}"#;
        let b = r#"{"total": 0, "results": [], "query": "returns policy", "request_id": "y2"}"#;
        assert_eq!(template(a), template(b));
        let error = r#"{"error": {"status": 401, "message": "invalid API key for merchant acct_9"}}"#;
        assert_eq!(template(error), r#"{error:{message:"invalid API key for merchant <id>",status:<n>}}"#);
    }

    #[test]
    fn ids_are_masked_lightly() {
        assert_eq!(mask_ids("id 3d834446-660c-493a-b1d9-6636669b66d7 A1002"), "id <uuid> A1002");
        assert_eq!(mask_ids("call_Ab12Cd34Ef56 done"), "<id> done");
    }
}
