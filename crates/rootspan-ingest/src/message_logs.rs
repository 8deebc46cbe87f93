//! Message-log datasets as traces: Who&When (Algorithm-Generated and Hand-Crafted logs) and AgentRx
//! (Magentic-One message lists and τ-bench trajectories).
//!
//! Every message becomes one step span under a root `workflow` span. A step span carries its
//! speaker in `gen_ai.agent.name` (the role with its parenthesised suffix removed for
//! Magentic-One, e.g. `Orchestrator (-> WebSurfer)` -> `Orchestrator`), the raw speaker in
//! `rootspan.message.role`, the text in `output.value`, and its index in the dataset's own step
//! numbering in `rootspan.step` (Who&When: 0-based, AgentRx: 1-based). Spans are one second apart in
//! message order, so span order is message order. τ-bench assistant messages with tool calls are
//! LLM spans; tool messages are tool spans. Trace ids derive from the file name (Who&When,
//! Magentic-One) or the task id (τ-bench), so re-importing is idempotent.

use crate::error::IngestError;
use crate::import::{FileFormat, Imported};
use rootspan_model::ids::{span_id_from_text, trace_id_from_text};
use rootspan_model::{AnyValue, KeyValue, Span, StatusCode, conventions};
use serde_json::Value;
use std::path::Path;

/// Attribute holding the dataset's step index of a message.
pub const STEP_ATTRIBUTE: &str = "rootspan.step";
/// Attribute holding the raw speaker/role of a message.
pub const ROLE_ATTRIBUTE: &str = "rootspan.message.role";

const SECOND: u64 = 1_000_000_000;
/// An arbitrary fixed epoch so imported traces have stable timestamps (2025-01-01T00:00:00Z).
const EPOCH: u64 = 1_735_689_600 * SECOND;

/// Imports a message-log file detected as `format` (the dispatch used by `import_file`).
pub fn import_message_log(
    path: &Path,
    bytes: &[u8],
    format: FileFormat,
    project_hint: Option<&str>,
) -> Result<Imported, IngestError> {
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("log");
    let result = match format {
        FileFormat::WhoAndWhen => import_who_and_when(bytes, name),
        FileFormat::AgentRx => {
            let value: Value = parse(bytes)?;
            if value.is_array() && value.get(0).is_some_and(|m| m.get("traj").is_some()) || value.get("traj").is_some()
            {
                import_tau(bytes, name)
            } else {
                import_agentrx_magentic(bytes, name)
            }
        }
        other => Err(format!("{other:?} is not a message-log format")),
    };
    let mut spans = result.map_err(|message| IngestError::malformed(format!("{}: {message}", path.display())))?;
    if let Some(project) = project_hint {
        for span in &mut spans {
            span.project = project.to_owned();
        }
    }
    Ok(Imported { spans, logs: Vec::new(), format, rejected: 0, messages: Vec::new() })
}

fn parse(bytes: &[u8]) -> Result<Value, IngestError> {
    serde_json::from_slice(bytes).map_err(|e| IngestError::malformed(format!("not JSON: {e}")))
}

/// Whether a JSON document looks like a Who&When log (`history` + `mistake_step`/`question`).
pub fn looks_like_who_and_when(value: &Value) -> bool {
    value.get("history").is_some_and(Value::is_array)
        && (value.get("question").is_some() || value.get("mistake_step").is_some())
}

/// Whether a JSON document looks like an AgentRx log: a bare list of `{content, role}` messages, or
/// τ-bench runs (`traj`).
pub fn looks_like_agentrx(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.first().is_some_and(|first| {
            first.get("traj").is_some()
                || (first.get("content").is_some()
                    && first.get("role").is_some()
                    && first.as_object().is_some_and(|o| o.len() <= 3))
        }),
        Value::Object(map) => map.contains_key("traj"),
        _ => false,
    }
}

/// The agent behind a Magentic-One role: `Orchestrator (-> WebSurfer)` -> `Orchestrator`.
pub fn agent_of_role(role: &str) -> String {
    role.split(" (").next().unwrap_or(role).trim().to_owned()
}

struct Builder {
    trace_name: String,
    trace_id: [u8; 16],
    root: Span,
    spans: Vec<Span>,
}

