//! A detector-friendly view of one trace: the spans in canonical order with the text each step
//! consumed and produced, tool calls with their arguments, results and errors, the user request
//! and the final answer. Built once per diagnosis in O(n).

use crate::text;
use rootspan_model::{SpanKind, SpanTree, StatusCode, span_id_hex};
use std::collections::HashMap;

/// One model call or tool call (or a message-log step) as the detectors see it.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// Index of the span in `SpanTree::spans` (canonical order).
    pub span: usize,
    pub kind: SpanKind,
    /// Tool name (tool steps) or the tool names the model called (LLM steps, comma separated).
    pub tool_name: Option<String>,
    /// Tool arguments as JSON text (tool steps), or the first tool call's arguments (LLM steps).
    pub arguments: Option<String>,
    /// Tool arguments re-serialised with sorted keys (tool steps), for comparing calls.
    pub canonical_arguments: Option<String>,
    /// Every tool call the model emitted: (name, arguments).
    pub tool_calls: Vec<(String, String)>,
    /// What the step produced: the tool result or the model's text.
    pub output: String,
    /// Tool steps: whether a result was recorded at all (on the span, or as the tool message
    /// answering the call in a later model input), so that an empty `output` means "returned
    /// nothing" rather than "not captured".
    pub result_recorded: bool,
    /// The error text when the step failed by its own account.
    pub error: Option<String>,
    pub agent: Option<String>,
    pub finish_reasons: Vec<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub model: Option<String>,
    /// LLM steps: the answer the model returned through a final-answer tool call (the call stays
    /// in `tool_calls`).
    pub answer: Option<String>,
}

/// The whole trace, prepared for detectors.
#[derive(Debug)]
pub struct TraceView<'a> {
    pub tree: &'a SpanTree,
    /// Steps (LLM, tool, retrieval and agent-message spans) in canonical order.
    pub steps: Vec<Step>,
    /// Step index per span (`None` for spans that are not steps).
    pub step_of_span: Vec<Option<usize>>,
    /// The first user request.
    pub user_request: String,
    /// The system instructions, when recorded.
    pub system: String,
    /// The final answer: the last model text without tool calls. A final answer returned through
    /// a tool (smolagents `final_answer`, pydantic-ai `final_result`, or any tool whose result is
    /// exactly what its agent returned) counts as that model call's text.
    pub final_answer: Option<(usize, String)>,
    /// Distinct agent names in order of first appearance.
    pub agents: Vec<String>,
    /// Per span: the nearest agent span at or above it (`None` outside any agent span).
    pub agent_span_of: Vec<Option<usize>>,
    /// Whether any step recorded content (model text or tool calls, tool arguments or results).
    /// `false` for runs recorded with content capture off: detectors then judge from names,
    /// statuses, errors, timing and structure alone.
    pub content_captured: bool,
}

/// Tool names that frameworks use to return the run's final answer (smolagents `final_answer`,
/// pydantic-ai's output tool `final_result`).
pub const FINAL_ANSWER_TOOLS: &[&str] = &["final_answer", "final_result"];

/// The answer text of a final-answer tool call: the `answer`-like argument, or the only string
/// argument, or the arguments as given.
fn answer_from_arguments(arguments: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Object(map)) => {
            let named = ["answer", "final_answer", "result", "response", "output"]
                .iter()
                .find_map(|key| map.get(*key).and_then(|v| v.as_str()));
            let strings: Vec<&str> = map.values().filter_map(|v| v.as_str()).collect();
            named
                .or(if strings.len() == 1 { Some(strings[0]) } else { None })
                .map(str::to_owned)
                .unwrap_or_else(|| arguments.to_owned())
        }
        _ => arguments.to_owned(),
    }
}

