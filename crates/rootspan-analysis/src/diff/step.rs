//! The per-span "step" view a diff compares: alignment keys (fine and coarse), hashes of each
//! content field (so comparing two spans costs a few integer compares), and the rendering of a
//! field's text when it must be shown.

use crate::cluster::template::mask_ids;
use rootspan_model::ids::fnv1a64;
use rootspan_model::{Message, Span, SpanKind, SpanTree, StatusCode};
use serde_json::Value;

const BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// A content field of a step, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Error,
    Tool,
    Model,
    Arguments,
    Input,
    Output,
    Result,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Status,
        Field::Error,
        Field::Tool,
        Field::Model,
        Field::Arguments,
        Field::Input,
        Field::Output,
        Field::Result,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Error => "error",
            Field::Tool => "tool",
            Field::Model => "model",
            Field::Arguments => "arguments",
            Field::Input => "input",
            Field::Output => "output",
            Field::Result => "result",
        }
    }
}

/// What the alignment and the comparison need from one span.
#[derive(Debug, Clone)]
pub struct Step {
    /// Kind, agent, tool name, normalised arguments (tools), name (structural spans).
    pub fine: u64,
    /// Kind and tool name or span name: pairs steps inside a gap.
    pub coarse: u64,
    /// Hash of each [`Field`] after id masking; 0 when absent.
    pub content: [u64; 8],
    pub agent: u64,
}

/// Steps of a tree, in the tree's canonical order (start time, parents first, longer first).
pub fn steps(tree: &SpanTree) -> Vec<Step> {
    let agents = enclosing_agents(tree);
    tree.spans.iter().enumerate().map(|(index, span)| step(span, agents[index])).collect()
}

/// Per span: a hash of the name of the nearest agent span at or above it (0 when none).
fn enclosing_agents(tree: &SpanTree) -> Vec<u64> {
    let mut agent = vec![0u64; tree.spans.len()];
    for node in tree.preorder() {
        let span = &tree.spans[node];
        agent[node] = if span.gen_ai.kind == SpanKind::Agent {
            hash_str(span.gen_ai.agent_name.as_deref().unwrap_or(&span.name))
        } else {
            tree.parent[node].map(|up| agent[up]).unwrap_or(0)
        };
    }
    agent
}

fn step(span: &Span, agent: u64) -> Step {
    let view = &span.gen_ai;
    let kind = view.kind;
    let kind_hash = hash_str(kind.as_str());
    let label = match kind {
        SpanKind::Tool => view.tool_name.clone().unwrap_or_else(|| span.name.clone()),
        SpanKind::Llm => String::new(),
        SpanKind::Agent => view.agent_name.clone().unwrap_or_else(|| span.name.clone()),
        _ => mask_ids(&span.name).into_owned(),
    };
    let coarse = mix(kind_hash, hash_str(&label));
    let mut content = [0u64; 8];
    for (slot, field) in content.iter_mut().zip(Field::ALL) {
        *slot = render(span, field).map(|text| hash_str(&text)).unwrap_or(0);
    }
    let mut fine = mix(coarse, agent);
    if kind == SpanKind::Tool {
        // The arguments' hash (0 when absent), as rendered for the content comparison.
        let arguments = Field::ALL.iter().position(|f| *f == Field::Arguments).map(|i| content[i]).unwrap_or(0);
        fine = mix(fine, arguments);
    }
    Step { fine, coarse, content, agent }
}

/// The normalised text of one field (ids masked, JSON canonical), `None` when absent.
pub fn render(span: &Span, field: Field) -> Option<String> {
    let view = &span.gen_ai;
    let text = match field {
        Field::Status => Some(span.status.code.as_str().to_owned()).filter(|_| span.status.code == StatusCode::Error),
        // The exception message before the status message, tracebacks cut: what the error says,
        // alike across instrumentations that wrap it differently.
        Field::Error => crate::cluster::evidence::span_error(span)
            .map(|text| match text.find("Traceback (most recent call last)") {
                Some(position) if position > 0 => text[..position].trim_end().to_owned(),
                _ => text,
            })
            .or_else(|| view.error_type.clone()),
        Field::Tool => view.tool_name.clone(),
        Field::Model => view.model.clone(),
        Field::Arguments => view.tool_arguments.as_deref().map(canonical_json),
        Field::Input => {
            if !view.input_messages.is_empty() {
                Some(render_messages(&view.input_messages))
            } else if view.kind == SpanKind::Tool {
                None
            } else {
                view.input_text.as_deref().map(canonical_json)
            }
        }
        Field::Output => {
            if !view.output_messages.is_empty() {
                Some(render_messages(&view.output_messages))
            } else if view.kind == SpanKind::Tool {
                None
            } else {
                view.output_text.as_deref().map(canonical_json)
            }
        }
        Field::Result => view.tool_result.as_deref().map(canonical_json),
    }?;
    Some(mask_ids(&text).into_owned())
}

fn render_messages(messages: &[Message]) -> String {
    let mut out = String::new();
    for message in messages {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&message.role);
        out.push_str(": ");
        out.push_str(&message.content);
        for call in &message.tool_calls {
            out.push_str(&format!(" [call {}({})]", call.name, canonical_json(&call.arguments)));
        }
    }
    out
}

/// JSON with sorted keys and no insignificant whitespace; other text as is (trimmed).
pub fn canonical_json(text: &str) -> String {
    let trimmed = text.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return trimmed.to_owned();
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => {
            let mut out = String::with_capacity(trimmed.len());
            crate::text::write_canonical(&value, &mut out);
            out
        }
        Err(_) => trimmed.to_owned(),
    }
}

pub fn hash_str(text: &str) -> u64 {
    fnv1a64(text.as_bytes(), BASIS)
}

fn mix(a: u64, b: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    fnv1a64(&bytes, BASIS)
}
