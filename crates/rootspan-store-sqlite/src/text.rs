//! What the full-text index sees of a span: prompts, outputs, tool arguments and results, error
//! messages and log bodies, taken from the raw attributes so indexing does not depend on
//! normalisation depth.

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

fn is_content_key(key: &str) -> bool {
    !key.starts_with("logfire.") && CONTENT_HINTS.iter().any(|hint| key.contains(hint))
}

fn push(out: &mut String, text: &str, budget: &mut usize) {
    if *budget == 0 || text.is_empty() {
        return;
    }
    let mut end = text.len().min(*budget);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
    out.push('\n');
    *budget -= end;
}

/// Appends the searchable text of `span` to `out`.
pub fn span_text(span: &Span, out: &mut String) {
    let mut budget = MAX_TEXT_PER_SPAN;
    push(out, &span.name, &mut budget);
    push(out, &span.status.message, &mut budget);
    for kv in &span.attributes {
        if is_content_key(&kv.key)
            && let AnyValue::String(text) = &kv.value
        {
            push(out, text, &mut budget);
        }
    }
    for event in &span.events {
        for kv in &event.attributes {
            if let AnyValue::String(text) = &kv.value {
                push(out, text, &mut budget);
            }
        }
    }
    for log in &span.logs {
        push(out, &log.body.to_text(), &mut budget);
    }
}

/// An FTS5 query that matches documents containing every word of `text` (AND of quoted terms).
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The hashes of the distinct words of the searchable text of these spans (for the chunk's
/// Bloom filter, and to check chunks that have none).
pub fn chunk_words<'a>(spans: impl IntoIterator<Item = &'a Span>) -> std::collections::HashSet<u64> {
    let mut text = String::new();
    let mut out = std::collections::HashSet::new();
    for span in spans {
        text.clear();
        span_text(span, &mut text);
        crate::bloom::word_hashes(&text, &mut out);
    }
    out
}