impl<'a> TraceView<'a> {
    pub fn new(tree: &'a SpanTree) -> TraceView<'a> {
        let mut steps = Vec::new();
        let mut step_of_span = vec![None; tree.spans.len()];
        let mut user_request = String::new();
        let mut system = String::new();
        let mut agents: Vec<String> = Vec::new();
        let (agent_of, agent_span_of) = agents_per_span(tree);
        let answer_tools = final_answer_tools(tree, &agent_span_of);
        let mut seen_agents: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (index, span) in tree.spans.iter().enumerate() {
            let view = &span.gen_ai;
            if let Some(agent) = agent_of[index]
                && seen_agents.insert(agent)
            {
                agents.push(agent.to_owned());
            }
            if system.is_empty()
                && let Some(instructions) = &view.system_instructions
            {
                system = instructions.clone();
            }
            if user_request.is_empty() {
                if let Some(message) = view.input_messages.iter().find(|m| m.role == "user" || m.role == "human") {
                    user_request = message.content.clone();
                }
                if system.is_empty()
                    && let Some(message) = view.input_messages.iter().find(|m| m.role == "system")
                {
                    system = message.content.clone();
                }
            }
            let is_message_step = span.attr("rootspan.step").is_some();
            let kind = view.kind;
            if !matches!(kind, SpanKind::Llm | SpanKind::Tool | SpanKind::Retrieval) && !is_message_step {
                continue;
            }
            let error = span_error(span);
            let mut step = Step {
                span: index,
                kind,
                error,
                agent: agent_of[index].map(str::to_owned),
                finish_reasons: view.finish_reasons.clone(),
                input_tokens: view.input_tokens,
                output_tokens: view.output_tokens,
                model: view.model.clone(),
                ..Step::default()
            };
            match kind {
                SpanKind::Tool | SpanKind::Retrieval => {
                    step.tool_name = view.tool_name.clone().or_else(|| Some(span.name.clone()));
                    step.arguments = view.tool_arguments.clone().or_else(|| view.input_text.clone());
                    let raw = view.tool_result.clone().or_else(|| view.output_text.clone()).unwrap_or_default();
                    step.result_recorded = view.tool_result.is_some() || view.output_text.is_some();
                    step.output = unwrap_tool_message(&raw).unwrap_or(raw);
                    step.canonical_arguments = step.arguments.as_deref().map(text::canonical_arguments);
                }
                _ => {
                    for message in &view.output_messages {
                        for call in &message.tool_calls {
                            // A final answer returned through a tool is the model's answer.
                            if step.answer.is_none() && answer_tools.iter().any(|name| *name == call.name) {
                                step.answer = Some(answer_from_arguments(&call.arguments))
                                    .filter(|answer| !answer.trim().is_empty());
                            }
                            step.tool_calls.push((call.name.clone(), call.arguments.clone()));
                        }
                    }
                    let texts: Vec<&str> =
                        view.output_messages.iter().map(|m| m.content.as_str()).filter(|t| !t.is_empty()).collect();
                    step.output = if texts.is_empty() && step.tool_calls.is_empty() {
                        view.output_text.clone().unwrap_or_default()
                    } else {
                        texts.join("\n")
                    };
                    if let Some((name, arguments)) = step.tool_calls.first() {
                        step.tool_name = Some(name.clone());
                        step.arguments = Some(arguments.clone());
                    }
                }
            }
            step_of_span[index] = Some(steps.len());
            steps.push(step);
        }
        fill_tools_from_conversation(tree, &mut steps);
        if user_request.is_empty()
            && let Some(root) = tree.roots.first()
        {
            user_request = tree.spans[*root].gen_ai.input_text.clone().unwrap_or_default();
        }
        let final_answer = steps.iter().rev().find_map(|s| {
            if s.kind != SpanKind::Llm {
                return None;
            }
            if let Some(answer) = &s.answer {
                return Some((s.span, answer.clone()));
            }
            (s.tool_calls.is_empty() && !s.output.trim().is_empty()).then(|| (s.span, s.output.clone()))
        });
        let content_captured = steps.iter().any(|s| {
            !s.output.trim().is_empty()
                || !s.tool_calls.is_empty()
                || s.arguments.as_deref().is_some_and(|a| !a.trim().is_empty())
        });
        TraceView {
            tree,
            steps,
            step_of_span,
            user_request,
            system,
            final_answer,
            agents,
            agent_span_of,
            content_captured,
        }
    }

    /// Whether span `inner` lies in the subtree of span `outer` (or is it).
    pub fn is_within(&self, inner: usize, outer: usize) -> bool {
        let mut current = Some(inner);
        while let Some(index) = current {
            if index == outer {
                return true;
            }
            current = self.tree.parent[index];
        }
        false
    }

    /// The agent span above agent span `agent` (a delegating parent agent), if any.
    pub fn parent_agent(&self, agent: usize) -> Option<usize> {
        self.tree.parent[agent].and_then(|up| self.agent_span_of[up])
    }

    /// Hex span id of a span index.
    pub fn span_id(&self, index: usize) -> String {
        span_id_hex(&self.tree.spans[index].span_id)
    }

    /// Span name of a span index.
    pub fn span_name(&self, index: usize) -> &str {
        &self.tree.spans[index].name
    }

    /// Whether the run ended in an error on its root span.
    pub fn run_failed(&self) -> bool {
        self.tree.roots.first().is_some_and(|root| self.tree.spans[*root].status.code == StatusCode::Error)
    }

    /// The LLM steps after span index `after` (in canonical order).
    pub fn llm_steps_after(&self, after: usize) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.span > after && s.kind == SpanKind::Llm)
    }
}

