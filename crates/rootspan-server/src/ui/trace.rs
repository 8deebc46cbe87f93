//! `GET /traces/{id}`: one trace. The page carries the trace's outline (every span as a compact
//! row) and, for traces small enough to diagnose before the first paint, the diagnosis; the
//! first rows are rendered here, and `trace.js` takes over with a virtualised tree (only the rows
//! in view exist in the page, so 100,000 spans scroll freely), keyboard moves and the detail
//! panel, whose HTML comes from `/traces/{id}/spans/{span}/fragment` when a span is opened. The
//! analyses (agent graph, token use, tool graph, confidence, rollback points) come as a fragment
//! after the first paint.

use super::html::{self, escape, script_json};
use super::{charts, error_page, html_page, render};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::response::Response;
use rootspan_analysis::Diagnosis;
use rootspan_app::outline::{FLAG_CRITICAL, OutlineRow, TraceOutline, TraceOverview};
use rootspan_app::views::SpanPayload;
use std::fmt::Write;

/// Traces up to this many spans are diagnosed before the first paint; larger ones after it.
pub const DIAGNOSE_INLINE: usize = 20_000;
/// Rows rendered by the server (the script renders the rest as they scroll into view).
const FIRST_ROWS: usize = 200;
/// Height of one tree row in pixels (the script uses the same).
const ROW_HEIGHT: usize = 24;

/// The trace page's query.
#[derive(Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TraceQuery {
    /// The span to open.
    pub span: Option<String>,
}

/// One tree row; `trace.js` renders the same markup.
fn tree_row(index: usize, row: &OutlineRow, duration_ns: u64, root_cause: Option<&str>) -> String {
    let OutlineRow(span_id, _, depth, subtree, name, kind, start, duration, _, status, label, _, _, flags) = row;
    let total = duration_ns.max(1) as f64;
    let left = *start as f64 / total * 100.0;
    let width = (*duration as f64 / total * 100.0).max(0.15);
    let mut class = String::from("row");
    if flags & FLAG_CRITICAL != 0 {
        class.push_str(" crit");
    }
    if *status == "error" {
        class.push_str(" err");
    }
    let is_root_cause = root_cause == Some(span_id.as_str());
    if is_root_cause {
        class.push_str(" rc");
    }
    let expanded = if *subtree > 1 { " aria-expanded=\"true\"" } else { "" };
    let twisty = if *subtree > 1 { "▾" } else { "" };
    format!(
        "<div class=\"{class}\" role=\"treeitem\" data-row=\"{index}\" data-span-id=\"{span_id}\"{rc} aria-level=\"{level}\"{expanded} style=\"top:{top}px\">\
<span class=\"c-name\" style=\"padding-left:{pad}px\"><span class=\"tw\">{twisty}</span><span class=\"kind kind-{kind}\">{kind}</span> <span class=\"nm\">{name}</span> <span class=\"lbl\">{label}</span></span>\
<span class=\"c-bar\"><span class=\"bar kind-{kind}\" style=\"left:{left:.3}%;width:{width:.3}%\"></span></span>\
<span class=\"c-dur\">{dur}</span></div>",
        rc = if is_root_cause { " data-root-cause" } else { "" },
        level = depth + 1,
        top = index * ROW_HEIGHT,
        pad = *depth as usize * 14 + 4,
        name = escape(name),
        label = escape(label),
        dur = html::duration(*duration),
    )
}

