//! The replay server over real HTTP: each wire format (OpenAI Chat Completions plain and
//! streamed, Responses, Anthropic Messages plain and streamed, the tool endpoint, MCP) answers
//! from a recording written with TraceWriter, and every call beyond or beside the recording
//! fails loudly with the step named.

use rootspan_replay::compare::Tolerance;
use rootspan_replay::{RecordedError, Recording, Replayer, TraceWriter};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const SYSTEM: &str = "You are a support agent.";
const QUESTION: &str = "Refund order A1003.";

/// A recording of one tool-loop run: model asks for get_order, tool answers, model answers.
fn recording(dir: &std::path::Path) -> Recording {
    let path = dir.join("r.jsonl");
    let mut writer = TraceWriter::create(&path, Some(QUESTION)).unwrap();
    let tools = json!([{"type": "function", "function": {"name": "get_order", "description": "Look up an order.", "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}]);
    let first = json!([{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]);
    writer
        .llm_call(
            "gpt-4o-mini",
            json!({"model": "gpt-4o-mini", "messages": first, "tools": tools}),
            Ok(json!({"message": {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "name": "get_order", "arguments": "{\"order_id\": \"A1003\"}"}]}, "finish_reason": "tool_calls", "usage": {"input_tokens": 50, "output_tokens": 9}})),
        )
        .unwrap();
    writer.tool_call("get_order", json!({"order_id": "A1003"}), Ok(json!({"status": "delivered"}))).unwrap();
    let second = json!([
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "name": "get_order", "arguments": "{\"order_id\": \"A1003\"}"}]},
        {"role": "tool", "content": "{\"status\": \"delivered\"}", "tool_call_id": "call_1"}
    ]);
    writer
        .llm_call(
            "gpt-4o-mini",
            json!({"model": "gpt-4o-mini", "messages": second, "tools": tools}),
            Ok(json!({"message": {"role": "assistant", "content": "Order A1003 was delivered, so I have refunded it."}, "finish_reason": "stop", "usage": {"input_tokens": 70, "output_tokens": 12}})),
        )
        .unwrap();
    writer.tool_call("search_docs", json!({"query": "refund policy"}), Ok(json!([]))).unwrap();
    writer
        .tool_call(
            "refund_order",
            json!({"order_id": "A1003"}),
            Err(RecordedError {
                message: "payments-api 503".into(),
                r#type: Some("HTTPError".into()),
                status: Some(503),
                timed_out: false,
            }),
        )
        .unwrap();
    writer.finish(None).unwrap();
    Recording::load(&path).unwrap()
}

struct Running {
    base: String,
    client: reqwest::blocking::Client,
    _runtime: tokio::runtime::Runtime,
}

impl Running {
    fn post(&self, path: &str, body: Value) -> (u16, Value, String) {
        let response = self.client.post(format!("{}{path}", self.base)).json(&body).send().unwrap();
        let status = response.status().as_u16();
        let retry =
            response.headers().get("x-should-retry").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = response.text().unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value, retry)
    }
}

fn start(recording: Recording) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let replayer = Arc::new(Mutex::new(Replayer::new(recording, Tolerance::default())));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, rootspan_replay::server::router(replayer)).await.unwrap() });
    Running { base, client: reqwest::blocking::Client::new(), _runtime: runtime }
}

fn chat_first() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
           "tools": [{"type": "function", "function": {"name": "get_order", "parameters": {}}}]})
}

fn chat_second(tool_result: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": "{\"order_id\":\"A1003\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": tool_result}],
        "tools": [{"type": "function", "function": {"name": "get_order", "parameters": {}}}]})
}

#[test]
fn chat_completions_replay_in_order_then_refuse_when_exhausted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    let (status, first, _) = server.post("/v1/chat/completions", chat_first());
    assert_eq!(status, 200, "{first}");
    let call = &first["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_order");
    assert_eq!(call["id"], "call_1", "the recorded id");
    assert_eq!(first["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(first["usage"]["prompt_tokens"], 50);
    let (status, second, _) = server.post("/v1/chat/completions", chat_second("{\"status\":\"delivered\"}"));
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["choices"][0]["message"]["content"], "Order A1003 was delivered, so I have refunded it.");
    let (status, refused, retry) = server.post("/v1/chat/completions", chat_first());
    assert_eq!(status, 410, "{refused}");
    assert_eq!(retry, "false", "SDKs must not retry a refusal");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("replay exhausted after step 3: this request is llm_call call 3"), "{message}");
    assert!(message.contains("only 2 llm_call steps (1, 3)"), "{message}");
    let summary: Value =
        server.client.get(format!("{}/v1/replay/summary", server.base)).send().unwrap().json().unwrap();
    assert_eq!(summary["complete"], false);
    assert_eq!(summary["failures"][0]["failure"], "exhausted");
}

#[test]
fn a_diverging_request_names_the_step_and_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    assert_eq!(server.post("/v1/chat/completions", chat_first()).0, 200);
    let (status, refused, _) = server.post("/v1/chat/completions", chat_second("{\"status\":\"lost\"}"));
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["step"], 3);
    assert_eq!(refused["error"]["kind"], "llm_call");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("replay diverged at step 3 (llm_call gpt-4o-mini): message 3 (tool) text"),
        "{message}"
    );
    assert!(message.contains("delivered") && message.contains("lost"), "{message}");
    let (status, refused, _) = server.post("/v1/chat/completions", json!({"model": "gpt-4o", "messages": []}));
    assert_eq!(status, 410, "the diverged step is spent; nothing is left: {refused}");
}