/// The error text of a span: ERROR status, exception event, `error.type`, or an HTTP error status
/// code in a tool result.
pub fn span_error(span: &rootspan_model::Span) -> Option<String> {
    let view = &span.gen_ai;
    if span.status.code == StatusCode::Error || view.error_message.is_some() {
        return Some(
            view.error_message
                .clone()
                .or_else(|| view.tool_result.clone())
                .or_else(|| view.error_type.clone())
                .unwrap_or_else(|| "status ERROR".to_owned()),
        );
    }
    if view.error_type.is_some() {
        return view.error_type.clone();
    }
    if view.kind == SpanKind::Tool
        && span.attr_str("gen_ai.tool.status").is_some_and(|s| s.eq_ignore_ascii_case("error"))
    {
        return Some(view.tool_result.clone().unwrap_or_else(|| "gen_ai.tool.status=error".to_owned()));
    }
    if view.kind == SpanKind::Tool {
        let result = view.tool_result.as_deref().or(view.output_text.as_deref()).unwrap_or("");
        if let Some(code) = http_error_code(result) {
            return Some(format!("HTTP {code}: {}", text::clip(result, 200)));
        }
        // The raw recorded values too: a result envelope's own error flag (`is_error`, `isError`)
        // is gone from its unwrapped text.
        let raw = [view.output_text.as_deref(), span.attr_str("gen_ai.tool.call.result")];
        if let Some(message) = std::iter::once(result).chain(raw.into_iter().flatten()).find_map(error_payload) {
            return Some(message);
        }
    }
    None
}

/// The content of a framework tool-message envelope (LangChain `{"type": "tool", "data": {"content":
/// ...}}`, or `{"content": ..., "tool_call_id": ...}`), as text.
pub fn unwrap_tool_message(raw: &str) -> Option<String> {
    let trimmed = raw.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).ok()?;
    let data = if value.get("type").and_then(|t| t.as_str()) == Some("tool") {
        value.get("data").unwrap_or(&value)
    } else {
        &value
    };
    if data.get("tool_call_id").is_none() && value.get("type").and_then(|t| t.as_str()) != Some("tool") {
        return None;
    }
    match data.get("content")? {
        serde_json::Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// An HTTP 4xx/5xx status mentioned as such in text (`HTTP 503`, `status 404`, `"status_code": 500`).
pub fn http_error_code(text: &str) -> Option<u16> {
    let lower = text.to_ascii_lowercase();
    for marker in ["http ", "http/1.1 ", "status ", "status_code\": ", "status_code\":", "status code ", "error "] {
        let mut from = 0;
        while let Some(found) = lower[from..].find(marker) {
            let at = from + found + marker.len();
            let digits: String = lower[at..].chars().take(3).collect();
            if digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit())
                && lower[at + 3..].chars().next().is_none_or(|c| !c.is_ascii_digit())
                && let Ok(code) = digits.parse::<u16>()
                && (400..600).contains(&code)
            {
                return Some(code);
            }
            from = at;
        }
    }
    None
}

