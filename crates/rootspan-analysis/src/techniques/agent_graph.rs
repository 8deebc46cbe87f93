//! The multi-agent graph of one run: agents as nodes, delegations (an agent span under another
//! agent's span) and handoffs (a handoff span inside one agent, followed by another agent) as
//! edges, each with how often it happened. Agents are identified by name, so an agent invoked
//! five times is one node with five invocations. Spans outside any agent span belong to no node.

use crate::view::TraceView;
use rootspan_model::{SpanKind, SpanTree};
use serde::Serialize;
use std::collections::BTreeMap;

/// One agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentNode {
    pub name: String,
    /// Agent spans with this name.
    pub invocations: u64,
    /// Model and tool calls made directly by this agent (not by agents it delegated to).
    pub llm_calls: u64,
    pub tool_calls: u64,
    /// Spans of this agent (itself included) with ERROR status.
    pub error_spans: u64,
    pub total_tokens: u64,
}

/// How control passed between two agents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentEdge {
    /// Index into `nodes`.
    pub from: usize,
    pub to: usize,
    /// `delegation` (the callee ran inside the caller) or `handoff` (control passed on).
    pub kind: &'static str,
    pub count: u64,
}

/// The graph; empty when the run has no agent spans.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AgentGraph {
    pub nodes: Vec<AgentNode>,
    pub edges: Vec<AgentEdge>,
}

fn agent_name(tree: &SpanTree, index: usize) -> String {
    let span = &tree.spans[index];
    span.gen_ai.agent_name.clone().unwrap_or_else(|| span.name.clone())
}

/// Builds the agent graph of a trace.
pub fn agent_graph(view: &TraceView) -> AgentGraph {
    let tree = view.tree;
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut nodes: Vec<AgentNode> = Vec::new();
    let mut node_of_span: Vec<Option<usize>> = vec![None; tree.spans.len()];
    // Nodes in order of first appearance (canonical span order is start time).
    for (index, span) in tree.spans.iter().enumerate() {
        if span.gen_ai.kind != SpanKind::Agent {
            continue;
        }
        let name = agent_name(tree, index);
        let node = *index_of.entry(name.clone()).or_insert_with(|| {
            nodes.push(AgentNode {
                name,
                invocations: 0,
                llm_calls: 0,
                tool_calls: 0,
                error_spans: 0,
                total_tokens: 0,
            });
            nodes.len() - 1
        });
        nodes[node].invocations += 1;
        node_of_span[index] = Some(node);
    }
    if nodes.is_empty() {
        return AgentGraph::default();
    }
    let owner = |index: usize| view.agent_span_of.get(index).copied().flatten().and_then(|a| node_of_span[a]);
    let mut edges: BTreeMap<(usize, usize, &'static str), u64> = BTreeMap::new();
    for (index, span) in tree.spans.iter().enumerate() {
        let Some(node) = owner(index) else { continue };
        match span.gen_ai.kind {
            SpanKind::Llm => nodes[node].llm_calls += 1,
            SpanKind::Tool => nodes[node].tool_calls += 1,
            _ => {}
        }
        if span.status.code == rootspan_model::StatusCode::Error {
            nodes[node].error_spans += 1;
        }
        nodes[node].total_tokens += span.gen_ai.total_tokens().unwrap_or(0);
        if span.gen_ai.kind == SpanKind::Agent
            && let Some(parent) = tree.parent[index]
            && let Some(caller) = owner(parent)
            && caller != node
        {
            *edges.entry((caller, node, "delegation")).or_default() += 1;
        }
    }
    // A handoff span passes control from its agent to the next agent span that starts after it
    // (outside it) and is not the same agent.
    let agent_spans: Vec<usize> = (0..tree.spans.len()).filter(|&i| node_of_span[i].is_some()).collect();
    for (index, span) in tree.spans.iter().enumerate() {
        if span.gen_ai.kind != SpanKind::Handoff {
            continue;
        }
        let Some(from) = owner(index) else { continue };
        let next = agent_spans.iter().copied().find(|&a| {
            a != index
                && tree.spans[a].start_time_unix_nano >= span.start_time_unix_nano
                && node_of_span[a] != Some(from)
        });
        if let Some(to) = next.and_then(|a| node_of_span[a]) {
            *edges.entry((from, to, "handoff")).or_default() += 1;
        }
    }
    AgentGraph {
        nodes,
        edges: edges.into_iter().map(|((from, to, kind), count)| AgentEdge { from, to, kind, count }).collect(),
    }
}
