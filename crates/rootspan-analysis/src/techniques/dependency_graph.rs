//! Tool-call dependency graph: which tool output feeds which later tool input (a value of the
//! output — an identifier, a number, a quoted string — reappears in the later call's arguments),
//! and the failure propagation paths: every call downstream of a failed or empty call.
//! Linear in the trace: values are indexed once; propagation is an iterative breadth-first walk.

use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// A tool call in the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolNode {
    pub span_id: String,
    pub tool: String,
    pub failed: bool,
}

/// `from` produced a value that `to` consumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataEdge {
    pub from: usize,
    pub to: usize,
    /// The value that flowed.
    pub value: String,
}

/// The graph and the propagation paths of its failures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyGraph {
    pub nodes: Vec<ToolNode>,
    pub edges: Vec<DataEdge>,
    /// Per failed node: the nodes reachable from it (in breadth-first order).
    pub failure_paths: Vec<(usize, Vec<usize>)>,
}

fn values(text_value: &str) -> Vec<String> {
    let ids = text::id_tokens(text_value);
    let mut out: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    // Numbers that are not part of an identifier (`P-7781` is one value, not `7781`).
    out.extend(
        text::numbers(text_value)
            .into_iter()
            .filter(|n| n.decimal || n.value.abs() >= 100.0)
            .filter(|n| !ids.iter().any(|id| id.contains(&text_value[n.start..n.end])))
            .map(|n| n.value.to_string()),
    );
    for (index, part) in text_value.split('"').enumerate() {
        if index % 2 == 1 && part.len() >= 4 && part.contains(' ') {
            out.push(part.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Builds the dependency graph of the trace's tool calls.
pub fn tool_dependency_graph(view: &TraceView) -> DependencyGraph {
    let tools: Vec<&crate::view::Step> = view.steps.iter().filter(|s| s.kind == SpanKind::Tool).collect();
    let nodes: Vec<ToolNode> = tools
        .iter()
        .map(|s| ToolNode {
            span_id: view.span_id(s.span),
            tool: s.tool_name.clone().unwrap_or_default(),
            failed: s.error.is_some(),
        })
        .collect();
    // The latest producer of each value seen so far.
    let mut producer: HashMap<String, usize> = HashMap::new();
    let mut edges = Vec::new();
    for (index, step) in tools.iter().enumerate() {
        for value in values(step.arguments.as_deref().unwrap_or("")) {
            if let Some(&from) = producer.get(&value)
                && from != index
                && !edges.iter().any(|e: &DataEdge| e.from == from && e.to == index)
            {
                edges.push(DataEdge { from, to: index, value });
            }
        }
        let produced = if step.error.is_some() { step.error.as_deref().unwrap_or("") } else { step.output.as_str() };
        for value in values(produced) {
            producer.insert(value, index);
        }
    }
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for edge in &edges {
        successors[edge.from].push(edge.to);
    }
    let failure_paths = nodes
        .iter()
        .enumerate()
        .filter(|(index, node)| {
            node.failed || crate::detectors::empty_tool_result_used::is_empty_result(&tools[*index].output)
        })
        .map(|(start, _)| {
            let mut seen = vec![false; nodes.len()];
            let mut queue = VecDeque::from([start]);
            seen[start] = true;
            let mut reached = Vec::new();
            while let Some(node) = queue.pop_front() {
                for &next in &successors[node] {
                    if !seen[next] {
                        seen[next] = true;
                        reached.push(next);
                        queue.push_back(next);
                    }
                }
            }
            (start, reached)
        })
        .collect();
    DependencyGraph { nodes, edges, failure_paths }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture;

    #[test]
    fn output_values_link_calls_and_failures_propagate() {
        let tree = fixture::tree();
        let view = TraceView::new(&tree);
        let graph = tool_dependency_graph(&view);
        assert_eq!(graph.nodes.len(), 2);
        let edge = graph.edges.iter().find(|e| e.from == 0 && e.to == 1).expect("get_order feeds refund");
        assert!(["P-7781", "89.99"].contains(&edge.value.as_str()), "{edge:?}");
        assert_eq!(graph.failure_paths, vec![(1, vec![])]);
        assert!(graph.nodes[1].failed);
    }
}
