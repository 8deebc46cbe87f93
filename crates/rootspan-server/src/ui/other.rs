//! The other pages: failure clusters (count, trend, representative trace), sessions and one
//! session, and governance events across traces (searchable).

use super::html::{self, escape, url_encode};
use super::{error_page, render};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::response::Response;
use rootspan_store::TraceFilter;
use std::fmt::Write;

/// `?project=`.
#[derive(Debug, serde::Deserialize, Default)]
pub struct ProjectQuery {
    pub project: Option<String>,
}

fn sparkline(counts: &[u64]) -> String {
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (120.0, 24.0);
    let step = w / counts.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"trend\">"
    );
    for (i, &c) in counts.iter().enumerate() {
        let bar = c as f64 / top * (h - 2.0);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\"><title>{c}</title></rect>",
            i as f64 * step,
            h - bar,
            (step - 1.0).max(1.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `GET /clusters`.
pub async fn clusters(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<ProjectQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = params else {
        return error_page(rootspan_app::AppError::invalid("unknown query parameter (give project=)"));
    };
    let app = state.app.clone();
    render(
        move || {
            let clusters = app.clusters(query.project.as_deref())?;
            let trends = app.signature_trends(query.project.as_deref(), 24)?;
            let states = app.issue_states(query.project.as_deref())?;
            Ok((clusters, trends, states))
        },
        |(clusters, trends, states)| {
            let mut rows = String::new();
            for cluster in &clusters {
                let trend = trends.counts.get(&cluster.signature_id).map(|c| sparkline(c)).unwrap_or_default();
                let state = states.get(&cluster.signature_id).map_or("active", String::as_str);
                let _ = write!(
                    rows,
                    "<tr data-signature-id=\"{sid}\" data-issue-state=\"{state}\"><td class=\"num\">{count}</td><td><span class=\"badge state-{state}\">{state}</span> <code>{det}</code><div class=\"sub\">{sig}</div></td>\
<td>{trend}</td><td>{first}<div class=\"sub\">last {last}</div></td><td>{services}</td>\
<td><a href=\"/traces/{rep}\">{rep_short}</a></td><td><a class=\"button\" href=\"/diff?a={rep}&amp;auto=true\">Diff with a good run</a></td></tr>",
                    sid = escape(&cluster.signature_id),
                    state = escape(state),
                    count = cluster.count,
                    det = escape(&cluster.detector),
                    sig = escape(&cluster.signature),
                    first = html::time(cluster.first_seen_unix_nano),
                    last = html::time(cluster.last_seen_unix_nano),
                    services = escape(&cluster.services.join(", ")),
                    rep = escape(&cluster.representative_trace_id),
                    rep_short = escape(cluster.representative_trace_id.get(..8).unwrap_or("")),
                );
            }
            if clusters.is_empty() {
                rows.push_str("<tr class=\"empty\"><td colspan=\"7\">No failing traces yet.</td></tr>");
            }
            let range = if trends.counts.is_empty() {
                String::new()
            } else {
                format!(" Trend: members per bucket from {} to {} UTC.", html::time(trends.from_unix_nano), html::time(trends.to_unix_nano))
            };
            html::layout(
                "Clusters",
                "clusters",
                &format!(
                    "<section class=\"panel\"><h1>Failure clusters</h1><p class=\"sub\">Failing traces grouped by failure signature; each is an issue (active, resolved, regressed, ignored: <code>rootspan issue ID resolve</code>).{range}</p>\
<table class=\"clusters\"><thead><tr><th>Count</th><th>Signature</th><th>Trend</th><th>First seen (UTC)</th><th>Services</th><th>Representative</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>"
                ),
            )
        },
    )
    .await
}

/// `GET /sessions`.
pub async fn sessions(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<ProjectQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = params else {
        return error_page(rootspan_app::AppError::invalid("unknown query parameter (give project=)"));
    };
    let app = state.app.clone();
    render(
        move || app.sessions(query.project.as_deref(), None, 200),
        |sessions| {
            let mut rows = String::new();
            for s in &sessions {
                let _ = write!(
                    rows,
                    "<tr{cls}><td><a href=\"/sessions/{id_url}\">{id}</a></td><td class=\"num\">{traces}</td><td class=\"num\">{failed}</td>\
<td>{first}</td><td>{last}</td><td class=\"num\">{tokens}</td><td class=\"num\">{cost}</td><td>{recurring}</td></tr>",
                    cls = if s.failed_traces > 0 { " class=\"failed\"" } else { "" },
                    id_url = url_encode(&s.session_id),
                    id = escape(&s.session_id),
                    traces = s.traces,
                    failed = s.failed_traces,
                    first = html::time(s.first_seen_unix_nano),
                    last = html::time(s.last_seen_unix_nano),
                    tokens = html::count(s.total_tokens),
                    cost = html::cost(s.cost_usd),
                    recurring = if s.recurring_signatures.is_empty() { String::new() } else { format!("{} recurring", s.recurring_signatures.len()) },
                );
            }
            if sessions.is_empty() {
                rows.push_str("<tr class=\"empty\"><td colspan=\"8\">No traces carry a session id.</td></tr>");
            }
            html::layout(
                "Sessions",
                "sessions",
                &format!(
                    "<section class=\"panel\"><h1>Sessions</h1><table><thead><tr><th>Session</th><th>Traces</th><th>Failed</th><th>First (UTC)</th><th>Last</th><th>Tokens</th><th>Cost</th><th>Failures</th></tr></thead><tbody>{rows}</tbody></table></section>"
                ),
            )
        },
    )
    .await
}

/// `GET /sessions/{id}`.
pub async fn session(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(session_id): Path<String>,
    params: Result<Query<ProjectQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = params else {
        return error_page(rootspan_app::AppError::invalid("unknown query parameter (give project=)"));
    };
    let app = state.app.clone();
    render(
        move || app.session(&session_id, query.project.as_deref()),
        |detail| {
            let report = &detail.report;
            let mut rows = String::new();
            for entry in &report.traces {
                let t = &entry.trace;
                let signature = t.signatures.iter().filter_map(|s| detail.signatures.get(s)).cloned().collect::<Vec<_>>().join("; ");
                let recurrence = serde_json::to_value(entry.recurrence).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                let _ = write!(
                    rows,
                    "<tr{cls}><td class=\"num\">{pos}</td><td><a href=\"/traces/{id}\">{root}</a></td><td>{when}</td><td class=\"num\">{dur}</td><td>{rec}</td><td class=\"sub\">{sig}</td></tr>",
                    cls = if t.failed { " class=\"failed\"" } else { "" },
                    pos = entry.position,
                    id = escape(&t.trace_id),
                    root = escape(&t.root_name),
                    when = html::time(t.start_time_unix_nano),
                    dur = html::duration(t.duration_ns),
                    rec = escape(&recurrence.replace('_', " ")),
                    sig = escape(&signature),
                );
            }
            html::layout(
                "Session",
                "sessions",
                &format!(
                    "<section class=\"panel\"><h1>Session <code>{id}</code></h1><p>{verdict}</p><table><thead><tr><th>#</th><th>Trace</th><th>Started (UTC)</th><th>Duration</th><th>Failure</th><th>Signature</th></tr></thead><tbody>{rows}</tbody></table></section>",
                    id = escape(&report.summary.session_id),
                    verdict = escape(&report.verdict),
                ),
            )
        },
    )
    .await
}

/// `GET /governance?q=&category=&service=&trace=`.
#[derive(Debug, serde::Deserialize, Default)]
pub struct GovernanceQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub project: Option<String>,
    pub trace: Option<String>,
}

/// `GET /governance`.
pub async fn governance(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<GovernanceQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = params else {
        return error_page(rootspan_app::AppError::invalid(
            "unknown query parameter (give q=, category=, service=, project=, trace=)",
        ));
    };
    let nonblank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let category = match rootspan_app::governance::parse_category(query.category.as_deref()) {
        Ok(category) => category,
        Err(error) => return error_page(error),
    };
    let filter = TraceFilter {
        text: nonblank(&query.q),
        service: nonblank(&query.service),
        project: nonblank(&query.project),
        ..TraceFilter::default()
    };
    let trace = nonblank(&query.trace);
    let app = state.app.clone();
    let shown = (nonblank(&query.q), nonblank(&query.service), category);
    render(
        move || match &trace {
            Some(id) => {
                let id = app.resolve_trace(id)?;
                let mut report = app.governance(&TraceFilter { limit: Some(rootspan_app::governance::MAX_TRACES), ..filter }, category)?;
                report.traces.retain(|t| t.trace_id == rootspan_model::trace_id_hex(&id));
                Ok(report)
            }
            None => app.governance(&filter, category),
        },
        move |report| {
            let (q, service, category) = shown;
            let mut body = String::new();
            let options: String = ["", "approval", "human_in_the_loop", "guardrail", "policy", "blocked_action"]
                .iter()
                .map(|c| {
                    let selected = if !c.is_empty() && category.map(|x| x.as_str()) == Some(*c) { " selected" } else { "" };
                    format!("<option value=\"{c}\"{selected}>{}</option>", if c.is_empty() { "any".to_owned() } else { c.replace('_', " ") })
                })
                .collect();
            let counts: String = report.counts.iter().map(|(c, n)| format!("<span>{n} {}</span>", c.replace('_', " "))).collect();
            let _ = write!(
                body,
                "<section class=\"panel\"><h1>Governance</h1><p class=\"sub\">Approvals, human-in-the-loop pauses, guardrail and policy events, and blocked actions, per trace.</p>\
<form class=\"filters\" method=\"get\" action=\"/governance\"><label>Search<input name=\"q\" value=\"{q}\" placeholder=\"text in the traces\"></label>\
<label>Category<select name=\"category\">{options}</select></label><label>Service<input name=\"service\" value=\"{service}\"></label><button type=\"submit\">Search</button></form>\
<p class=\"facts\">{counts}<span>{scanned} traces read</span></p></section>",
                q = escape(q.as_deref().unwrap_or("")),
                service = escape(service.as_deref().unwrap_or("")),
                scanned = report.traces_scanned,
            );
            for trace in &report.traces {
                let mut rows = String::new();
                for event in &trace.events {
                    let _ = write!(
                        rows,
                        "<tr class=\"outcome-{o}\" data-category=\"{c}\"><td>{c_text}</td><td>{o}</td><td><a href=\"/traces/{t}?span={s}\">{name}</a></td><td>{d}</td></tr>",
                        o = event.outcome,
                        c = event.category.as_str(),
                        c_text = event.category.as_str().replace('_', " "),
                        t = escape(&trace.trace_id),
                        s = escape(&event.span_id),
                        name = escape(&event.span_name),
                        d = escape(&event.detail),
                    );
                }
                let _ = write!(
                    body,
                    "<section class=\"panel\" data-trace-id=\"{id}\"><h2><a href=\"/traces/{id}\">{root}</a> <span class=\"sub\">{service} · {when} UTC</span></h2>\
<table><thead><tr><th>Category</th><th>Outcome</th><th>Span</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table></section>",
                    id = escape(&trace.trace_id),
                    root = escape(&trace.root_name),
                    service = escape(&trace.service),
                    when = html::time(trace.start_time_unix_nano),
                );
            }
            if report.traces.is_empty() {
                body.push_str("<section class=\"panel\"><p>No governance events in the traces read.</p></section>");
            }
            html::layout("Governance", "governance", &body)
        },
    )
    .await
}