#[test]
fn streamed_chat_reassembles_to_the_recorded_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    let mut body = chat_first();
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let text =
        server.client.post(format!("{}/v1/chat/completions", server.base)).json(&body).send().unwrap().text().unwrap();
    let mut arguments = String::new();
    let mut name = String::new();
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    for line in text.lines().filter_map(|l| l.strip_prefix("data: ")).filter(|l| *l != "[DONE]") {
        let chunk: Value = serde_json::from_str(line).unwrap();
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if !chunk["usage"].is_null() {
            usage = chunk["usage"].clone();
        }
        let Some(choice) = chunk["choices"].get(0) else { continue };
        if let Some(call) = choice["delta"]["tool_calls"].get(0) {
            name.push_str(call["function"]["name"].as_str().unwrap_or(""));
            arguments.push_str(call["function"]["arguments"].as_str().unwrap_or(""));
        }
        if !choice["finish_reason"].is_null() {
            finish = choice["finish_reason"].clone();
        }
    }
    assert_eq!(name, "get_order");
    assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), json!({"order_id": "A1003"}));
    assert_eq!(finish, "tool_calls");
    assert_eq!(usage["completion_tokens"], 9);
}

#[test]
fn responses_and_anthropic_messages_replay_the_same_recording() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    let (status, response, _) = server.post(
        "/v1/responses",
        json!({"model": "gpt-4o-mini", "instructions": SYSTEM, "input": QUESTION, "tools": [{"type": "function", "name": "get_order"}]}),
    );
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["object"], "response");
    assert_eq!(response["output"][0]["type"], "function_call");
    assert_eq!(response["output"][0]["call_id"], "call_1");
    let (status, message, _) = server.post(
        "/v1/messages",
        json!({"model": "gpt-4o-mini", "system": SYSTEM, "max_tokens": 100, "tools": [{"name": "get_order", "input_schema": {}}],
               "messages": [{"role": "user", "content": QUESTION},
                            {"role": "assistant", "content": [{"type": "tool_use", "id": "call_1", "name": "get_order", "input": {"order_id": "A1003"}}]},
                            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "{\"status\": \"delivered\"}"}]}],
               "stream": true}),
    );
    assert_eq!(status, 200, "{message}");
    let text = message.as_str().unwrap();
    assert!(text.starts_with("event: message_start"), "{text}");
    let streamed: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(streamed, "Order A1003 was delivered, so I have refunded it.");
    assert!(text.contains("\"stop_reason\":\"end_turn\""), "{text}");
}

#[test]
fn tools_replay_results_empty_results_and_recorded_errors_over_http_and_mcp() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    let (status, result, _) = server.post("/v1/tools/get_order", json!({"order_id": "A1003"}));
    assert_eq!((status, result["result"]["status"].clone()), (200, json!("delivered")), "{result}");
    let list = server.post("/mcp", json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).1;
    let names: Vec<&str> =
        list["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["get_order", "refund_order", "search_docs"]);
    assert_eq!(list["result"]["tools"][0]["description"], "Look up an order.", "the recorded schema");
    let call = |name: &str, arguments: Value| {
        server.post("/mcp", json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}})).1
    };
    let empty = call("search_docs", json!({"query": "refund policy"}));
    assert_eq!(empty["result"]["content"][0]["text"], "[]", "an empty result is a result: {empty}");
    assert_eq!(empty["result"]["isError"], false);
    let (status, failed, _) = server.post("/v1/tools/refund_order", json!({"arguments": {"order_id": "A1003"}}));
    assert_eq!(status, 502, "the recorded failure: {failed}");
    assert_eq!(failed["recorded"], true);
    assert_eq!(failed["error"]["message"], "payments-api 503");
    let beyond = call("get_order", json!({"order_id": "A1003"}));
    let message = beyond["error"]["message"].as_str().unwrap();
    assert!(message.contains("exhausted") && message.contains("tool_call"), "{beyond}");
}

#[test]
fn tool_calls_of_one_turn_may_come_in_any_order_but_arguments_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parallel.jsonl");
    let mut writer = TraceWriter::create(&path, None).unwrap();
    writer.tool_call("get_order", json!({"order_id": "A1"}), Ok(json!("one"))).unwrap();
    writer.tool_call("get_order", json!({"order_id": "A2"}), Ok(json!("two"))).unwrap();
    writer.finish(None).unwrap();
    let mut replayer = Replayer::new(Recording::load(&path).unwrap(), Tolerance::default());
    assert_eq!(replayer.tool("get_order", &json!({"order_id": "A2"})).unwrap().step, 2);
    let wrong = replayer.tool("get_order", &json!({"order_id": "A3"})).unwrap_err();
    assert!(wrong.message.starts_with("replay diverged at step 1 (tool_call get_order)"), "{}", wrong.message);
    assert!(wrong.message.contains("A3"), "{}", wrong.message);
}

#[test]
fn streamed_responses_emit_the_event_sequence_the_sdks_assemble() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(recording(dir.path()));
    let body = json!({"model": "gpt-4o-mini", "instructions": SYSTEM, "input": QUESTION, "stream": true,
                      "tools": [{"type": "function", "name": "get_order"}]});
    let text = server.client.post(format!("{}/v1/responses", server.base)).json(&body).send().unwrap().text().unwrap();
    let events: Vec<Value> =
        text.lines().filter_map(|l| l.strip_prefix("data: ")).map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"response.created"));
    assert_eq!(kinds.last(), Some(&"response.completed"));
    assert!(kinds.contains(&"response.function_call_arguments.done"), "{kinds:?}");
    let sequence: Vec<u64> = events.iter().map(|e| e["sequence_number"].as_u64().unwrap()).collect();
    assert!(sequence.windows(2).all(|w| w[1] == w[0] + 1), "{sequence:?}");
    let arguments: String = events
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), json!({"order_id": "A1003"}));
    assert_eq!(events.last().unwrap()["response"]["output"][0]["name"], "get_order");
}
