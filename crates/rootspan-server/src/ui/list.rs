//! `GET /`: the trace list, with the CLI's filters and full-text search. Each row shows the
//! OTel status next to the diagnosed failure mode, and a run that "succeeded" with a wrong
//! result stands out. New traces appear live: the script re-fetches the rows (`?fragment=rows`).

use super::html::{self, escape, url_encode};
use super::{html_page, render};
use crate::api::ListQuery;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::Response;
use rootspan_store::TraceListItem;
use std::fmt::Write;

/// The list page's query: the REST list's parameters, and `fragment=rows` for the rows alone.
#[derive(Debug, serde::Deserialize, Default)]
pub struct PageQuery {
    pub project: Option<String>,
    pub service: Option<String>,
    pub status: Option<String>,
    pub min_duration_ms: Option<String>,
    pub model: Option<String>,
    pub tool: Option<String>,
    pub session: Option<String>,
    pub q: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub fragment: Option<String>,
}

const PAGE: usize = 100;

fn blank_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl PageQuery {
    fn to_list_query(&self) -> Result<ListQuery, String> {
        let min_duration_ms = match blank_to_none(self.min_duration_ms.clone()) {
            None => None,
            Some(text) => {
                Some(text.parse::<u64>().map_err(|_| format!("min duration {text:?} is not a whole number of ms"))?)
            }
        };
        Ok(ListQuery {
            project: blank_to_none(self.project.clone()),
            service: blank_to_none(self.service.clone()),
            status: blank_to_none(self.status.clone()),
            min_duration_ms,
            model: blank_to_none(self.model.clone()),
            tool: blank_to_none(self.tool.clone()),
            session: blank_to_none(self.session.clone()),
            q: blank_to_none(self.q.clone()),
            from_ns: None,
            to_ns: None,
            limit: Some(self.limit.unwrap_or(PAGE).clamp(1, 1000)),
            cursor: blank_to_none(self.cursor.clone()),
        })
    }

    /// The query string of the filters (no cursor, no fragment).
    fn filters_query(&self) -> String {
        let pairs = [
            ("project", &self.project),
            ("service", &self.service),
            ("status", &self.status),
            ("min_duration_ms", &self.min_duration_ms),
            ("model", &self.model),
            ("tool", &self.tool),
            ("session", &self.session),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| format!("{k}={}", url_encode(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One row of the list.
pub fn row(item: &TraceListItem) -> String {
    let trace_id = item.trace_id.as_str();
    let status = item.status.as_str();
    let failure_mode = item.failure_mode.as_deref();
    let silent = item.silent_failure;
    let class = if silent {
        "silent"
    } else if status == "error" || failure_mode.is_some() {
        "failed"
    } else {
        ""
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<tr class=\"trace-row {class}\" data-trace-id=\"{id}\" data-status=\"{status}\"{silent_attr}>\
<td class=\"when\">{when}</td>\
<td><a href=\"/traces/{id}\">{root}</a><div class=\"sub\">{service} · <code>{short}</code></div></td>\
<td class=\"num\">{duration}</td><td class=\"num\">{spans}</td><td class=\"num\">{llm} / {tools}</td>\
<td class=\"num\">{tokens}</td><td class=\"num\">{cost}</td>\
<td>{status_badge}</td><td>{verdict}</td></tr>",
        id = escape(trace_id),
        status = escape(status),
        silent_attr = if silent { " data-silent-failure" } else { "" },
        when = html::time(item.start_time_unix_nano),
        root = escape(&item.root_name),
        service = escape(&item.service),
        short = escape(trace_id.get(..8).unwrap_or(trace_id)),
        duration = html::duration(item.duration_ns),
        spans = html::count(item.span_count),
        llm = item.llm_calls,
        tools = item.tool_calls,
        tokens = html::count(item.total_tokens),
        cost = html::cost(item.cost_usd),
        status_badge = html::status_badge(status),
        verdict = html::verdict(status, failure_mode),
    );
    out
}

fn rows(items: &[TraceListItem]) -> String {
    if items.is_empty() {
        return "<tr class=\"empty\"><td colspan=\"9\">No traces match. Send OTLP to this server, or change the filters.</td></tr>".into();
    }
    items.iter().map(row).collect()
}

fn input(name: &str, label: &str, value: &Option<String>, placeholder: &str) -> String {
    format!(
        "<label>{label}<input name=\"{name}\" value=\"{}\" placeholder=\"{placeholder}\"></label>",
        escape(value.as_deref().unwrap_or(""))
    )
}

fn view(query: &PageQuery, items: &[TraceListItem], next_cursor: Option<String>) -> String {
    let status = query.status.as_deref().unwrap_or("");
    let option = |value: &str, label: &str| {
        let selected = if value == status { " selected" } else { "" };
        format!("<option value=\"{value}\"{selected}>{label}</option>")
    };
    let filters = query.filters_query();
    let older = match next_cursor {
        Some(cursor) => {
            let sep = if filters.is_empty() { "" } else { "&" };
            format!(
                "<a class=\"button\" rel=\"next\" href=\"/?{filters}{sep}cursor={}\">Older traces →</a>",
                url_encode(&cursor)
            )
        }
        None => String::new(),
    };
    let live = query.cursor.as_deref().is_none_or(str::is_empty);
    let body = format!(
        "<section class=\"panel\"><form class=\"filters\" method=\"get\" action=\"/\">\
{q}{service}{model}{tool}{session}{min}\
<label>Status<select name=\"status\">{any}{error}{ok}</select></label>{project}\
<button type=\"submit\">Filter</button><a href=\"/\">Clear</a></form></section>\
<section class=\"panel\"><table class=\"traces\" id=\"traces\" data-live=\"{live}\" data-query=\"{filters_attr}\">\
<thead><tr><th>Started (UTC)</th><th>Trace</th><th>Duration</th><th>Spans</th><th>LLM / tools</th><th>Tokens</th><th>Cost</th><th>OTel status</th><th>Diagnosis</th></tr></thead>\
<tbody id=\"trace-rows\">{rows}</tbody></table>\
<p class=\"pager\"><span id=\"live-note\" class=\"sub\">{live_note}</span>{older}</p></section>\
<script type=\"module\" src=\"/ui/list.js\"></script>",
        q = input("q", "Search", &query.q, "text in prompts, outputs, errors"),
        service = input("service", "Service", &query.service, ""),
        model = input("model", "Model", &query.model, ""),
        tool = input("tool", "Tool", &query.tool, ""),
        session = input("session", "Session", &query.session, ""),
        min = input("min_duration_ms", "Min ms", &query.min_duration_ms, ""),
        project = input("project", "Project", &query.project, ""),
        any = option("", "any"),
        error = option("error", "error"),
        ok = option("ok", "ok"),
        filters_attr = escape(&filters),
        rows = rows(items),
        live_note = if live { "Live: new traces appear here." } else { "" },
    );
    html::layout("Traces", "traces", &body)
}

/// `GET /`.
pub async fn page(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let query = match params {
        Ok(Query(query)) => query,
        Err(rejection) => return super::error_page(rootspan_app::AppError::invalid(rejection.body_text())),
    };
    let list_query = match query.to_list_query() {
        Ok(list_query) => list_query,
        Err(message) => return super::error_page(rootspan_app::AppError::invalid(message)),
    };
    let filter = match crate::api::list_filter(list_query) {
        Ok(filter) => filter,
        Err(error) => return super::error_page(error.0),
    };
    let app = state.app.clone();
    let limit = filter.limit.unwrap_or(PAGE);
    let fragment = query.fragment.as_deref() == Some("rows");
    if fragment {
        return match crate::blocking(move || app.list_traces(&filter)).await {
            Ok(items) => html_page(rows(&items)),
            Err(error) => super::error_page(error),
        };
    }
    render(
        move || app.list_traces(&filter),
        move |items| {
            let next = if items.len() == limit {
                items.last().and_then(rootspan_store::ListCursor::after).map(|c| c.encode())
            } else {
                None
            };
            view(&query, &items, next)
        },
    )
    .await
}
