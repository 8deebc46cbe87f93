//! Does a request the agent sends now match the recorded one? Requests are compared in a neutral
//! form (roles, text, tool calls with canonical JSON arguments; ids are not compared, since the
//! replay hands out the recorded ones), within a configurable [`Tolerance`]. The first difference
//! is described so that a human can see it at once.

use rootspan_model::{Message, ToolCall};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How far a request may differ from the recording and still replay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tolerance {
    /// Share of a text (0.0 to 1.0) that may differ, after whitespace is collapsed; 0 means equal.
    #[serde(default)]
    pub text: f64,
    /// Do not compare the model name.
    #[serde(default)]
    pub ignore_model: bool,
    /// Do not compare the set of tools offered to the model.
    #[serde(default)]
    pub ignore_tools: bool,
    /// Do not compare system messages.
    #[serde(default)]
    pub ignore_system: bool,
}

/// A request to an LLM in neutral form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LlmRequest {
    pub model: String,
    pub messages: Vec<Message>,
    /// Names of the tools offered, in order.
    pub tools: Vec<String>,
    pub stream: bool,
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn role(role: &str) -> &str {
    match role {
        "human" => "user",
        "ai" | "model" => "assistant",
        "function" | "tool_result" => "tool",
        "developer" => "system",
        other => other,
    }
}

/// The role a message plays: a message that answers a tool call is a tool message, whatever
/// role an instrumentation gave it (the GenAI conventions put tool results in `user` messages).
fn message_role(message: &Message) -> &str {
    let named = role(&message.role);
    if message.tool_call_id.is_some() && matches!(named, "user" | "") { "tool" } else { named }
}

/// JSON text in canonical form (keys sorted), or the collapsed text when it is not JSON.
pub fn canonical_arguments(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => canonical(&value),
        Err(_) => collapse(text),
    }
}

