//! Shapes of captured values that are not messages but wrap them: result envelopes.
//!
//! Frameworks return a tool's result inside an object that carries the content blocks next to
//! bookkeeping (LlamaIndex `ToolOutput`: `{"blocks": [{"text": ...}], "tool_name", "raw_input",
//! "raw_output", "is_error"}`; MCP `CallToolResult`: `{"content": [{"type": "text", "text": ...}],
//! "isError"}`; Bedrock/strands tool results: `{"toolUseId", "status", "content": [{"text": ...}]}`).
//! The text a model sees is the blocks' text; which framework wrote the envelope does not matter:
//! any object with exactly one content-block array under a content key is read the same way.

use serde_json::Value;

/// Keys under which envelopes keep their content blocks.
const CONTENT_KEYS: &[&str] = &["blocks", "content", "parts"];

/// The text of a result envelope: the joined text of its one content-block array, `"[]"` when that
/// array is empty (an empty result stays recognisably empty). `None` when `text` is not a JSON
/// object with exactly one such array (a data object, a message, plain text).
pub(super) fn envelope_text(text: &str) -> Option<String> {
    if !text.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else { return None };
    // A message (`{"role": ..., "content": [...]}`) is not an envelope: messages are read elsewhere.
    if map.contains_key("role") {
        return None;
    }
    let mut found = None;
    for key in CONTENT_KEYS {
        let Some(Value::Array(items)) = map.get(*key) else { continue };
        if found.is_some() {
            return None;
        }
        found = Some(if items.is_empty() { Some("[]".to_owned()) } else { super::blocks_text(&map[*key]) });
    }
    found.flatten()
}

#[cfg(test)]
mod tests {
    use super::envelope_text;

    #[test]
    fn envelopes_give_their_blocks_text() {
        let llama = r#"{"blocks":[{"text":"{'total': 89.99}"}],"tool_name":"get_order","raw_output":{"total":89.99},"is_error":false}"#;
        assert_eq!(envelope_text(llama).as_deref(), Some("{'total': 89.99}"));
        let mcp = r#"{"content":[{"type":"text","text":"3 hits"}],"isError":false}"#;
        assert_eq!(envelope_text(mcp).as_deref(), Some("3 hits"));
        let empty = r#"{"blocks":[],"tool_name":"search_docs","raw_output":[]}"#;
        assert_eq!(envelope_text(empty).as_deref(), Some("[]"));
    }

    #[test]
    fn data_and_messages_are_not_envelopes() {
        for text in [
            r#"{"order_id":"A1001","total":89.99}"#,
            r#"{"content":[{"title":"Returns","text":"30 days","url":"u"}]}"#,
            r#"{"role":"tool","content":[{"text":"x"}]}"#,
            r#"{"blocks":[{"text":"a"}],"content":[{"text":"b"}]}"#,
            "plain text",
            "{not json",
        ] {
            assert_eq!(envelope_text(text), None, "{text}");
        }
    }
}