/// The diagnosis panel: failure mode, root cause, causal chain, findings with evidence.
pub fn diagnosis_html(diagnosis: &Diagnosis) -> String {
    let root_cause = diagnosis.root_cause.as_ref().map(|r| r.span_id.as_str()).unwrap_or("");
    let mut out = format!(
        "<section class=\"panel diagnosis\" id=\"diagnosis\" data-failure-mode=\"{}\" data-root-cause-id=\"{}\">",
        escape(&diagnosis.failure_mode),
        escape(root_cause)
    );
    if diagnosis.failure_mode == "none" {
        out.push_str("<h2>Diagnosis</h2><p class=\"ok-note\">No failure found.</p>");
    } else {
        let _ = write!(out, "<h2>Diagnosis: <span class=\"mode\">{}</span></h2>", escape(&diagnosis.failure_mode));
        if let Some(rc) = &diagnosis.root_cause {
            let _ = write!(
                out,
                "<p>Root cause: <a class=\"goto\" href=\"?span={id}\" data-goto=\"{id}\">{name}</a></p>",
                id = escape(&rc.span_id),
                name = escape(&rc.span_name)
            );
        }
        if !diagnosis.causal_chain.is_empty() {
            out.push_str("<ol class=\"chain\">");
            for link in &diagnosis.causal_chain {
                let _ = write!(
                    out,
                    "<li class=\"role-{role}\"><span class=\"role\">{role_text}</span> <a class=\"goto\" href=\"?span={id}\" data-goto=\"{id}\">{name}</a></li>",
                    role = escape(&link.role),
                    role_text = escape(&link.role.replace('_', " ")),
                    id = escape(&link.span_id),
                    name = escape(&link.span_name)
                );
            }
            out.push_str("</ol>");
        }
    }
    if !diagnosis.findings.is_empty() {
        out.push_str("<h3>Findings</h3><ul class=\"findings\">");
        for finding in &diagnosis.findings {
            let _ = write!(
                out,
                "<li class=\"sev-{sev}\"><span class=\"sev\">{sev}</span> <code>{det}</code> on <a class=\"goto\" href=\"?span={id}\" data-goto=\"{id}\">{name}</a>: {msg}",
                sev = finding.severity.as_str(),
                det = escape(&finding.detector),
                id = escape(&finding.span_id),
                name = escape(&finding.span_name),
                msg = escape(&finding.message)
            );
            for evidence in finding.evidence.iter().take(4) {
                let _ = write!(out, "<blockquote>{}</blockquote>", escape(evidence));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

fn latency_html(outline: &TraceOutline) -> String {
    let total: u64 = outline.latency_by_kind.iter().map(|k| k.self_ns).sum::<u64>().max(1);
    let mut bar = String::new();
    let mut legend = String::new();
    for kind in &outline.latency_by_kind {
        let share = kind.self_ns as f64 / total as f64 * 100.0;
        if share >= 0.5 {
            let _ = write!(
                bar,
                "<span class=\"seg kind-{k}\" style=\"width:{share:.2}%\" title=\"{k}: {d}\"></span>",
                k = kind.kind,
                d = html::duration(kind.self_ns)
            );
        }
        let _ = write!(
            legend,
            "<li><span class=\"swatch kind-{k}\"></span>{k} {d} ({share:.0}%, {n} spans)</li>",
            k = kind.kind,
            d = html::duration(kind.self_ns),
            n = kind.spans
        );
    }
    format!(
        "<section class=\"panel latency\"><h2>Where the time went</h2><div class=\"stack\">{bar}</div><ul class=\"legend\">{legend}</ul>\
<p class=\"sub\">Self time by kind. Critical path: {cp} of {dur}; its spans are outlined in the waterfall.</p></section>",
        cp = html::duration(outline.critical_path_ns),
        dur = html::duration(outline.header.duration_ns),
    )
}

fn head_html(outline: &TraceOutline, diagnosis: Option<&Diagnosis>) -> String {
    let s = &outline.summary;
    let status = if s.error_spans > 0 { "error" } else { "ok" };
    let verdict = match diagnosis {
        Some(d) => html::verdict(status, Some(d.failure_mode.as_str())),
        None => "<span class=\"verdict pending\" id=\"verdict-pending\">diagnosing…</span>".into(),
    };
    format!(
        "<section class=\"panel trace-head\"><h1>{root}</h1>\
<p class=\"meta\"><code class=\"trace-id\">{id}</code> · {service} · {project} · started {start} UTC</p>\
<p class=\"facts\"><span>{dur}</span><span>{spans} spans</span><span>{llm} LLM calls</span><span>{tools} tool calls</span>\
<span>{tokens} tokens</span><span>{cost}</span>{status_badge} <span id=\"verdict\">{verdict}</span></p>\
<p class=\"actions\"><a class=\"button\" href=\"/diff?a={id}&amp;auto=true\" data-compare-good>Compare with the most similar good run</a>\
<a class=\"button\" href=\"/api/v1/traces/{id}\">JSON</a><a class=\"button\" href=\"/governance?q=&amp;trace={id}\">Governance</a></p></section>",
        root = escape(&outline.header.root_name),
        id = escape(&outline.header.trace_id),
        service = escape(&outline.header.service),
        project = escape(&outline.header.project),
        start = html::time(outline.header.start_time_unix_nano),
        dur = html::duration(outline.header.duration_ns),
        spans = html::count(s.spans),
        llm = s.llm_calls,
        tools = s.tool_calls,
        tokens = html::count(s.total_tokens),
        cost = html::cost(s.cost_usd),
        status_badge = html::status_badge(status),
    )
}

fn page_html(overview: &TraceOverview) -> String {
    let outline = &overview.outline;
    let root_cause = overview.diagnosis.as_ref().and_then(|d| d.root_cause.as_ref()).map(|r| r.span_id.as_str());
    let mut first_rows = String::new();
    for (index, row) in outline.rows.iter().take(FIRST_ROWS).enumerate() {
        first_rows.push_str(&tree_row(index, row, outline.header.duration_ns, root_cause));
    }
    let diagnosis = match &overview.diagnosis {
        Some(d) => diagnosis_html(d),
        None => "<section class=\"panel diagnosis pending\" id=\"diagnosis\"><h2>Diagnosis</h2><p>Diagnosing this trace…</p></section>".into(),
    };
    let detail = match &overview.selected {
        Some(payload) => span_detail_html(payload),
        None => "<p class=\"sub\">Select a span (click, or arrow keys and Enter) to see its messages, tool call, tokens, cost and errors.</p>".into(),
    };
    let boot = serde_json::json!({
        "outline": outline,
        "diagnosis": overview.diagnosis,
        "selected": overview.selected.as_ref().map(|p| p.span_id.clone()),
        "row_height": ROW_HEIGHT,
    });
    let body = format!(
        "<div class=\"trace-page\" data-trace-id=\"{id}\">{head}{diagnosis}{latency}\
<section class=\"panel tree-panel\"><div class=\"tree-tools\"><button type=\"button\" data-action=\"expand-all\">Expand all</button>\
<button type=\"button\" data-action=\"collapse-all\">Collapse all</button><button type=\"button\" data-action=\"goto-root-cause\">Go to root cause</button>\
<span class=\"sub\">↑↓ move · ← → collapse/expand · Enter opens · {rows} rows</span></div>\
<div class=\"split\"><div class=\"tree-wrap\"><div class=\"tree-header\"><span class=\"c-name\">Span</span><span class=\"c-bar\">Timeline ({dur})</span><span class=\"c-dur\">Duration</span></div>\
<div id=\"tree\" class=\"tree\" role=\"tree\" tabindex=\"0\" aria-label=\"span tree\" style=\"height:min(70vh, {tree_height}px)\"><div id=\"tree-inner\" class=\"tree-inner\" style=\"height:{height}px\">{first_rows}</div></div></div>\
<aside id=\"detail\" class=\"detail-panel\" aria-live=\"polite\">{detail}</aside></div></section>\
<div id=\"analysis\" class=\"analysis\"><section class=\"panel\"><p class=\"sub\">Loading the analyses…</p></section></div></div>\
<script type=\"application/json\" id=\"boot\">{boot}</script><script type=\"module\" src=\"/ui/trace.js\"></script>",
        id = escape(&outline.header.trace_id),
        head = head_html(outline, overview.diagnosis.as_ref()),
        latency = latency_html(outline),
        rows = html::count(outline.rows.len() as u64),
        dur = html::duration(outline.header.duration_ns),
        height = outline.rows.len() * ROW_HEIGHT,
        tree_height = outline.rows.len() * ROW_HEIGHT + 4,
        boot = script_json(&boot),
    );
    html::layout(&outline.header.root_name, "traces", &body)
}

/// `GET /traces/{id}`.
pub async fn page(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(trace_id): Path<String>,
    params: Result<Query<TraceQuery>, QueryRejection>,
) -> Response {
    let query = match params {
        Ok(Query(query)) => query,
        Err(rejection) => return error_page(rootspan_app::AppError::invalid(rejection.body_text())),
    };
    let app = state.app.clone();
    render(move || app.trace_overview(&trace_id, DIAGNOSE_INLINE, query.span.as_deref()), |o| page_html(&o)).await
}

/// `GET /traces/{id}/fragments/{diagnosis|analysis}`.
pub async fn fragment(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path((trace_id, name)): Path<(String, String)>,
) -> Response {
    let app = state.app.clone();
    match name.as_str() {
        "diagnosis" => render(move || app.diagnose(&trace_id, &Default::default()), |d| diagnosis_html(&d)).await,
        "analysis" => render(move || app.analyze(&trace_id, &Default::default()), |a| charts::analysis_html(&a)).await,
        other => error_page(rootspan_app::AppError::not_found(format!("no fragment {other:?}"))),
    }
}

/// `GET /traces/{id}/spans/{span}/fragment`: the detail panel of one span.
pub async fn span_fragment(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path((trace_id, span_id)): Path<(String, String)>,
) -> Response {
    let app = state.app.clone();
    match crate::blocking(move || app.span_payload(&trace_id, &span_id)).await {
        Ok(payload) => html_page(span_detail_html(&payload)),
        Err(error) => error_page(error),
    }
}

fn message_html(out: &mut String, message: &rootspan_model::Message) {
    let role = if message.role.is_empty() { "message" } else { message.role.as_str() };
    let _ = write!(out, "<div class=\"msg role-{r}\"><div class=\"who\">{r}", r = escape(role));
    if let Some(name) = &message.name {
        let _ = write!(out, " · {}", escape(name));
    }
    if let Some(id) = &message.tool_call_id {
        let _ = write!(out, " <span class=\"sub\">(answers {})</span>", escape(id));
    }
    out.push_str("</div>");
    if !message.content.is_empty() {
        if message.role == "tool" {
            out.push_str(&html::pre_json(&message.content));
        } else {
            let _ = write!(out, "<div class=\"text\">{}</div>", escape(&message.content));
        }
    }
    for call in &message.tool_calls {
        let _ = write!(
            out,
            "<div class=\"tool-call\"><span class=\"sub\">calls</span> <code>{}</code>",
            escape(&call.name)
        );
        out.push_str(&html::pre_json(&call.arguments));
        out.push_str("</div>");
    }
    out.push_str("</div>");
}

/// The detail panel of one span: facts, error, tool call, conversation, raw attributes.
pub fn span_detail_html(payload: &SpanPayload) -> String {
    let view = &payload.gen_ai;
    let mut out = format!(
        "<div class=\"detail\" data-detail-span=\"{id}\"><h2>{name}</h2><p>{kind} {status} <code>{id}</code></p><dl class=\"facts\">",
        id = escape(&payload.span_id),
        name = escape(&payload.name),
        kind = html::kind_badge(payload.kind),
        status = html::status_badge(payload.status),
    );
    let mut fact = |label: &str, value: String| {
        if !value.is_empty() {
            let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", escape(&value));
        }
    };
    fact("Duration", html::duration(payload.duration_ns));
    fact("Started", format!("{} UTC", html::time(payload.start_time_unix_nano)));
    fact("Service", payload.service.clone());
    fact("Operation", view.operation.clone().unwrap_or_default());
    fact("Model", view.model.clone().unwrap_or_default());
    fact("Provider", view.provider.clone().unwrap_or_default());
    fact("Agent", view.agent_name.clone().unwrap_or_default());
    fact("Tool", view.tool_name.clone().unwrap_or_default());
    fact("Input tokens", view.input_tokens.map(html::count).unwrap_or_default());
    fact("Output tokens", view.output_tokens.map(html::count).unwrap_or_default());
    fact("Cached input tokens", view.cached_input_tokens.map(html::count).unwrap_or_default());
    fact("Cost", view.cost_usd.map(html::cost).unwrap_or_default());
    fact("Finish", view.finish_reasons.join(", "));
    fact("Session", view.session_id.clone().unwrap_or_default());
    out.push_str("</dl>");
    if payload.status == "error" || view.error_type.is_some() || view.error_message.is_some() {
        let _ = write!(
            out,
            "<div class=\"error-box\"><strong>{}</strong> {}</div>",
            escape(view.error_type.as_deref().unwrap_or("error")),
            escape(view.error_message.as_deref().unwrap_or(&payload.status_message))
        );
    }
    if view.tool_arguments.is_some() || view.tool_result.is_some() {
        out.push_str("<h3>Tool call</h3>");
        if let Some(arguments) = &view.tool_arguments {
            out.push_str("<div class=\"sub\">arguments</div>");
            out.push_str(&html::pre_json(arguments));
        }
        match view.tool_result.as_deref() {
            Some("") => out.push_str("<div class=\"sub\">result</div><p class=\"warn\">(empty result)</p>"),
            Some(result) => {
                out.push_str("<div class=\"sub\">result</div>");
                out.push_str(&html::pre_json(result));
            }
            None => {}
        }
    }
    let has_messages = !view.input_messages.is_empty() || !view.output_messages.is_empty();
    if has_messages || view.system_instructions.is_some() {
        out.push_str("<h3>Conversation</h3><div class=\"conversation\">");
        if let Some(system) = &view.system_instructions {
            let _ = write!(
                out,
                "<div class=\"msg role-system\"><div class=\"who\">system</div><div class=\"text\">{}</div></div>",
                escape(system)
            );
        }
        for message in &view.input_messages {
            message_html(&mut out, message);
        }
        if !view.output_messages.is_empty() {
            out.push_str("<div class=\"divider\">response</div>");
        }
        for message in &view.output_messages {
            message_html(&mut out, message);
        }
        out.push_str("</div>");
    }
    if !has_messages && view.tool_arguments.is_none() {
        if let Some(input) = &view.input_text {
            out.push_str("<h3>Input</h3>");
            out.push_str(&html::pre_json(input));
        }
        if let Some(output) = &view.output_text {
            out.push_str("<h3>Output</h3>");
            out.push_str(&html::pre_json(output));
        }
    }
    let raw = serde_json::json!({
        "attributes": payload.attributes,
        "events": payload.events,
        "resource": payload.resource,
        "scope": payload.scope,
        "logs": payload.logs,
    });
    let _ = write!(
        out,
        "<details class=\"raw\"><summary>Raw attributes, events, resource and logs</summary><pre class=\"json\">{}</pre></details></div>",
        escape(&serde_json::to_string_pretty(&raw).unwrap_or_default())
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_cause_row_is_marked_and_names_are_escaped() {
        let row = OutlineRow(
            "00000000000000ab".into(),
            -1,
            0,
            3,
            "<b>run</b>".into(),
            "agent",
            0,
            10,
            5,
            "ok",
            String::new(),
            0,
            0.0,
            FLAG_CRITICAL,
        );
        let html = tree_row(0, &row, 10, Some("00000000000000ab"));
        assert!(html.contains("data-span-id=\"00000000000000ab\" data-root-cause"));
        assert!(html.contains("&lt;b&gt;run&lt;/b&gt;"));
        assert!(html.contains("class=\"row crit rc\""));
    }
}
