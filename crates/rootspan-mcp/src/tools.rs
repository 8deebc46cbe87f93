//! The tools: each parses its arguments, calls one use case, and answers JSON text. Errors of the
//! use case are tool errors (`isError: true` with the message), not protocol errors.

use rootspan_app::{App, AppError};
use rootspan_store::TraceFilter;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Characters of a span payload answered at once; the answer names the offset of the rest.
const PAYLOAD_BUDGET: usize = 8_000;
/// Spans in the first page of `get_trace`.
const FIRST_PAGE: usize = 200;

fn schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

/// The tool definitions of `tools/list`.
pub fn definitions() -> Vec<Value> {
    let trace_id = json!({"type": "string", "description": "32 hex digits, or a unique prefix of at least 4"});
    vec![
        json!({
            "name": "search_traces",
            "description": "List traces newest first, with filters and full-text search over prompts, outputs, tool arguments/results and errors. Each item has counts, tokens, cost, status, failure signature ids, the diagnosed failure_mode, and silent_failure (a failure was diagnosed although no span reported an error).",
            "inputSchema": schema(json!({
                "query": {"type": "string", "description": "words that must all appear"},
                "status": {"type": "string", "enum": ["error", "ok"]},
                "service": {"type": "string"}, "model": {"type": "string"}, "tool": {"type": "string"},
                "session": {"type": "string"}, "project": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}
            }), &[]),
        }),
        json!({
            "name": "get_trace",
            "description": "Read one trace progressively: its summary counts and diagnosis headline, then one page of spans (ids, parents, names, kinds, times, status, model, tool, tokens; no payloads). Pass next_cursor to read the next page, and use get_span for one span's payload.",
            "inputSchema": schema(json!({
                "trace_id": trace_id,
                "cursor": {"type": "string", "description": "next_cursor of the previous page"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": FIRST_PAGE}
            }), &["trace_id"]),
        }),
        json!({
            "name": "get_span",
            "description": "One span of a trace with its whole payload: attributes, events, messages as a conversation, tool arguments and results, log records. Long payloads are cut; the answer gives next_offset to read the rest.",
            "inputSchema": schema(json!({
                "trace_id": trace_id,
                "span_id": {"type": "string", "description": "16 hex digits"},
                "offset": {"type": "integer", "minimum": 0, "default": 0}
            }), &["trace_id", "span_id"]),
        }),
        json!({
            "name": "diagnose_trace",
            "description": "Did the run fail, in which failure mode, where did it start (the first faulty span), why (evidence), and how did it propagate (causal chain, blame).",
            "inputSchema": schema(json!({
                "trace_id": trace_id,
                "expected_answer": {"type": "string", "description": "the answer the run should have given"}
            }), &["trace_id"]),
        }),
        json!({
            "name": "analyze_trace",
            "description": "The seed analyses of a trace: critical path from the root with self times, slowest spans, tool dependency graph with failure paths, context drift, state validation, confidence calibration, retrieval audit, rollback points.",
            "inputSchema": schema(json!({"trace_id": trace_id}), &["trace_id"]),
        }),
        json!({
            "name": "diff_traces",
            "description": "Align two runs step by step and mark the first divergence. Without b, compares with the most similar successful run of the same workflow.",
            "inputSchema": schema(json!({
                "a": {"type": "string", "description": "the failed (or first) trace"},
                "b": {"type": "string", "description": "the good (or second) trace; omit to pick one"}
            }), &["a"]),
        }),
        json!({
            "name": "list_clusters",
            "description": "Failing traces grouped by failure signature, largest first: count, first and last seen, services, models, a representative trace.",
            "inputSchema": schema(json!({"project": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "default": 20}}), &[]),
        }),
        json!({
            "name": "list_sessions",
            "description": "Sessions (traces sharing a session or conversation id), most recently active first, with failed traces and recurring signatures.",
            "inputSchema": schema(json!({"project": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "default": 20}}), &[]),
        }),
        json!({
            "name": "get_session",
            "description": "One session's traces in order, and whether each failure is a one-off or recurs.",
            "inputSchema": schema(json!({"session_id": {"type": "string"}, "project": {"type": "string"}}), &["session_id"]),
        }),
    ]
}

fn text_result(value: &Value, is_error: bool) -> Value {
    let text = if let Some(text) = value.as_str() { text.to_owned() } else { value.to_string() };
    json!({"content": [{"type": "text", "text": text}], "isError": is_error})
}

fn tool_error(message: impl Into<String>) -> Value {
    text_result(&Value::String(message.into()), true)
}

fn arguments<T: DeserializeOwned>(value: &Value) -> Result<T, Value> {
    serde_json::from_value(value.clone()).map_err(|e| tool_error(format!("invalid arguments: {e}")))
}

fn answer<T: serde::Serialize>(result: Result<T, AppError>) -> Value {
    match result {
        Ok(value) => match serde_json::to_value(value) {
            Ok(value) => text_result(&value, false),
            Err(e) => tool_error(format!("internal error: {e}")),
        },
        Err(error) => tool_error(error.public_message().to_owned()),
    }
}

