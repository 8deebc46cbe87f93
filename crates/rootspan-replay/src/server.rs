//! The replay server that an unchanged agent talks to instead of the live services, by changing
//! a base URL: OpenAI-compatible (`/v1/chat/completions`, `/v1/responses`, `/v1/models`),
//! Anthropic-compatible (`/v1/messages`), a generic tool endpoint (`/v1/tools/{name}`), the other
//! recorded kinds (`/v1/replay/{kind}`), MCP over HTTP (`/mcp`) and the summary
//! (`/v1/replay/summary`).
//!
//! A call the recording cannot answer gets an error whose `error.message` names the step: 422
//! when the request diverged, 410 when the recording is exhausted, 424 when the step was recorded
//! without its content. These answers carry `x-should-retry: false`, so SDKs do not retry them,
//! and nothing is ever forwarded to a live service.

use crate::anthropic;
use crate::compare::LlmRequest;
use crate::mcp;
use crate::openai::{Answer, parse_chat, parse_responses};
use crate::recording::{Event, EventKind};
use crate::replayer::{FailureKind, ReplayFailure, Replayer};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The replay state shared by every request.
pub type Shared = Arc<Mutex<Replayer>>;

/// The router of the replay server.
pub fn router(replayer: Shared) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/responses", post(responses))
        .route("/v1/messages", post(messages))
        .route("/v1/models", get(models))
        .route("/v1/tools/{name}", post(tool))
        .route("/v1/replay/summary", get(summary))
        .route("/v1/replay/{kind}", post(generic))
        .route("/mcp", post(mcp_http))
        .route("/health", get(|| async { "ok" }))
        .fallback(unknown)
        .with_state(replayer)
}

fn no_retry(mut response: Response) -> Response {
    response.headers_mut().insert("x-should-retry", HeaderValue::from_static("false"));
    response
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The answer to a call replay refused.
pub fn failure_response(failure: &ReplayFailure) -> Response {
    let (status, code) = match failure.failure {
        FailureKind::Diverged => (StatusCode::UNPROCESSABLE_ENTITY, "replay_diverged"),
        FailureKind::Exhausted => (StatusCode::GONE, "replay_exhausted"),
        FailureKind::NotCaptured => (StatusCode::FAILED_DEPENDENCY, "replay_not_captured"),
    };
    no_retry(json_response(
        status,
        json!({
            "type": "error",
            "error": {
                "message": failure.message,
                "type": code,
                "code": code,
                "param": null,
                "step": failure.step,
                "kind": failure.kind,
                "difference": failure.difference,
            },
        }),
    ))
}

fn bad_request(message: String) -> Response {
    no_retry(json_response(
        StatusCode::BAD_REQUEST,
        json!({"type": "error", "error": {"message": message, "type": "invalid_request_error", "code": null}}),
    ))
}

/// A recorded failure of the callee, replayed as the same failure.
fn recorded_failure(event: &Event) -> Option<Response> {
    let error = event.error.as_ref()?;
    let status = error
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|s| s.as_u16() >= 400)
        .unwrap_or(if error.timed_out { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::INTERNAL_SERVER_ERROR });
    Some(no_retry(json_response(
        status,
        json!({
            "type": "error",
            "error": {
                "message": error.message,
                "type": error.r#type.clone().unwrap_or_else(|| "api_error".into()),
                "code": null,
                "recorded_step": event.step,
            },
        }),
    )))
}

#[allow(clippy::result_large_err)]
fn parse_body(body: &Bytes) -> Result<Value, Response> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("the request body is not JSON: {e}")))
}

#[allow(clippy::result_large_err)]
fn replay_llm(state: &Shared, request: &LlmRequest) -> Result<Event, Response> {
    let mut replayer = state.lock().unwrap_or_else(|p| p.into_inner());
    replayer.llm(request).map_err(|failure| failure_response(&failure))
}

fn sse(frames: Vec<(Option<String>, Value)>, done: bool) -> Response {
    let mut body = String::new();
    for (event, data) in frames {
        if let Some(event) = event {
            body.push_str(&format!("event: {event}\n"));
        }
        body.push_str(&format!("data: {data}\n\n"));
    }
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], body)
        .into_response()
}

async fn chat_completions(State(state): State<Shared>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = parse_chat(&body);
    let event = match replay_llm(&state, &request) {
        Ok(event) => event,
        Err(response) => return response,
    };
    if let Some(response) = recorded_failure(&event) {
        return response;
    }
    let answer = Answer::of(&event, "chatcmpl-replay-");
    if request.stream {
        let include_usage = body["stream_options"]["include_usage"].as_bool().unwrap_or(false);
        return sse(answer.chat_chunks(include_usage).into_iter().map(|c| (None, c)).collect(), true);
    }
    json_response(StatusCode::OK, answer.chat_completion())
}