/// A JSON tool result that is an error object (`{"error": "..."}`), as text.
fn error_payload(result: &str) -> Option<String> {
    let trimmed = result.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).ok()?;
    let object = value.as_object()?;
    // Result envelopes that flag a failure (LlamaIndex `ToolOutput.is_error`, MCP `isError`).
    for key in ["is_error", "isError"] {
        if object.get(key) == Some(&serde_json::Value::Bool(true)) {
            return Some(format!("{key}: {}", text::clip(trimmed, 200)));
        }
    }
    for key in ["error", "errors", "exception", "error_message"] {
        match object.get(key) {
            Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) | None => {}
            Some(serde_json::Value::String(s)) if s.is_empty() => {}
            Some(other) => return Some(format!("{key}: {}", text::clip(&other.to_string(), 200))),
        }
    }
    None
}

/// Names of the tools that return a final answer: the conventional names, and any tool whose
/// recorded result is exactly the output of the agent it ran in (the agent returned what the
/// tool returned).
fn final_answer_tools<'t>(tree: &'t SpanTree, agent_span_of: &[Option<usize>]) -> Vec<&'t str> {
    let mut names: Vec<&str> = FINAL_ANSWER_TOOLS.to_vec();
    // The last model or tool call under each agent: only a tool that ends its agent's run can
    // have returned the agent's answer.
    let mut last_call: Vec<Option<usize>> = vec![None; tree.spans.len()];
    for (index, span) in tree.spans.iter().enumerate() {
        if matches!(span.gen_ai.kind, SpanKind::Llm | SpanKind::Tool)
            && let Some(agent) = tree.parent[index].and_then(|p| agent_span_of[p])
        {
            last_call[agent] = Some(index);
        }
    }
    for (index, span) in tree.spans.iter().enumerate() {
        let view = &span.gen_ai;
        if view.kind != SpanKind::Tool {
            continue;
        }
        let (Some(name), Some(result)) = (view.tool_name.as_deref(), view.tool_result.as_deref()) else { continue };
        let Some(agent) = tree.parent[index].and_then(|p| agent_span_of[p]) else { continue };
        if last_call[agent] != Some(index) {
            continue;
        }
        let agent_output = tree.spans[agent].gen_ai.output_text.as_deref().unwrap_or("");
        if !result.trim().is_empty() && result.trim() == agent_output.trim() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Tool steps whose span recorded neither arguments nor result (AutoGen's `execute_tool` spans
/// carry names and call ids only) take them from the conversation the model calls recorded: the
/// call with the same tool-call id in a model's output, and the tool message answering it in a
/// later model's input. Recorded values always win; without call ids nothing is matched.
fn fill_tools_from_conversation(tree: &SpanTree, steps: &mut [Step]) {
    let mut calls: HashMap<&str, &str> = HashMap::new();
    let mut results: HashMap<&str, &str> = HashMap::new();
    for step in steps.iter().filter(|s| s.kind == SpanKind::Llm) {
        let view = &tree.spans[step.span].gen_ai;
        for message in &view.output_messages {
            for call in &message.tool_calls {
                if let Some(id) = call.id.as_deref().filter(|id| !id.is_empty()) {
                    calls.entry(id).or_insert(call.arguments.as_str());
                }
            }
        }
        for message in view.input_messages.iter().filter(|m| m.role == "tool" || m.tool_call_id.is_some()) {
            if let Some(id) = message.tool_call_id.as_deref() {
                results.entry(id).or_insert(message.content.as_str());
            }
        }
    }
    if calls.is_empty() && results.is_empty() {
        return;
    }
    for step in steps.iter_mut().filter(|s| s.kind == SpanKind::Tool) {
        let Some(id) = tree.spans[step.span].gen_ai.tool_call_id.as_deref() else { continue };
        if step.arguments.as_deref().is_none_or(|a| a.trim().is_empty())
            && let Some(arguments) = calls.get(id)
        {
            step.arguments = Some((*arguments).to_owned());
            step.canonical_arguments = Some(text::canonical_arguments(arguments));
        }
        if step.output.trim().is_empty()
            && step.error.is_none()
            && let Some(result) = results.get(id)
        {
            step.output = (*result).to_owned();
            step.result_recorded = true;
        }
    }
}

/// Per span: the agent name (its own, else the nearest ancestor's) and the nearest agent span at
/// or above it. One post-order pass (which spans run model calls) and one pre-order pass.
///
/// Agent spans are the declared ones, plus, where no declared agent span covers them, the spans
/// that act as agents by structure: a tool span whose subtree runs model calls runs an agent as a
/// tool (named after the tool), and the root above such a delegation is the delegating agent.
/// Instrumentations that record agent runs as plain chain or workflow spans (LlamaIndex's
/// `FunctionAgent.run`) thus still show who delegated to whom.
fn agents_per_span(tree: &SpanTree) -> (Vec<Option<&str>>, Vec<Option<usize>>) {
    let n = tree.spans.len();
    let order = tree.preorder();
    let kind = |index: usize| tree.spans[index].gen_ai.kind;
    // Post-order: whether a subtree holds a model call, a declared agent span, a delegating tool.
    let mut runs_model = vec![false; n];
    let mut has_agent = vec![false; n];
    let mut delegates = vec![false; n];
    for &index in order.iter().rev() {
        runs_model[index] |= kind(index) == SpanKind::Llm;
        has_agent[index] |= kind(index) == SpanKind::Agent;
        delegates[index] |= kind(index) == SpanKind::Tool && runs_model[index] && !has_agent[index];
        if let Some(parent) = tree.parent[index] {
            runs_model[parent] |= runs_model[index];
            has_agent[parent] |= has_agent[index];
            delegates[parent] |= delegates[index];
        }
    }
    let mut names: Vec<Option<&str>> = vec![None; n];
    let mut agent_spans: Vec<Option<usize>> = vec![None; n];
    // Whether a declared agent span lies at or above a span.
    let mut declared: Vec<bool> = vec![false; n];
    for index in order {
        let parent = tree.parent[index];
        let inherited = parent.and_then(|p| agent_spans[p]);
        declared[index] = kind(index) == SpanKind::Agent || parent.is_some_and(|p| declared[p]);
        let view = &tree.spans[index].gen_ai;
        let inferred = !declared[index]
            && !has_agent[index]
            && ((kind(index) == SpanKind::Tool && runs_model[index]) || (parent.is_none() && delegates[index]));
        let own = view
            .agent_name
            .as_deref()
            .or_else(|| (inferred && kind(index) == SpanKind::Tool).then_some(view.tool_name.as_deref()).flatten());
        names[index] = own.or_else(|| parent.and_then(|p| names[p]));
        agent_spans[index] = if kind(index) == SpanKind::Agent || inferred { Some(index) } else { inherited };
    }
    (names, agent_spans)
}

#[cfg(test)]
mod tests {
    use super::error_payload;

    #[test]
    fn result_envelopes_that_flag_an_error_are_errors() {
        assert!(error_payload(r#"{"content":[{"type":"text","text":"boom"}],"isError":true}"#).is_some());
        assert!(error_payload(r#"{"blocks":[{"text":"HTTP 503"}],"is_error":true}"#).is_some());
        assert_eq!(error_payload(r#"{"blocks":[{"text":"ok"}],"is_error":false}"#), None);
        assert_eq!(error_payload(r#"{"order_id":"A1001"}"#), None);
    }
}
