//! The rootspan MCP server, so that coding agents can debug agents: JSON-RPC 2.0 messages in,
//! answers out, over any transport (newline-delimited stdio in `rootspan mcp`, streamable HTTP at
//! `/mcp` in `rootspan serve`). The tools are thin adapters over [`rootspan_app::App`], so they
//! answer exactly what the CLI and REST answer.
//!
//! Protocol: the `initialize` handshake (versions 2024-11-05 to 2025-11-25; a client's
//! `server/discover` probe gets "method not found", which makes it fall back to the handshake),
//! `ping`, `tools/list` and `tools/call`. Tool results are JSON text; long payloads are cut to a
//! budget, and the answer says how to fetch the rest.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let store = rootspan_store_sqlite::SqliteStore::open(&dir.path().join("a.db")).unwrap();
//! let app = rootspan_app::App::new(std::sync::Arc::new(store), Default::default());
//! let server = rootspan_mcp::McpServer::new(app);
//! let answer = server.handle(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).unwrap();
//! assert!(answer["result"]["tools"].as_array().unwrap().len() >= 7);
//! ```

mod tools;

use rootspan_app::App;
use serde_json::{Value, json};

/// Protocol versions of the handshake era this server speaks, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// The MCP server over one application.
#[derive(Clone)]
pub struct McpServer {
    app: App,
}

fn error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

impl McpServer {
    pub fn new(app: App) -> McpServer {
        McpServer { app }
    }

    /// Answers one line of a newline-delimited transport: a JSON-RPC message, or a parse error.
    /// `None` when nothing is to be sent back (a notification).
    pub fn handle_text(&self, text: &str) -> Option<Value> {
        match serde_json::from_str::<Value>(text) {
            Ok(message) => self.handle(&message),
            Err(e) => Some(error(Value::Null, PARSE_ERROR, format!("not JSON: {e}"))),
        }
    }

    /// Answers one JSON-RPC message; `None` for notifications and responses.
    pub fn handle(&self, message: &Value) -> Option<Value> {
        let Some(object) = message.as_object() else {
            return Some(error(Value::Null, INVALID_REQUEST, "a JSON-RPC message is an object"));
        };
        let id = object.get("id").cloned();
        let Some(method) = object.get("method").and_then(Value::as_str) else {
            // A response to something we never sent, or garbage: nothing to answer unless it has an id.
            return id.map(|id| error(id, INVALID_REQUEST, "a request needs a method"));
        };
        let Some(id) = id else {
            // Notifications (notifications/initialized, notifications/cancelled, ...) need no answer.
            return None;
        };
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        Some(match method {
            "initialize" => {
                let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
                let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(PROTOCOL_VERSIONS[0]);
                result(
                    id,
                    json!({
                        "protocolVersion": version,
                        "capabilities": {"tools": {"listChanged": false}},
                        "serverInfo": {"name": "rootspan", "version": env!("CARGO_PKG_VERSION")},
                        "instructions": "Debug AI agent runs from their traces: search_traces finds runs, get_trace reads one progressively (summary, then spans page by page, then one span's payload with get_span), diagnose_trace names the failure mode and the first faulty span, analyze_trace gives the critical path and other analyses, diff_traces aligns a failed run with a good one, list_clusters groups failures, list_sessions and get_session follow conversations.",
                    }),
                )
            }
            "ping" => result(id, json!({})),
            "tools/list" => result(id, json!({"tools": tools::definitions()})),
            "tools/call" => {
                let Some(name) = params.get("name").and_then(Value::as_str) else {
                    return Some(error(id, INVALID_PARAMS, "tools/call needs params.name"));
                };
                let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
                match tools::call(&self.app, name, &arguments) {
                    Some(outcome) => result(id, outcome),
                    None => error(id, INVALID_PARAMS, format!("unknown tool {name:?}")),
                }
            }
            other => error(id, METHOD_NOT_FOUND, format!("method {other:?} is not supported")),
        })
    }
}