/// A JSON value printed with sorted keys.
pub fn canonical(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let sorted: std::collections::BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

/// The share of two texts that differs: what remains after their common prefix and suffix,
/// over the longer length. Cheap, and exact for one localised edit.
pub fn difference_share(a: &str, b: &str) -> f64 {
    if a == b {
        return 0.0;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let longest = a.len().max(b.len());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    (longest - prefix - suffix) as f64 / longest as f64
}

/// A short excerpt of both texts around their first difference.
pub fn excerpt_difference(recorded: &str, received: &str) -> String {
    let prefix = recorded.chars().zip(received.chars()).take_while(|(x, y)| x == y).count();
    let start = prefix.saturating_sub(20);
    let cut = |text: &str| -> String {
        let piece: String = text.chars().skip(start).take(60).collect();
        let ellipsis = if start > 0 { "…" } else { "" };
        format!("{ellipsis}{piece}{}", if text.chars().count() > start + 60 { "…" } else { "" })
    };
    format!("recorded {:?}, received {:?}", cut(recorded), cut(received))
}

fn texts_match(recorded: &str, received: &str, tolerance: &Tolerance) -> bool {
    // JSON texts (tool results, structured outputs) match when they hold the same value, however
    // an instrumentation re-serialised them.
    if let (Ok(a), Ok(b)) = (serde_json::from_str::<Value>(recorded), serde_json::from_str::<Value>(received))
        && (a.is_object() || a.is_array())
        && canonical(&a) == canonical(&b)
    {
        return true;
    }
    let (recorded, received) = (collapse(recorded), collapse(received));
    recorded == received
        || difference_share(&recorded, &received) <= tolerance.text
        || matches_redacted(&recorded, &received)
}

/// Whether a recorded text in which secrets were redacted at ingest (`[REDACTED:rule]`) matches
/// the text the agent sends now, which holds the real values: each redaction stands for any
/// non-empty text, everything else must be equal.
pub fn matches_redacted(recorded: &str, received: &str) -> bool {
    if !recorded.contains("[REDACTED:") {
        return false;
    }
    let token = regex::Regex::new(r"\[REDACTED:[A-Za-z0-9_.-]+\]").expect("a valid pattern");
    let mut pattern = String::from("^");
    let mut last = 0;
    for found in token.find_iter(recorded) {
        pattern.push_str(&regex::escape(&recorded[last..found.start()]));
        pattern.push_str("(?s:.+?)");
        last = found.end();
    }
    pattern.push_str(&regex::escape(&recorded[last..]));
    pattern.push('$');
    regex::Regex::new(&pattern).is_ok_and(|r| r.is_match(received))
}

fn calls_differ(recorded: &[ToolCall], received: &[ToolCall]) -> Option<String> {
    if recorded.len() != received.len() {
        return Some(format!("{} tool calls recorded, {} received", recorded.len(), received.len()));
    }
    for (index, (r, n)) in recorded.iter().zip(received).enumerate() {
        if r.name != n.name {
            return Some(format!("tool call {index}: recorded {:?}, received {:?}", r.name, n.name));
        }
        let (ra, na) = (canonical_arguments(&r.arguments), canonical_arguments(&n.arguments));
        if ra != na {
            return Some(format!("tool call {index} ({}) arguments: {}", r.name, excerpt_difference(&ra, &na)));
        }
    }
    None
}

/// Whether two model names name the same model: equal, or one is the other with a version
/// suffix (`gpt-4o-mini` asked for, `gpt-4o-mini-2024-07-18` recorded as the answering model).
pub fn same_model(recorded: &str, received: &str) -> bool {
    if recorded.is_empty() || received.is_empty() || recorded == received {
        return true;
    }
    let (short, long) = if recorded.len() < received.len() { (recorded, received) } else { (received, recorded) };
    long.strip_prefix(short).is_some_and(|rest| rest.starts_with(['-', '@', ':']))
}

/// The first difference between a recorded LLM request and a received one, or `None` when they
/// match within the tolerance.
pub fn llm_difference(recorded: &LlmRequest, received: &LlmRequest, tolerance: &Tolerance) -> Option<String> {
    if !tolerance.ignore_model && !same_model(&recorded.model, &received.model) {
        return Some(format!("model: recorded {:?}, received {:?}", recorded.model, received.model));
    }
    if !tolerance.ignore_tools && !recorded.tools.is_empty() {
        let (mut a, mut b) = (recorded.tools.clone(), received.tools.clone());
        a.sort();
        b.sort();
        if a != b {
            return Some(format!("tools offered: recorded {a:?}, received {b:?}"));
        }
    }
    let keep = |m: &&Message| !(tolerance.ignore_system && message_role(m) == "system");
    let recorded_messages: Vec<&Message> = recorded.messages.iter().filter(keep).collect();
    let received_messages: Vec<&Message> = received.messages.iter().filter(keep).collect();
    for (index, (r, n)) in recorded_messages.iter().zip(&received_messages).enumerate() {
        if message_role(r) != message_role(n) {
            return Some(format!(
                "message {index}: role recorded {:?}, received {:?}",
                message_role(r),
                message_role(n)
            ));
        }
        if !texts_match(&r.content, &n.content, tolerance) {
            return Some(format!(
                "message {index} ({}) text: {}",
                message_role(r),
                excerpt_difference(&collapse(&r.content), &collapse(&n.content))
            ));
        }
        if let Some(difference) = calls_differ(&r.tool_calls, &n.tool_calls) {
            return Some(format!("message {index} ({}): {difference}", message_role(r)));
        }
    }
    if recorded_messages.len() != received_messages.len() {
        return Some(format!("{} messages recorded, {} received", recorded_messages.len(), received_messages.len()));
    }
    None
}

/// The first difference between recorded and received tool arguments, or `None`.
pub fn arguments_difference(recorded: Option<&Value>, received: &Value, tolerance: &Tolerance) -> Option<String> {
    let recorded = recorded.filter(|v| !v.is_null())?;
    let as_text = |value: &Value| match value {
        Value::String(text) => canonical_arguments(text),
        other => canonical(other),
    };
    let (r, n) = (as_text(recorded), as_text(received));
    if r == n || difference_share(&r, &n) <= tolerance.text {
        return None;
    }
    Some(format!("arguments: {}", excerpt_difference(&r, &n)))
}

/// Names of the tools in any common tool-definition shape: OpenAI `{type, function: {name}}`,
/// Anthropic and MCP `{name}`, or a list of names.
pub fn tool_names(tools: &Value) -> Vec<String> {
    let Some(items) = tools.as_array() else { return Vec::new() };
    items
        .iter()
        .filter_map(|tool| {
            tool.as_str()
                .map(str::to_owned)
                .or_else(|| tool["function"]["name"].as_str().map(str::to_owned))
                .or_else(|| tool["name"].as_str().map(str::to_owned))
        })
        .collect()
}

/// The neutral form of a recorded LLM request (the `request` of an `llm_call` event).
pub fn recorded_llm_request(request: &Value) -> LlmRequest {
    let messages: Vec<Message> = serde_json::from_value(request["messages"].clone()).unwrap_or_default();
    let tools = match &request["tools"] {
        Value::String(text) => tool_names(&serde_json::from_str(text).unwrap_or(Value::Null)),
        other => tool_names(other),
    };
    LlmRequest { model: request["model"].as_str().unwrap_or("").to_owned(), messages, tools, stream: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(messages: &[(&str, &str)]) -> LlmRequest {
        LlmRequest {
            model: "m".into(),
            messages: messages
                .iter()
                .map(|(role, content)| Message {
                    role: (*role).into(),
                    content: (*content).into(),
                    ..Message::default()
                })
                .collect(),
            tools: vec![],
            stream: false,
        }
    }

    #[test]
    fn whitespace_and_key_order_do_not_diverge_but_text_does() {
        let tolerance = Tolerance::default();
        let a = request(&[("system", "be  brief"), ("user", "hi")]);
        assert_eq!(llm_difference(&a, &request(&[("system", "be brief "), ("user", "hi")]), &tolerance), None);
        let changed = llm_difference(&a, &request(&[("system", "be brief"), ("user", "ho")]), &tolerance).unwrap();
        assert!(changed.starts_with("message 1 (user) text"), "{changed}");
        assert_eq!(canonical_arguments(r#"{"b":1,"a":[2]}"#), canonical_arguments(r#"{ "a": [2], "b": 1 }"#));
    }

    #[test]
    fn redacted_recorded_text_matches_the_real_values_only_around_them() {
        assert!(matches_redacted("mail [REDACTED:email] now", "mail ann@example.com now"));
        assert!(!matches_redacted("mail [REDACTED:email] now", "mail ann@example.com later"));
        assert!(!matches_redacted("no redaction", "no redaction"), "plain texts compare as texts");
        let a = request(&[("user", "my key is [REDACTED:openai_key], order A1")]);
        let b = request(&[("user", "my key is sk-abc123, order A1")]);
        assert_eq!(llm_difference(&a, &b, &Tolerance::default()), None);
    }

    #[test]
    fn tolerance_admits_small_edits_only() {
        let tolerance = Tolerance { text: 0.1, ..Tolerance::default() };
        let a = request(&[("user", "the quick brown fox jumps over the lazy dog")]);
        assert_eq!(
            llm_difference(&a, &request(&[("user", "the quick brown cat jumps over the lazy dog")]), &tolerance),
            None
        );
        assert!(llm_difference(&a, &request(&[("user", "something else entirely")]), &tolerance).is_some());
        assert!(
            llm_difference(
                &a,
                &request(&[("user", "the quick brown fox jumps over the lazy dog"), ("user", "x")]),
                &tolerance
            )
            .unwrap()
            .contains("1 messages recorded, 2 received")
        );
    }
}
