//! The analyses of one trace as pictures, drawn as SVG on the server: the multi-agent graph,
//! token use per model step against the context window, the tool dependency graph with failure
//! paths, confidence over the run, context drift, rollback points and the critical path. The
//! numbers are `rootspan analyze`'s; this file only draws them.

use super::html::{self, escape};
use rootspan_analysis::Analysis;
use std::fmt::Write;

const W: f64 = 760.0;

fn section(title: &str, id: &str, note: &str, inner: &str) -> String {
    format!(
        "<section class=\"panel chart\" id=\"{id}\"><h2>{title}</h2>{note}{inner}</section>",
        note = if note.is_empty() { String::new() } else { format!("<p class=\"sub\">{note}</p>") }
    )
}

fn goto(span_id: &str, label: &str) -> String {
    format!("<a class=\"goto\" href=\"?span={id}\" data-goto=\"{id}\">{}</a>", escape(label), id = escape(span_id))
}

/// Agents in layers (by delegation depth from agents nobody delegates to), edges with counts.
fn agent_graph(analysis: &Analysis) -> String {
    let graph = &analysis.agent_graph;
    if graph.nodes.is_empty() {
        return section("Agents", "agent-graph", "", "<p class=\"sub\">No agent spans in this trace.</p>");
    }
    let n = graph.nodes.len();
    let mut layer = vec![0usize; n];
    // Longest delegation depth, bounded by n rounds (cycles stop growing there).
    for _ in 0..n {
        let mut changed = false;
        for edge in graph.edges.iter().filter(|e| e.kind == "delegation" && e.from != e.to) {
            if layer[edge.to] < layer[edge.from] + 1 && layer[edge.from] + 1 < n {
                layer[edge.to] = layer[edge.from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let layers = layer.iter().max().copied().unwrap_or(0) + 1;
    let mut slots = vec![0usize; layers];
    let mut position = vec![(0.0, 0.0); n];
    let per_layer: Vec<usize> = (0..layers).map(|l| layer.iter().filter(|&&x| x == l).count()).collect();
    let (box_w, box_h, gap_y) = (170.0, 54.0, 40.0);
    for (i, &l) in layer.iter().enumerate() {
        let count = per_layer[l] as f64;
        let spacing = W / count;
        let x = spacing * (slots[l] as f64 + 0.5) - box_w / 2.0;
        let y = 10.0 + l as f64 * (box_h + gap_y);
        slots[l] += 1;
        position[i] = (x, y);
    }
    let height = 20.0 + layers as f64 * (box_h + gap_y);
    let mut svg = format!(
        "<svg class=\"agent-graph\" viewBox=\"0 0 {W} {height}\" width=\"100%\" role=\"img\" aria-label=\"agent graph\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#64748b\"/></marker></defs>"
    );
    for edge in &graph.edges {
        let (fx, fy) = position[edge.from];
        let (tx, ty) = position[edge.to];
        let (x1, y1) = (fx + box_w / 2.0, fy + box_h);
        let (x2, y2) = (tx + box_w / 2.0, ty);
        let (x2, y2) = if ty <= fy { (tx + box_w / 2.0, ty + box_h) } else { (x2, y2) };
        let (x1, y1) = if ty <= fy { (fx + box_w, fy + box_h / 2.0) } else { (x1, y1) };
        let dash = if edge.kind == "handoff" { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = write!(
            svg,
            "<g class=\"edge edge-{k}\"><path d=\"M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}\" fill=\"none\" stroke=\"#64748b\" stroke-width=\"1.5\"{dash} marker-end=\"url(#arrow)\"/>\
<text x=\"{lx:.1}\" y=\"{ly:.1}\" class=\"edge-label\">{k} ×{c}</text></g>",
            my = (y1 + y2) / 2.0,
            lx = (x1 + x2) / 2.0 + 4.0,
            ly = (y1 + y2) / 2.0,
            k = edge.kind,
            c = edge.count,
        );
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let (x, y) = position[i];
        let class = if node.error_spans > 0 { "node err" } else { "node" };
        let _ = write!(
            svg,
            "<g class=\"{class}\" data-agent=\"{name}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{box_w}\" height=\"{box_h}\" rx=\"6\"/>\
<text x=\"{tx:.1}\" y=\"{ty1:.1}\" class=\"node-name\">{short}</text>\
<text x=\"{tx:.1}\" y=\"{ty2:.1}\" class=\"node-facts\">×{inv} · {llm} LLM · {tools} tools{err}</text></g>",
            name = escape(&node.name),
            short = escape(&rootspan_analysis::text::clip(&node.name, 22)),
            tx = x + 8.0,
            ty1 = y + 22.0,
            ty2 = y + 42.0,
            inv = node.invocations,
            llm = node.llm_calls,
            tools = node.tool_calls,
            err = if node.error_spans > 0 { format!(" · {} err", node.error_spans) } else { String::new() },
        );
    }
    svg.push_str("</svg>");
    section(
        "Agents",
        "agent-graph",
        "Agents as nodes (invocations, calls); delegations solid, handoffs dashed, with counts.",
        &svg,
    )
}

/// Tokens per model step as bars, the context window as a line.
fn token_usage(analysis: &Analysis) -> String {
    let steps = &analysis.token_usage;
    if steps.iter().all(|s| s.input_tokens.is_none() && s.output_tokens.is_none()) {
        return section("Token use per step", "token-usage", "", "<p class=\"sub\">No token counts were recorded.</p>");
    }
    let used: Vec<u64> = steps.iter().map(|s| s.input_tokens.unwrap_or(0) + s.output_tokens.unwrap_or(0)).collect();
    let window = steps.iter().filter_map(|s| s.context_window).max();
    let peak = used.iter().copied().max().unwrap_or(1).max(1);
    // The window is drawn when it is within reach of the bars; otherwise the bars would be flat.
    let window_in_scale = window.filter(|&w| w <= peak.saturating_mul(3));
    let top = (peak.max(window_in_scale.unwrap_or(0)) as f64 * 1.1).max(1.0);
    let (h, left, bottom) = (200.0, 56.0, 22.0);
    let plot_w = W - left - 10.0;
    let bar_w = (plot_w / steps.len().max(1) as f64).min(40.0);
    let y = |v: f64| 10.0 + (h - 10.0 - bottom) * (1.0 - v / top);
    let mut svg = format!(
        "<svg class=\"tokens\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" aria-label=\"token use per step\">"
    );
    let _ = write!(
        svg,
        "<text x=\"4\" y=\"16\" class=\"axis\">{}</text><text x=\"4\" y=\"{:.1}\" class=\"axis\">0</text>",
        html::count(top as u64),
        h - bottom
    );
    for (i, step) in steps.iter().enumerate() {
        let x = left + i as f64 * bar_w;
        let input = step.input_tokens.unwrap_or(0) as f64;
        let output = step.output_tokens.unwrap_or(0) as f64;
        let over = step.share_of_window.is_some_and(|s| s >= 0.9);
        let _ = write!(
            svg,
            "<g class=\"step{over}\"><title>{name}: {i_t} in, {o_t} out{share}</title>\
<rect class=\"in\" x=\"{x:.1}\" y=\"{yi:.1}\" width=\"{bw:.1}\" height=\"{hi:.1}\"/><rect class=\"out\" x=\"{x:.1}\" y=\"{yo:.1}\" width=\"{bw:.1}\" height=\"{ho:.1}\"/></g>",
            over = if over { " near-limit" } else { "" },
            name = escape(&step.span_name),
            i_t = html::count(input as u64),
            o_t = html::count(output as u64),
            share = step.share_of_window.map(|s| format!(", {:.0}% of the window", s * 100.0)).unwrap_or_default(),
            yi = y(input),
            hi = (y(0.0) - y(input)).max(0.0),
            yo = y(input + output),
            ho = (y(input) - y(input + output)).max(0.0),
            bw = (bar_w - 2.0).max(1.0),
        );
    }
    if let (Some(window), None) = (window, window_in_scale) {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{tx}\" y=\"16\">context window {c}: the peak call used {p:.0}%</text>",
            tx = W - 300.0,
            c = html::count(window),
            p = peak as f64 / window as f64 * 100.0
        );
    }
    if let Some(window) = window_in_scale {
        let wy = y(window as f64);
        let _ = write!(
            svg,
            "<line class=\"limit\" x1=\"{left}\" x2=\"{W}\" y1=\"{wy:.1}\" y2=\"{wy:.1}\"/><text class=\"axis\" x=\"{tx}\" y=\"{ty:.1}\">context window {c}</text>",
            tx = W - 200.0,
            ty = wy - 4.0,
            c = html::count(window)
        );
    }
    svg.push_str("</svg>");
    section(
        "Token use per step",
        "token-usage",
        "Input (dark) and output (light) tokens of each model call; the line is the model's context window. Calls at 90% or more are red.",
        &svg,
    )
}

/// Tool calls in run order on a line, data flow as arcs, failed calls and what they reached in red.
fn dependency_graph(analysis: &Analysis) -> String {
    let graph = &analysis.dependency_graph;
    if graph.nodes.is_empty() {
        return section("Tool dependencies", "tool-graph", "", "<p class=\"sub\">No tool calls.</p>");
    }
    let reached: std::collections::BTreeSet<usize> =
        graph.failure_paths.iter().flat_map(|p| p.reaches.iter().copied()).collect();
    let n = graph.nodes.len();
    let step = (W - 40.0) / n.max(1) as f64;
    let h = 170.0;
    let base = 120.0;
    let mut svg = format!(
        "<svg class=\"tool-graph\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" aria-label=\"tool dependency graph\">"
    );
    for edge in &graph.edges {
        let x1 = 20.0 + step * (edge.from as f64 + 0.5);
        let x2 = 20.0 + step * (edge.to as f64 + 0.5);
        let lift = ((x2 - x1).abs() / 2.0).min(100.0);
        let _ = write!(
            svg,
            "<path class=\"flow\" d=\"M{x1:.1},{base} Q{mx:.1},{cy:.1} {x2:.1},{base}\"><title>{}</title></path>",
            escape(&rootspan_analysis::text::clip(&edge.value, 80)),
            mx = (x1 + x2) / 2.0,
            cy = base - lift,
        );
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let x = 20.0 + step * (i as f64 + 0.5);
        let class = if node.failed {
            "tool failed"
        } else if reached.contains(&i) {
            "tool reached"
        } else {
            "tool"
        };
        let _ = write!(
            svg,
            "<a href=\"?span={id}\" data-goto=\"{id}\"><g class=\"{class}\"><circle cx=\"{x:.1}\" cy=\"{base}\" r=\"7\"/><text x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\">{name}</text></g></a>",
            id = escape(&node.span_id),
            name = escape(&rootspan_analysis::text::clip(&node.tool, 14)),
            ty = base + 26.0,
        );
    }
    svg.push_str("</svg>");
    section(
        "Tool dependencies",
        "tool-graph",
        "Tool calls in run order; an arc is a value one call produced and a later one used. Failed calls are red, calls their failure reached orange.",
        &svg,
    )
}

/// A 0..1 series over the run as a line with points.
fn series(id: &str, title: &str, note: &str, points: &[(String, f64, bool)], empty: &str) -> String {
    if points.is_empty() {
        return section(title, id, "", &format!("<p class=\"sub\">{empty}</p>"));
    }
    let h = 160.0;
    let step = (W - 60.0) / (points.len().max(2) - 1) as f64;
    let y = |v: f64| 10.0 + (h - 30.0) * (1.0 - v.clamp(0.0, 1.0));
    let mut svg = format!(
        "<svg class=\"series\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    let _ = write!(
        svg,
        "<text class=\"axis\" x=\"4\" y=\"16\">1</text><text class=\"axis\" x=\"4\" y=\"{:.1}\">0</text>",
        h - 20.0
    );
    let path: Vec<String> =
        points.iter().enumerate().map(|(i, (_, v, _))| format!("{:.1},{:.1}", 40.0 + i as f64 * step, y(*v))).collect();
    let _ = write!(svg, "<polyline class=\"line\" points=\"{}\"/>", path.join(" "));
    for (i, (span_id, value, good)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<a href=\"?span={id}\" data-goto=\"{id}\"><circle class=\"{c}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\"><title>{value:.2}</title></circle></a>",
            id = escape(span_id),
            c = if *good { "pt" } else { "pt bad" },
            x = 40.0 + i as f64 * step,
            y = y(*value),
        );
    }
    svg.push_str("</svg>");
    section(title, id, note, &svg)
}

fn rollback(analysis: &Analysis) -> String {
    if analysis.rollback_points.is_empty() {
        return section(
            "Rollback points",
            "rollback",
            "",
            "<p class=\"sub\">Nothing failed, so there is nothing to roll back.</p>",
        );
    }
    let mut list = String::from("<ol class=\"rollback\">");
    for point in &analysis.rollback_points {
        let _ = write!(
            list,
            "<li>{} <span class=\"score\">{:.2}</span> <span class=\"sub\">{} steps redone · {}</span></li>",
            goto(&point.span_id, &point.span_name),
            point.score,
            point.steps_before_fault,
            escape(&point.reason)
        );
    }
    list.push_str("</ol>");
    section("Rollback points", "rollback", "Where to restart the run from, best first.", &list)
}

fn critical_path(analysis: &Analysis) -> String {
    let mut rows = String::new();
    for entry in analysis.critical_path.iter().filter(|e| e.self_time_ns > 0).take(40) {
        let share = entry.self_time_ns as f64 / analysis.duration_ns.max(1) as f64 * 100.0;
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><span class=\"meter\"><span style=\"width:{share:.1}%\"></span></span> {share:.0}%</td></tr>",
            html::kind_badge(entry.kind),
            goto(&entry.span_id, &entry.span_name),
            html::duration(entry.self_time_ns),
        );
    }
    section(
        "Critical path",
        "critical-path",
        "The spans the end-to-end time waited on, with the time each spent itself.",
        &format!(
            "<table class=\"cp\"><thead><tr><th>Kind</th><th>Span</th><th>Self time</th><th>Share</th></tr></thead><tbody>{rows}</tbody></table>"
        ),
    )
}

fn governance(analysis: &Analysis) -> String {
    if analysis.governance.is_empty() {
        return section(
            "Governance",
            "governance",
            "",
            "<p class=\"sub\">No approvals, pauses, guardrail or policy events, or blocked actions.</p>",
        );
    }
    let mut rows = String::new();
    for event in &analysis.governance {
        let _ = write!(
            rows,
            "<tr class=\"outcome-{o}\"><td>{c}</td><td>{o}</td><td>{s}</td><td>{d}</td></tr>",
            c = event.category.as_str().replace('_', " "),
            o = event.outcome,
            s = goto(&event.span_id, &event.span_name),
            d = escape(&event.detail),
        );
    }
    section(
        "Governance",
        "governance",
        "",
        &format!(
            "<table><thead><tr><th>Category</th><th>Outcome</th><th>Span</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
        ),
    )
}

/// The analyses fragment of the trace page.
pub fn analysis_html(analysis: &Analysis) -> String {
    let confidence: Vec<(String, f64, bool)> =
        analysis.calibration.trajectory.iter().map(|p| (p.span_id.clone(), p.confidence, p.correct)).collect();
    let drift: Vec<(String, f64, bool)> = analysis
        .context_drift
        .steps
        .iter()
        .map(|s| {
            (s.span_id.clone(), s.alignment, Some(&s.span_id) != analysis.context_drift.inflection_span_id.as_ref())
        })
        .collect();
    let calibration = match &analysis.calibration.calibration {
        Some(c) => format!(
            "Brier {:.3}, ECE {:.3} over {} reported confidences; red points were wrong.",
            c.brier, c.ece, c.count
        ),
        None => String::new(),
    };
    [
        agent_graph(analysis),
        token_usage(analysis),
        dependency_graph(analysis),
        series("confidence", "Confidence over the run", &calibration, &confidence, "The run reported no confidences."),
        series(
            "context-drift",
            "Alignment with the request",
            "How closely each model step stays on the user's request (1 = on topic); the red point starts a sustained drop.",
            &drift,
            "No model text to compare.",
        ),
        rollback(analysis),
        critical_path(analysis),
        governance(analysis),
    ]
    .concat()
}
