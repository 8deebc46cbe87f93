//! JSON for `gen_ai.input.messages` and `gen_ai.output.messages` in the OTel GenAI shape
//! (`[{"role": ..., "parts": [...]}]`), written compactly with keys in the conventional order.
//!
//! ```
//! use rootspan_testkit::messages;
//! assert_eq!(messages::user("hi"), r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#);
//! let call = messages::tool_call("c1", "get_order", r#"{"order_id":"A1"}"#);
//! assert!(call.contains(r#""arguments":{"order_id":"A1"}"#));
//! ```

/// A JSON string literal.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// `arguments` as embedded JSON: the text itself when it is valid JSON (kept byte for byte), else
/// as a JSON string.
fn embedded_json(arguments: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(arguments).is_ok() { arguments.to_owned() } else { quoted(arguments) }
}

/// One text message of `role`, as a JSON object.
fn text_message(role: &str, text: &str) -> String {
    format!(r#"{{"role":{},"parts":[{{"type":"text","content":{}}}]}}"#, quoted(role), quoted(text))
}

/// A conversation: one text message per `(role, text)`, in order.
pub fn conversation(turns: &[(&str, &str)]) -> String {
    let items: Vec<String> = turns.iter().map(|(role, text)| text_message(role, text)).collect();
    format!("[{}]", items.join(","))
}

/// A single user message.
pub fn user(text: &str) -> String {
    conversation(&[("user", text)])
}

/// A system message followed by a user message.
pub fn system_and_user(system: &str, user: &str) -> String {
    conversation(&[("system", system), ("user", user)])
}

/// A single assistant text message.
pub fn assistant(text: &str) -> String {
    conversation(&[("assistant", text)])
}

/// An assistant message with one tool call (`arguments` is JSON text, embedded as an object).
pub fn tool_call(call_id: &str, name: &str, arguments: &str) -> String {
    tool_calls(&[(call_id, name, arguments)])
}

/// An assistant message with several tool calls `(call id, tool name, arguments JSON)`.
pub fn tool_calls(calls: &[(&str, &str, &str)]) -> String {
    let parts: Vec<String> = calls
        .iter()
        .map(|(id, name, arguments)| {
            format!(
                r#"{{"type":"tool_call","id":{},"name":{},"arguments":{}}}"#,
                quoted(id),
                quoted(name),
                embedded_json(arguments)
            )
        })
        .collect();
    format!(r#"[{{"role":"assistant","parts":[{}]}}]"#, parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::conventions::messages_from_json;

    #[test]
    fn messages_parse_back() {
        let parsed = messages_from_json(&system_and_user("be brief", "say \"hi\""));
        assert_eq!(parsed.len(), 2);
        assert_eq!((parsed[1].role.as_str(), parsed[1].content.as_str()), ("user", "say \"hi\""));
        let calls = messages_from_json(&tool_calls(&[("c1", "a", r#"{"x":1}"#), ("c2", "b", "not json")]));
        assert_eq!(calls[0].tool_calls.len(), 2);
        assert_eq!(calls[0].tool_calls[0].arguments, r#"{"x":1}"#);
        assert_eq!(calls[0].tool_calls[1].arguments, "not json");
    }
}
