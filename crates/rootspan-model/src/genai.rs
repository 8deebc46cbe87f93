//! The normalised GenAI view of a span: one vocabulary over OTel GenAI (old and new names),
//! OpenInference, OpenLLMetry/traceloop and pydantic-ai/Logfire.

use serde::{Deserialize, Serialize};

/// What a span does in an agent run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    Agent,
    Llm,
    Tool,
    Retrieval,
    Embedding,
    /// Workflow, chain, graph node.
    Workflow,
    Handoff,
    /// Guardrail or evaluator.
    Guardrail,
    #[default]
    Other,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Agent => "agent",
            SpanKind::Llm => "llm",
            SpanKind::Tool => "tool",
            SpanKind::Retrieval => "retrieval",
            SpanKind::Embedding => "embedding",
            SpanKind::Workflow => "workflow",
            SpanKind::Handoff => "handoff",
            SpanKind::Guardrail => "guardrail",
            SpanKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<SpanKind> {
        Some(match text.to_ascii_lowercase().as_str() {
            "agent" => SpanKind::Agent,
            "llm" => SpanKind::Llm,
            "tool" => SpanKind::Tool,
            "retrieval" | "retriever" => SpanKind::Retrieval,
            "embedding" => SpanKind::Embedding,
            "workflow" | "chain" => SpanKind::Workflow,
            "handoff" => SpanKind::Handoff,
            "guardrail" | "evaluator" => SpanKind::Guardrail,
            "other" => SpanKind::Other,
            _ => return None,
        })
    }
}

/// A tool call requested by a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    /// Arguments as JSON text.
    pub arguments: String,
}

/// One chat message (input or output of a model call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Message {
    /// system, user, assistant, tool.
    pub role: String,
    /// The text content (parts concatenated).
    pub content: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tool_calls: Vec<ToolCall>,
    /// For tool messages: which call this answers.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tool_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finish_reason: Option<String>,
}

/// The seed's "trace components" that instrumentations sometimes record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Component {
    /// A reasoning/thinking step of the model.
    Reasoning { text: String },
    /// A snapshot of agent state.
    StateSnapshot { text: String },
    /// A validation or guardrail outcome.
    Validation { name: String, passed: Option<bool>, detail: String },
    /// A human or policy approval.
    Approval { approved: Option<bool>, detail: String },
    /// A retry recorded by the framework.
    Retry { attempt: i64, cause: String },
}

/// The normalised view of a span. Every field is optional: instrumentations record different things.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GenAi {
    pub kind: SpanKind,
    /// `gen_ai.operation.name` or its equivalent (chat, execute_tool, invoke_agent, ...).
    pub operation: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cached_input_tokens: Option<u64>,
    /// Cost in US dollars: recorded by the instrumentation, else from the price table.
    pub cost_usd: Option<f64>,
    pub tool_name: Option<String>,
    pub tool_call_id: Option<String>,
    /// Tool arguments as (usually JSON) text.
    pub tool_arguments: Option<String>,
    /// Tool result as text.
    pub tool_result: Option<String>,
    /// Tool definitions available to a model call (JSON text).
    pub tool_definitions: Option<String>,
    pub system_instructions: Option<String>,
    pub input_messages: Vec<Message>,
    pub output_messages: Vec<Message>,
    /// Generic input/output text (OpenInference `input.value`, span input for non-LLM spans).
    pub input_text: Option<String>,
    pub output_text: Option<String>,
    pub agent_name: Option<String>,
    pub agent_id: Option<String>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub error_type: Option<String>,
    pub error_message: Option<String>,
    pub finish_reasons: Vec<String>,
    pub components: Vec<Component>,
    /// How far this view was derived ([`crate::conventions::normalize_with`] sets it); `None`
    /// for a span that was never normalised. Not part of any serialised form.
    #[serde(skip)]
    pub derived: Option<crate::conventions::Depth>,
}

impl GenAi {
    /// input + output tokens when either is known.
    pub fn total_tokens(&self) -> Option<u64> {
        match (self.input_tokens, self.output_tokens) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        }
    }
}