impl Builder {
    fn new(trace_name: &str, root_name: &str, request: Option<&str>) -> Builder {
        let trace_id = trace_id_from_text(trace_name);
        let mut root = Span::new(trace_id, span_id_from_text(&format!("{trace_name}/root")), root_name);
        root.start_time_unix_nano = EPOCH;
        root.attributes.push(KeyValue::new("openinference.span.kind", AnyValue::from("CHAIN")));
        if let Some(request) = request {
            root.attributes.push(KeyValue::new("input.value", AnyValue::from(request)));
        }
        Builder { trace_name: trace_name.to_owned(), trace_id, root, spans: Vec::new() }
    }

    fn step(&mut self, step: i64, role: &str, agent: &str, content: &str) -> &mut Span {
        let position = self.spans.len() as u64;
        let mut span = Span::new(
            self.trace_id,
            span_id_from_text(&format!("{}/{position}", self.trace_name)),
            format!("{agent} step {step}"),
        );
        span.parent_span_id = Some(self.root.span_id);
        span.start_time_unix_nano = EPOCH + (position + 1) * SECOND;
        span.end_time_unix_nano = span.start_time_unix_nano + SECOND;
        span.attributes.push(KeyValue::new("gen_ai.agent.name", AnyValue::from(agent)));
        span.attributes.push(KeyValue::new(ROLE_ATTRIBUTE, AnyValue::from(role)));
        span.attributes.push(KeyValue::new(STEP_ATTRIBUTE, AnyValue::Int(step)));
        span.attributes.push(KeyValue::new("output.value", AnyValue::from(content)));
        self.spans.push(span);
        self.spans.last_mut().unwrap_or_else(|| unreachable!())
    }

    fn finish(mut self) -> Vec<Span> {
        let steps = self.spans.len() as u64;
        self.root.end_time_unix_nano = EPOCH + (steps + 2) * SECOND;
        let mut out = Vec::with_capacity(self.spans.len() + 1);
        out.push(self.root);
        out.extend(self.spans);
        for span in &mut out {
            conventions::normalize(span);
        }
        out
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Imports one Who&When log. Step numbering is 0-based (the index into `history`).
pub fn import_who_and_when(bytes: &[u8], name: &str) -> Result<Vec<Span>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let history = value.get("history").and_then(Value::as_array).ok_or("no `history` array")?;
    let question = value.get("question").and_then(Value::as_str);
    let mut builder = Builder::new(name, "who&when run", question);
    for (index, message) in history.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("unknown");
        // Algorithm-Generated logs name the speaker in `name`; Hand-Crafted ones in `role`.
        let speaker = message.get("name").and_then(Value::as_str).unwrap_or(role);
        let agent = agent_of_role(speaker);
        let content = text_of(message.get("content"));
        builder.step(index as i64, speaker, &agent, &content);
    }
    Ok(builder.finish())
}

/// Imports one AgentRx Magentic-One log (a bare list of `{content, role}`). Steps are 1-based.
pub fn import_agentrx_magentic(bytes: &[u8], name: &str) -> Result<Vec<Span>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let messages = value.as_array().ok_or("expected a list of messages")?;
    let question = messages.first().map(|m| text_of(m.get("content")));
    let mut builder = Builder::new(name, "magentic-one run", question.as_deref());
    for (index, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("unknown");
        let content = text_of(message.get("content"));
        builder.step(index as i64 + 1, role, &agent_of_role(role), &content);
    }
    Ok(builder.finish())
}