#[derive(Deserialize)]
struct SearchArgs {
    query: Option<String>,
    status: Option<String>,
    service: Option<String>,
    model: Option<String>,
    tool: Option<String>,
    session: Option<String>,
    project: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct TraceArgs {
    trace_id: String,
    cursor: Option<String>,
    limit: Option<usize>,
    expected_answer: Option<String>,
}

#[derive(Deserialize)]
struct SpanArgs {
    trace_id: String,
    span_id: String,
    #[serde(default)]
    offset: usize,
}

#[derive(Deserialize)]
struct DiffArgs {
    a: String,
    b: Option<String>,
}

#[derive(Deserialize)]
struct ListArgs {
    project: Option<String>,
    limit: Option<usize>,
    session_id: Option<String>,
}

/// Cuts `text` to `budget` characters from `offset`; the slice and the offset of the rest.
fn window(text: &str, offset: usize, budget: usize) -> (String, Option<usize>) {
    let total = text.chars().count();
    let slice: String = text.chars().skip(offset).take(budget).collect();
    let next = (offset + budget < total).then_some(offset + budget);
    (slice, next)
}

/// Runs a tool; `None` when there is no tool of that name.
pub fn call(app: &App, name: &str, raw: &Value) -> Option<Value> {
    Some(match name {
        "search_traces" => match arguments::<SearchArgs>(raw) {
            Err(e) => e,
            Ok(args) => {
                let has_error = match args.status.as_deref() {
                    None => None,
                    Some("error") => Some(true),
                    Some("ok") => Some(false),
                    Some(other) => return Some(tool_error(format!("status must be error or ok, got {other:?}"))),
                };
                let filter = TraceFilter {
                    project: args.project,
                    service: args.service,
                    has_error,
                    model: args.model,
                    tool: args.tool,
                    session_id: args.session,
                    text: args.query.filter(|q| !q.trim().is_empty()),
                    limit: Some(args.limit.unwrap_or(20).clamp(1, 1000)),
                    ..TraceFilter::default()
                };
                answer(app.list_traces(&filter))
            }
        },
        "get_trace" => match arguments::<TraceArgs>(raw) {
            Err(e) => e,
            Ok(args) => {
                let page =
                    match app.span_page(&args.trace_id, args.cursor.as_deref(), Some(args.limit.unwrap_or(FIRST_PAGE)))
                    {
                        Ok(page) => page,
                        Err(error) => return Some(tool_error(error.public_message().to_owned())),
                    };
                if args.cursor.is_some() {
                    answer(Ok::<_, AppError>(page))
                } else {
                    // The page resolved the id (or prefix) once; the rest uses the full id.
                    let summary = app.resolve_trace(&page.trace_id).map(|id| app.store().trace_summary(&id));
                    let diagnosis = app.diagnose(&page.trace_id, &Default::default());
                    let headline = diagnosis.as_ref().ok().map(|d| {
                        json!({"failure_mode": d.failure_mode, "root_cause": d.root_cause, "findings": d.findings.len()})
                    });
                    answer(Ok::<_, AppError>(json!({
                        "trace_id": page.trace_id,
                        "summary": summary.ok().and_then(Result::ok).flatten(),
                        "diagnosis": headline,
                        "spans": page.spans,
                        "next_cursor": page.next_cursor,
                    })))
                }
            }
        },
        "get_span" => match arguments::<SpanArgs>(raw) {
            Err(e) => e,
            Ok(args) => match app.span_payload(&args.trace_id, &args.span_id) {
                Err(error) => tool_error(error.public_message().to_owned()),
                Ok(payload) => {
                    let full = serde_json::to_string_pretty(&payload).unwrap_or_default();
                    let (text, next) = window(&full, args.offset, PAYLOAD_BUDGET);
                    let note = match next {
                        Some(next) => format!(
                            "\n\n[cut at {PAYLOAD_BUDGET} characters: call get_span again with offset {next} for the rest]"
                        ),
                        None => String::new(),
                    };
                    text_result(&Value::String(format!("{text}{note}")), false)
                }
            },
        },
        "diagnose_trace" => match arguments::<TraceArgs>(raw) {
            Err(e) => e,
            Ok(args) => {
                let options =
                    rootspan_analysis::DiagnoseOptions { expected_answer: args.expected_answer, ..Default::default() };
                answer(app.diagnose(&args.trace_id, &options))
            }
        },
        "analyze_trace" => match arguments::<TraceArgs>(raw) {
            Err(e) => e,
            Ok(args) => answer(app.analyze(&args.trace_id, &Default::default())),
        },
        "diff_traces" => match arguments::<DiffArgs>(raw) {
            Err(e) => e,
            Ok(args) => match &args.b {
                Some(b) => answer(app.diff(&args.a, b)),
                None => answer(app.diff_with_good_run(&args.a)),
            },
        },
        "list_clusters" => match arguments::<ListArgs>(raw) {
            Err(e) => e,
            Ok(args) => answer(app.clusters(args.project.as_deref()).map(|mut clusters| {
                clusters.truncate(args.limit.unwrap_or(20).max(1));
                clusters
            })),
        },
        "list_sessions" => match arguments::<ListArgs>(raw) {
            Err(e) => e,
            Ok(args) => answer(app.sessions(args.project.as_deref(), None, args.limit.unwrap_or(20).max(1))),
        },
        "get_session" => match arguments::<ListArgs>(raw) {
            Err(e) => e,
            Ok(args) => match args.session_id {
                None => tool_error("invalid arguments: missing field `session_id`"),
                Some(session) => answer(app.session(&session, args.project.as_deref())),
            },
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_cut_on_characters() {
        assert_eq!(super::window("héllo", 1, 3), ("éll".to_owned(), Some(4)));
        assert_eq!(super::window("héllo", 4, 3), ("o".to_owned(), None));
    }
}