async fn responses(State(state): State<Shared>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = parse_responses(&body);
    let event = match replay_llm(&state, &request) {
        Ok(event) => event,
        Err(response) => return response,
    };
    if let Some(response) = recorded_failure(&event) {
        return response;
    }
    let answer = Answer::of(&event, "resp_replay_");
    if request.stream {
        let frames = answer
            .response_events()
            .into_iter()
            .map(|event| (event["type"].as_str().map(str::to_owned), event))
            .collect();
        return sse(frames, false);
    }
    json_response(StatusCode::OK, answer.response_object())
}

async fn messages(State(state): State<Shared>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = anthropic::parse_messages(&body);
    let event = match replay_llm(&state, &request) {
        Ok(event) => event,
        Err(response) => return response,
    };
    if let Some(response) = recorded_failure(&event) {
        return response;
    }
    let answer = Answer::of(&event, "msg_replay_");
    if request.stream {
        return sse(
            anthropic::stream_events(&answer).into_iter().map(|(e, d)| (Some(e.to_owned()), d)).collect(),
            false,
        );
    }
    json_response(StatusCode::OK, anthropic::message_object(&answer))
}

async fn models(State(state): State<Shared>) -> Response {
    let replayer = state.lock().unwrap_or_else(|p| p.into_inner());
    let mut names: Vec<String> =
        replayer.recording().events.iter().filter(|e| e.kind == EventKind::LlmCall).map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    let data: Vec<Value> = names
        .iter()
        .map(|name| json!({"id": name, "object": "model", "created": 0, "owned_by": "recording"}))
        .collect();
    json_response(StatusCode::OK, json!({"object": "list", "data": data}))
}

/// The body of the generic tool endpoint: `{"arguments": ...}`, or the arguments themselves.
fn tool_arguments(body: Value) -> Value {
    match body {
        Value::Object(mut map) if map.len() == 1 && map.contains_key("arguments") => {
            map.remove("arguments").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// The answer of a replayed tool call: 200 with the recorded result, or the recorded failure
/// (502, or 504 for a timeout) with `recorded: true`.
pub fn tool_answer(event: &Event) -> (StatusCode, Value) {
    if let Some(error) = &event.error {
        let status = if error.timed_out { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
        return (
            status,
            json!({"step": event.step, "name": event.name, "recorded": true,
                   "error": {"message": error.message, "type": error.r#type, "timed_out": error.timed_out}}),
        );
    }
    let result = event.response.as_ref().map(|r| r.get("result").cloned().unwrap_or_else(|| r.clone()));
    (StatusCode::OK, json!({"step": event.step, "name": event.name, "result": result}))
}

async fn tool(State(state): State<Shared>, Path(name): Path<String>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let arguments = tool_arguments(body);
    let outcome = state.lock().unwrap_or_else(|p| p.into_inner()).tool(&name, &arguments);
    match outcome {
        Ok(event) => {
            let (status, body) = tool_answer(&event);
            no_retry(json_response(status, body))
        }
        Err(failure) => failure_response(&failure),
    }
}

async fn generic(State(state): State<Shared>, Path(kind): Path<String>, body: Bytes) -> Response {
    let Ok(kind) = serde_json::from_value::<EventKind>(Value::String(kind.clone())) else {
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        return bad_request(format!("unknown event kind {kind:?}; one of {kinds:?}"));
    };
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let outcome = {
        let mut replayer = state.lock().unwrap_or_else(|p| p.into_inner());
        match kind {
            EventKind::LlmCall => {
                return bad_request("LLM calls replay at /v1/chat/completions, /v1/responses or /v1/messages".into());
            }
            EventKind::ToolCall => {
                let name = body["name"].as_str().unwrap_or("").to_owned();
                replayer.tool(&name, &body["arguments"])
            }
            other => replayer.generic(other, &body),
        }
    };
    match outcome {
        Ok(event) => {
            let (status, mut answer) = tool_answer(&event);
            if kind != EventKind::ToolCall && status == StatusCode::OK {
                answer = json!({"step": event.step, "name": event.name, "response": event.response});
            }
            no_retry(json_response(status, answer))
        }
        Err(failure) => failure_response(&failure),
    }
}

async fn summary(State(state): State<Shared>) -> Response {
    let summary = state.lock().unwrap_or_else(|p| p.into_inner()).summary();
    json_response(StatusCode::OK, serde_json::to_value(summary).unwrap_or(Value::Null))
}

async fn mcp_http(State(state): State<Shared>, body: Bytes) -> Response {
    let message = match parse_body(&body) {
        Ok(message) => message,
        Err(response) => return response,
    };
    let answer = {
        let mut replayer = state.lock().unwrap_or_else(|p| p.into_inner());
        mcp::handle(&mut replayer, &message)
    };
    match answer {
        Some(answer) => json_response(StatusCode::OK, answer),
        None => StatusCode::ACCEPTED.into_response(),
    }
}

async fn unknown(uri: axum::http::Uri) -> Response {
    no_retry(json_response(
        StatusCode::NOT_FOUND,
        json!({"type": "error", "error": {"message": format!("the replay server does not serve {}; it replays /v1/chat/completions, /v1/responses, /v1/messages, /v1/tools/NAME, /v1/replay/KIND and /mcp", uri.path()), "type": "not_found", "code": null}}),
    ))
}
