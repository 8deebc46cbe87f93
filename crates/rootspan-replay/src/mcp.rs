//! An MCP server that replays recorded tool results: `tools/list` offers the tools the recording
//! called (with the schemas the recorded model requests offered, when captured), and
//! `tools/call` answers each call with the recorded result, or with a JSON-RPC error naming the
//! step when the call is beyond the recording or diverges from it. Transport-agnostic: one
//! JSON-RPC message in, one answer out.

use crate::recording::EventKind;
use crate::replayer::Replayer;
use serde_json::{Value, json};

const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// JSON-RPC error code of a call replay refused (server-defined range).
pub const REPLAY_ERROR: i64 = -32001;

/// The tools of a recording: name, description and input schema.
pub fn tool_definitions(replayer: &Replayer) -> Vec<Value> {
    let recording = replayer.recording();
    let mut schemas: std::collections::BTreeMap<String, Value> = Default::default();
    for event in recording.events.iter().filter(|e| e.kind == EventKind::LlmCall) {
        let tools = match &event.request["tools"] {
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            other => other.clone(),
        };
        for tool in tools.as_array().into_iter().flatten() {
            let function = if tool["function"].is_object() { &tool["function"] } else { tool };
            if let Some(name) = function["name"].as_str() {
                let schema = function
                    .get("parameters")
                    .or_else(|| function.get("input_schema"))
                    .or_else(|| function.get("inputSchema"))
                    .cloned()
                    .unwrap_or_else(|| json!({"type": "object"}));
                schemas.entry(name.to_owned()).or_insert(json!({
                    "name": name,
                    "description": function["description"].as_str().unwrap_or(""),
                    "inputSchema": schema,
                }));
            }
        }
    }
    let mut names: Vec<String> =
        recording.events.iter().filter(|e| e.kind == EventKind::ToolCall).map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            schemas.remove(&name).unwrap_or_else(|| {
                json!({"name": name, "description": "replayed from the recording", "inputSchema": {"type": "object"}})
            })
        })
        .collect()
}

fn result_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Answers one JSON-RPC message; `None` for notifications.
pub fn handle(replayer: &mut Replayer, message: &Value) -> Option<Value> {
    let id = message.get("id").cloned()?;
    let error = |code: i64, text: String| json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": text}});
    let ok = |result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    Some(match message["method"].as_str().unwrap_or("") {
        "initialize" => {
            let asked = params["protocolVersion"].as_str().unwrap_or("");
            let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(PROTOCOL_VERSIONS[0]);
            ok(json!({
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": "rootspan-replay", "version": env!("CARGO_PKG_VERSION")},
                "instructions": "Replays the tool results of a recorded agent run; calls beyond the recording fail.",
            }))
        }
        "ping" => ok(json!({})),
        "tools/list" => ok(json!({"tools": tool_definitions(replayer)})),
        "tools/call" => {
            let Some(name) = params["name"].as_str() else {
                return Some(error(-32602, "tools/call needs params.name".into()));
            };
            let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
            match replayer.tool(name, &arguments) {
                Ok(event) => match &event.error {
                    Some(recorded) => ok(json!({
                        "content": [{"type": "text", "text": recorded.message}],
                        "isError": true,
                    })),
                    None => {
                        let result =
                            event.response.as_ref().and_then(|r| r.get("result")).cloned().unwrap_or(Value::Null);
                        ok(json!({"content": [{"type": "text", "text": result_text(&result)}], "isError": false}))
                    }
                },
                Err(failure) => json!({"jsonrpc": "2.0", "id": id, "error": {
                    "code": REPLAY_ERROR, "message": failure.message,
                    "data": {"step": failure.step, "kind": failure.kind, "failure": failure.failure},
                }}),
            }
        }
        other => error(-32601, format!("method {other:?} is not supported")),
    })
}
