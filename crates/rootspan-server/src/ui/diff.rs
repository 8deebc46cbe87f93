//! `GET /diff?a=TRACE&b=TRACE` (or `?a=TRACE&auto=true`): two runs aligned step by step, each
//! changed field shown with both values, and the first divergence marked
//! (`data-first-divergence`) and scrolled to.

use super::error_page;
use super::html::{self, escape};
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::Response;
use rootspan_analysis::diff::{StepOp, StepSide};
use rootspan_app::analysis::DiffReport;
use std::fmt::Write;

/// The diff page's query.
#[derive(Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DiffPageQuery {
    pub a: Option<String>,
    pub b: Option<String>,
    #[serde(default)]
    pub auto: Option<String>,
}

fn side_html(trace_id: &str, side: Option<&StepSide>) -> String {
    match side {
        None => "<td class=\"side none\">—</td>".into(),
        Some(s) => format!(
            "<td class=\"side\" data-span-id=\"{id}\"><span style=\"padding-left:{pad}px\"></span>{kind} <a href=\"/traces/{trace}?span={id}\">{name}</a> {status} <span class=\"sub\">{dur}</span></td>",
            id = escape(&s.span_id),
            pad = s.depth.min(12) * 10,
            kind = html::kind_badge(s.kind.as_str()),
            trace = escape(trace_id),
            name = escape(&s.name),
            status = if s.status == "error" { html::status_badge("error") } else { String::new() },
            dur = html::duration(s.duration_ns),
        ),
    }
}

fn form(a: &str, b: &str, message: &str) -> String {
    format!(
        "<section class=\"panel\"><h1>Diff two runs</h1><p>{}</p><form class=\"filters\" method=\"get\" action=\"/diff\">\
<label>Run A (failed)<input name=\"a\" value=\"{}\" required></label><label>Run B (good)<input name=\"b\" value=\"{}\"></label>\
<button type=\"submit\">Diff</button><button type=\"submit\" name=\"auto\" value=\"true\">Compare A with the most similar good run</button></form></section>",
        escape(message),
        escape(a),
        escape(b)
    )
}

