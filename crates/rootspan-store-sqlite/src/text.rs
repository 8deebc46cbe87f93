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

fn classify_key(key: &str) -> bool {
    !key.starts_with("logfire.") && CONTENT_HINTS.iter().any(|hint| key.contains(hint))
}

thread_local! {
    /// Attribute keys repeat across spans: each distinct key is classified once per thread.
    static CONTENT_KEYS: std::cell::RefCell<std::collections::HashMap<String, bool>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Most distinct keys remembered per thread (hostile input cannot grow the cache without bound).
const MAX_CACHED_KEYS: usize = 4_096;

fn is_content_key(key: &str) -> bool {
    CONTENT_KEYS.with(|cell| {
        let mut cache = cell.borrow_mut();
        if let Some(&known) = cache.get(key) {
            return known;
        }
        let content = classify_key(key);
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.insert(key.to_owned(), content);
        content
    })
}

/// Calls `visit` with each searchable text of `span` in order, at most [`MAX_TEXT_PER_SPAN`]
/// bytes in all (cut at a character boundary).
fn visit_text(span: &Span, mut visit: impl FnMut(&str)) {
    let mut budget = MAX_TEXT_PER_SPAN;
    let mut emit = |text: &str| {
        if budget == 0 || text.is_empty() {
            return;
        }
        let mut end = text.len().min(budget);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        visit(&text[..end]);
        budget -= end;
    };
    emit(&span.name);
    emit(&span.status.message);
    for kv in &span.attributes {
        if let AnyValue::String(text) = &kv.value
            && is_content_key(&kv.key)
        {
            emit(text);
        }
    }
    for event in &span.events {
        for kv in &event.attributes {
            if let AnyValue::String(text) = &kv.value {
                emit(text);
            }
        }
    }
    for log in &span.logs {
        emit(&log.body.to_text());
    }
}

/// Appends the searchable text of `span` to `out` (one line per part).
pub fn span_text(span: &Span, out: &mut String) {
    visit_text(span, |text| {
        out.push_str(text);
        out.push('\n');
    });
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

/// The distinct word hashes of the searchable text of these spans, sorted (for the chunk's Bloom
/// filter, and to check chunks that have none). Hashes the text in place, copying nothing.
pub fn chunk_words<'a>(spans: impl IntoIterator<Item = &'a Span>) -> Vec<u64> {
    let mut out = Vec::new();
    for span in spans {
        visit_text(span, |text| crate::bloom::word_hashes(text, &mut out));
    }
    crate::bloom::distinct(out)
}