/// Imports AgentRx τ-bench runs (a list of `{task_id, traj, ...}` or one such object). Each run is
/// its own trace named `tau-<task_id>`; steps are 1-based positions in `traj` (`traj[0]`, the
/// system prompt, is step 1).
pub fn import_tau(bytes: &[u8], name: &str) -> Result<Vec<Span>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let runs: Vec<&Value> = match &value {
        Value::Array(items) => items.iter().collect(),
        object => vec![object],
    };
    let mut out = Vec::new();
    for (position, run) in runs.iter().enumerate() {
        let traj = run.get("traj").and_then(Value::as_array).ok_or("a run without `traj`")?;
        let task = match run.get("task_id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => format!("{name}-{position}"),
        };
        let trace_name = format!("tau-{task}");
        let instruction = run.pointer("/info/task/instruction").and_then(Value::as_str);
        let mut builder = Builder::new(&trace_name, "tau-bench run", instruction);
        builder.root.attributes.push(KeyValue::new("rootspan.task_id", AnyValue::from(task.as_str())));
        if let Some(reward) = run.get("reward").and_then(Value::as_f64) {
            builder.root.attributes.push(KeyValue::new("rootspan.reward", AnyValue::Double(reward)));
            if reward < 1.0 {
                builder.root.status.code = StatusCode::Unset;
            }
        }
        for (index, message) in traj.iter().enumerate() {
            let role = message.get("role").and_then(Value::as_str).unwrap_or("unknown");
            let content = text_of(message.get("content"));
            let agent = match role {
                "assistant" => "Assistant",
                "user" => "User",
                "tool" => "Tool",
                _ => "System",
            };
            let span = builder.step(index as i64 + 1, role, agent, &content);
            match role {
                "assistant" => {
                    span.attributes.push(KeyValue::new("openinference.span.kind", AnyValue::from("LLM")));
                    span.attributes
                        .push(KeyValue::new("llm.output_messages.0.message.role", AnyValue::from("assistant")));
                    span.attributes
                        .push(KeyValue::new("llm.output_messages.0.message.content", AnyValue::from(content.as_str())));
                    for (call_index, call) in
                        message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate()
                    {
                        let prefix = format!("llm.output_messages.0.message.tool_calls.{call_index}.tool_call");
                        let function = call.get("function").unwrap_or(call);
                        span.attributes.push(KeyValue::new(
                            format!("{prefix}.function.name"),
                            AnyValue::from(text_of(function.get("name"))),
                        ));
                        span.attributes.push(KeyValue::new(
                            format!("{prefix}.function.arguments"),
                            AnyValue::from(text_of(function.get("arguments"))),
                        ));
                        span.attributes
                            .push(KeyValue::new(format!("{prefix}.id"), AnyValue::from(text_of(call.get("id")))));
                    }
                }
                "tool" => {
                    span.attributes.push(KeyValue::new("openinference.span.kind", AnyValue::from("TOOL")));
                    span.attributes.push(KeyValue::new("tool.name", AnyValue::from(text_of(message.get("name")))));
                    span.attributes
                        .push(KeyValue::new("tool_call.id", AnyValue::from(text_of(message.get("tool_call_id")))));
                }
                _ => {}
            }
        }
        out.extend(builder.finish());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_and_when_steps_are_zero_based() {
        let log = br#"{"question":"q","history":[{"content":"task","role":"assistant","name":"A_Expert"},{"content":"ok","role":"user","name":"B_Expert"}],"mistake_step":"1"}"#;
        let spans = import_who_and_when(log, "7").unwrap();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[1].attr(STEP_ATTRIBUTE).and_then(AnyValue::as_i64), Some(0));
        assert_eq!(spans[2].gen_ai.agent_name.as_deref(), Some("B_Expert"));
    }

    #[test]
    fn magentic_roles_map_to_agents_and_steps_are_one_based() {
        let log = br#"[{"content":"q","role":"human"},{"content":"plan","role":"Orchestrator (-> WebSurfer)"}]"#;
        let spans = import_agentrx_magentic(log, "abc").unwrap();
        assert_eq!(spans[1].attr(STEP_ATTRIBUTE).and_then(AnyValue::as_i64), Some(1));
        assert_eq!(spans[2].gen_ai.agent_name.as_deref(), Some("Orchestrator"));
        assert_eq!(spans[2].attr_str(ROLE_ATTRIBUTE), Some("Orchestrator (-> WebSurfer)"));
    }

    #[test]
    fn tau_runs_become_traces_with_tool_spans() {
        let log = br#"[{"task_id":3,"reward":0.0,"traj":[{"role":"system","content":"policy"},{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"find","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","name":"find","content":"[]"}]}]"#;
        let spans = import_tau(log, "tau").unwrap();
        assert_eq!(spans.len(), 5);
        assert_eq!(spans[3].gen_ai.kind, rootspan_model::SpanKind::Llm);
        assert_eq!(spans[4].gen_ai.kind, rootspan_model::SpanKind::Tool);
        assert_eq!(spans[4].attr(STEP_ATTRIBUTE).and_then(AnyValue::as_i64), Some(4));
    }
}
