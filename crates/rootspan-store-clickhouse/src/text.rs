//! What a text search sees of a span, as words: the same parts the embedded store indexes (name,
//! status message, content attributes such as prompts, outputs, tool arguments and results,
//! event texts, attached log bodies; at most 64 KiB per span), split into words of letters and
//! digits and lowercased. The `words` column holds them separated by spaces, so ClickHouse's
//! token index (`tokenbf_v1`) and `hasToken` see exactly these words; a query is split the same
//! way and matches a trace whose live spans hold every one of its words.

use rootspan_model::{AnyValue, Span};

const CONTENT_HINTS: &[&str] = &[
    "message",
    "input",
    "output",
    "prompt",
    "completion",
    "content",
    "arguments",
    "result",
    "query",
    "document",
    "final_result",
];
const MAX_TEXT_PER_SPAN: usize = 64 * 1024;
/// The most words a query may have.
pub const MAX_QUERY_WORDS: usize = 16;

fn is_content_key(key: &str) -> bool {
    !key.starts_with("logfire.") && CONTENT_HINTS.iter().any(|hint| key.contains(hint))
}

/// The searchable texts of a span, in order, within the per-span budget.
fn texts(span: &Span) -> Vec<&str> {
    let mut parts: Vec<&str> = vec![&span.name, &span.status.message];
    for kv in &span.attributes {
        if let AnyValue::String(text) = &kv.value
            && is_content_key(&kv.key)
        {
            parts.push(text);
        }
    }
    for event in &span.events {
        for kv in &event.attributes {
            if let AnyValue::String(text) = &kv.value {
                parts.push(text);
            }
        }
    }
    let mut budget = MAX_TEXT_PER_SPAN;
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        if budget == 0 {
            break;
        }
        let mut end = part.len().min(budget);
        while !part.is_char_boundary(end) {
            end -= 1;
        }
        budget -= end;
        out.push(&part[..end]);
    }
    out
}

/// The words of a text, lowercased, in order.
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// The `words` column of a span: its distinct words, space-separated, in first-seen order.
pub fn span_words(span: &Span) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    let bodies: Vec<String> = span.logs.iter().map(|log| log.body.to_text()).collect();
    for text in texts(span).into_iter().chain(bodies.iter().map(String::as_str)) {
        for word in words_of(text) {
            if seen.insert(word.clone()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&word);
            }
        }
    }
    out
}

/// The distinct words of a query, at most [`MAX_QUERY_WORDS`]; empty when it has none.
pub fn query_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in words_of(text) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words.truncate(MAX_QUERY_WORDS);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::KeyValue;

    #[test]
    fn words_come_from_content_and_are_lowercased_once() {
        let mut span = Span::new([1; 16], [1; 8], "Chat GPT-4o");
        span.attributes.push(KeyValue::new("gen_ai.prompt", "Find the Quokka, the quokka!".into()));
        span.attributes.push(KeyValue::new("http.url", "ignored-host".into()));
        assert_eq!(span_words(&span), "chat gpt 4o find the quokka");
        assert_eq!(query_words("  QUOKKA's   quokka "), ["quokka", "s"]);
        assert!(query_words("!!! ---").is_empty());
    }
}