fn view(report: &DiffReport) -> String {
    let diff = &report.diff;
    let first = diff.first_divergence.as_ref().map(|d| d.step);
    let mut body = String::new();
    let picked = match &report.auto {
        Some(pick) => format!(
            "<p class=\"sub\">Run B was picked as the most similar good run of the same workflow (similarity {:.2}, out of {} candidates).</p>",
            pick.similarity, pick.candidates
        ),
        None => String::new(),
    };
    let divergence = match &diff.first_divergence {
        Some(d) => format!(
            "<p class=\"divergence-note\">First divergence at step {}: {} <a class=\"button\" href=\"#first-divergence\">Show</a></p>",
            d.step + 1,
            escape(&d.reason)
        ),
        None => "<p class=\"ok-note\">The runs do not diverge.</p>".into(),
    };
    let _ = write!(
        body,
        "<section class=\"panel diff-head\"><h1>Diff</h1><table class=\"runs\"><tr><th></th><th>Run A</th><th>Run B</th></tr>\
<tr><td>Trace</td><td><a href=\"/traces/{a}\">{a_root}</a> <code>{a_short}</code></td><td><a href=\"/traces/{b}\">{b_root}</a> <code>{b_short}</code></td></tr>\
<tr><td>Spans</td><td>{a_spans}</td><td>{b_spans}</td></tr><tr><td>Duration</td><td>{a_dur}</td><td>{b_dur}</td></tr>\
<tr><td>Error spans</td><td>{a_err}</td><td>{b_err}</td></tr><tr><td>Tokens</td><td>{a_tok}</td><td>{b_tok}</td></tr></table>\
{picked}<p class=\"facts\"><span>{same} same</span><span>{changed} changed</span><span>{only_a} only in A</span><span>{only_b} only in B</span></p>{divergence}</section>",
        a = escape(&diff.a.trace_id),
        b = escape(&diff.b.trace_id),
        a_root = escape(&diff.a.root_name),
        b_root = escape(&diff.b.root_name),
        a_short = escape(diff.a.trace_id.get(..8).unwrap_or("")),
        b_short = escape(diff.b.trace_id.get(..8).unwrap_or("")),
        a_spans = diff.a.spans,
        b_spans = diff.b.spans,
        a_dur = html::duration(diff.a.duration_ns),
        b_dur = html::duration(diff.b.duration_ns),
        a_err = diff.a.error_spans,
        b_err = diff.b.error_spans,
        a_tok = html::count(diff.a.total_tokens),
        b_tok = html::count(diff.b.total_tokens),
        same = diff.counts.same,
        changed = diff.counts.changed,
        only_a = diff.counts.only_a,
        only_b = diff.counts.only_b,
    );
    body.push_str("<section class=\"panel\"><table class=\"steps\" id=\"steps\"><thead><tr><th>#</th><th>Step</th><th>Run A</th><th>Run B</th><th>What differs</th></tr></thead><tbody>");
    for (index, step) in diff.steps.iter().enumerate() {
        let op = match step.op {
            StepOp::Same => "same",
            StepOp::Changed => "changed",
            StepOp::OnlyA => "only_a",
            StepOp::OnlyB => "only_b",
        };
        let marker = if first == Some(index) { " id=\"first-divergence\" data-first-divergence" } else { "" };
        let mut changes = String::new();
        for change in step.changes.iter().filter(|c| c.material || step.op == StepOp::Changed) {
            let _ = write!(
                changes,
                "<div class=\"change{}\"><code>{}</code> <span class=\"a\">{}</span> → <span class=\"b\">{}</span></div>",
                if change.material { " material" } else { "" },
                escape(&change.field),
                escape(&html_clip(change.a.as_deref().unwrap_or("∅"))),
                escape(&html_clip(change.b.as_deref().unwrap_or("∅"))),
            );
        }
        let _ = write!(
            body,
            "<tr class=\"step op-{op}{enc}\" data-step=\"{index}\"{marker}><td class=\"num\">{n}</td><td><span class=\"op\">{op_text}</span></td>{a}{b}<td>{changes}</td></tr>",
            enc = if step.enclosing { " enclosing" } else { "" },
            n = index + 1,
            op_text = op.replace('_', " "),
            a = side_html(&diff.a.trace_id, step.a.as_ref()),
            b = side_html(&diff.b.trace_id, step.b.as_ref()),
        );
    }
    body.push_str("</tbody></table></section><script type=\"module\">const f=document.getElementById('first-divergence');if(f&&!location.hash){f.scrollIntoView({block:'center'});}</script>");
    html::layout("Diff", "", &body)
}

fn html_clip(text: &str) -> String {
    rootspan_analysis::text::clip(text, 300)
}

/// `GET /diff`.
pub async fn page(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<DiffPageQuery>, QueryRejection>,
) -> Response {
    let query = match params {
        Ok(Query(query)) => query,
        Err(rejection) => return error_page(rootspan_app::AppError::invalid(rejection.body_text())),
    };
    let a = query.a.as_deref().map(str::trim).unwrap_or("").to_owned();
    let b = query.b.as_deref().map(str::trim).unwrap_or("").to_owned();
    let auto = matches!(query.auto.as_deref(), Some("true" | "1" | "on"));
    if a.is_empty() || (b.is_empty() && !auto) {
        return super::html_page(html::layout(
            "Diff",
            "",
            &form(&a, &b, "Give two trace ids (or prefixes), or one and pick its most similar good run."),
        ));
    }
    let app = state.app.clone();
    let (a_text, b_text) = (a.clone(), b.clone());
    match crate::blocking(move || if auto { app.diff_with_good_run(&a_text) } else { app.diff(&a_text, &b_text) }).await
    {
        Ok(report) => super::html_page(view(&report)),
        Err(error) if error.kind != rootspan_app::ErrorKind::Internal => {
            let mut response = super::html_page(html::layout("Diff", "", &form(&a, &b, &error.message)));
            *response.status_mut() = match error.kind {
                rootspan_app::ErrorKind::NotFound => axum::http::StatusCode::NOT_FOUND,
                _ => axum::http::StatusCode::BAD_REQUEST,
            };
            response
        }
        Err(error) => error_page(error),
    }
}
