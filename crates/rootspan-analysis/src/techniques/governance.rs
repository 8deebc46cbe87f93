//! Governance events of one run: approvals, human-in-the-loop pauses, guardrail and policy
//! checks, and blocked actions. Found by the span kind (guardrail/evaluator spans), by names of
//! spans and span events, by attribute keys, and by error or result texts that say an action was
//! refused. Instrumentations name these differently (OpenAI Agents' guardrail spans with
//! `triggered`, LangGraph interrupts, approval tools), so matching is by vocabulary, and each
//! event keeps the text it was found in as its detail.

use rootspan_model::{SpanKind, SpanTree, StatusCode, span_id_hex};
use serde::Serialize;

/// What kind of control the event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceCategory {
    Approval,
    HumanInTheLoop,
    Guardrail,
    Policy,
    BlockedAction,
}

impl GovernanceCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            GovernanceCategory::Approval => "approval",
            GovernanceCategory::HumanInTheLoop => "human_in_the_loop",
            GovernanceCategory::Guardrail => "guardrail",
            GovernanceCategory::Policy => "policy",
            GovernanceCategory::BlockedAction => "blocked_action",
        }
    }

    pub fn parse(text: &str) -> Option<GovernanceCategory> {
        Some(match text {
            "approval" => GovernanceCategory::Approval,
            "human_in_the_loop" | "hitl" => GovernanceCategory::HumanInTheLoop,
            "guardrail" => GovernanceCategory::Guardrail,
            "policy" => GovernanceCategory::Policy,
            "blocked_action" | "blocked" => GovernanceCategory::BlockedAction,
            _ => return None,
        })
    }
}

/// One governance event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GovernanceEvent {
    pub span_id: String,
    pub span_name: String,
    pub category: GovernanceCategory,
    /// `blocked`, `approved`, `denied`, `passed`, `paused` or `unknown`.
    pub outcome: &'static str,
    /// Where it was found: the span name, an event name, or an attribute or text excerpt.
    pub detail: String,
    pub time_unix_nano: u64,
}

const APPROVAL: &[&str] = &["approval", "approve", "consent", "confirm_action", "request_permission"];
const HUMAN: &[&str] = &["human", "hitl", "interrupt", "pause", "input_required", "ask_user", "wait_for_user"];
const GUARDRAIL: &[&str] = &["guardrail", "moderation", "safety_check", "content_filter", "tripwire"];
const POLICY: &[&str] = &["policy"];
const BLOCKED: &[&str] = &[
    "blocked",
    "not permitted",
    "not allowed",
    "permission denied",
    "forbidden",
    "denied by",
    "refused to",
    "tripwire triggered",
];

fn matches(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

fn clip(text: &str) -> String {
    crate::text::clip(text, 200)
}

fn category_of(text: &str) -> Option<GovernanceCategory> {
    if matches(text, GUARDRAIL) {
        Some(GovernanceCategory::Guardrail)
    } else if matches(text, APPROVAL) {
        Some(GovernanceCategory::Approval)
    } else if matches(text, POLICY) {
        Some(GovernanceCategory::Policy)
    } else if matches(text, HUMAN) {
        Some(GovernanceCategory::HumanInTheLoop)
    } else {
        None
    }
}

/// The outcome a span's attributes and status say.
fn outcome_of(span: &rootspan_model::Span, category: GovernanceCategory) -> &'static str {
    let mut text = String::new();
    for kv in &span.attributes {
        let key = kv.key.to_ascii_lowercase();
        if key.contains("triggered") || key.contains("blocked") {
            if kv.value.to_json() == serde_json::Value::Bool(true) {
                return "blocked";
            }
            if kv.value.to_json() == serde_json::Value::Bool(false) {
                return "passed";
            }
        }
        if key.contains("approved") || key.contains("decision") || key.contains("outcome") || key.contains("result") {
            text.push_str(&kv.value.to_json().to_string().to_ascii_lowercase());
            text.push(' ');
        }
    }
    let approval = category == GovernanceCategory::Approval;
    if text.contains("denied") || text.contains("rejected") || (approval && text.contains("false")) {
        return "denied";
    }
    if text.contains("approved") || (approval && text.contains("true")) {
        return "approved";
    }
    if span.status.code == StatusCode::Error {
        return "blocked";
    }
    match category {
        GovernanceCategory::HumanInTheLoop => "paused",
        GovernanceCategory::Guardrail | GovernanceCategory::Policy => "passed",
        _ => "unknown",
    }
}

/// The governance events of a trace, in time order.
pub fn governance_events(tree: &SpanTree) -> Vec<GovernanceEvent> {
    let mut out = Vec::new();
    for span in &tree.spans {
        let span_id = span_id_hex(&span.span_id);
        let name = span.name.to_ascii_lowercase();
        let by_kind = (span.gen_ai.kind == SpanKind::Guardrail).then_some(GovernanceCategory::Guardrail);
        let tool = span.gen_ai.tool_name.as_deref().unwrap_or("").to_ascii_lowercase();
        let by_name = category_of(&name).or_else(|| category_of(&tool));
        let by_key = span.attributes.iter().find_map(|kv| {
            let key = kv.key.to_ascii_lowercase();
            // Keys of the conventions themselves (gen_ai.*, llm.*) say nothing about governance.
            if key.starts_with("gen_ai.prompt") || key.starts_with("gen_ai.completion") || key.starts_with("llm.") {
                return None;
            }
            category_of(&key).map(|c| (c, kv.key.clone()))
        });
        let found = by_kind.map(|c| (c, span.name.clone())).or(by_name.map(|c| (c, span.name.clone()))).or(by_key);
        if let Some((category, detail)) = found {
            out.push(GovernanceEvent {
                span_id: span_id.clone(),
                span_name: span.name.clone(),
                category,
                outcome: outcome_of(span, category),
                detail: clip(&detail),
                time_unix_nano: span.start_time_unix_nano,
            });
        }
        for event in &span.events {
            let event_name = event.name.to_ascii_lowercase();
            if event_name.starts_with("gen_ai.") || event_name == "exception" {
                continue;
            }
            if let Some(category) = category_of(&event_name) {
                out.push(GovernanceEvent {
                    span_id: span_id.clone(),
                    span_name: span.name.clone(),
                    category,
                    outcome: if matches(&event_name, BLOCKED) { "blocked" } else { outcome_of(span, category) },
                    detail: clip(&event.name),
                    time_unix_nano: event.time_unix_nano,
                });
            }
        }
        // A refused action: the error or the tool result says so.
        let texts = [
            span.gen_ai.error_message.as_deref(),
            Some(span.status.message.as_str()),
            if span.gen_ai.kind == SpanKind::Tool { span.gen_ai.tool_result.as_deref() } else { None },
        ];
        if let Some(text) = texts.into_iter().flatten().find(|t| matches(&t.to_ascii_lowercase(), BLOCKED)) {
            let lower = text.to_ascii_lowercase();
            let at = BLOCKED.iter().filter_map(|w| lower.find(w)).min().unwrap_or(0);
            out.push(GovernanceEvent {
                span_id,
                span_name: span.name.clone(),
                category: GovernanceCategory::BlockedAction,
                outcome: "blocked",
                detail: crate::text::excerpt_around(text, at, 200),
                time_unix_nano: span.end_time_unix_nano,
            });
        }
    }
    out.sort_by_key(|e| e.time_unix_nano);
    out
}
