//! The web UI: server-rendered HTML pages over the same use cases as the REST API, with small
//! JavaScript modules of the project's own (no framework, no build step) for what must run in
//! the browser: the virtualised span tree of huge traces, keyboard moves, live list updates.
//! Assets are compiled into the binary (`include_str!`), so `rootspan serve` is all a user runs.
//!
//! Pages (every view has its own URL, so it can be shared):
//! - `GET /` the trace list (the CLI's filters and full-text search; live updates);
//! - `GET /traces/{id}` one trace: diagnosis, span tree with waterfall, agent graph, analyses;
//!   `?span=ID` opens a span;
//! - `GET /diff?a=&b=` (or `?a=&auto=true`) two runs aligned, the first divergence marked;
//! - `GET /clusters`, `GET /sessions`, `GET /sessions/{id}`, `GET /governance`.
//!
//! Fragments the scripts fetch: `/traces/{id}/fragments/{diagnosis|analysis}`,
//! `/traces/{id}/spans/{span}/fragment`, `/?fragment=rows`.

mod charts;
mod diff;
mod html;
mod list;
mod other;
mod trace;

use crate::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rootspan_app::{AppError, ErrorKind};

pub use html::escape;

/// The UI routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(list::page))
        .route("/traces", get(jump))
        .route("/traces/{trace_id}", get(trace::page))
        .route("/traces/{trace_id}/fragments/{name}", get(trace::fragment))
        .route("/traces/{trace_id}/spans/{span_id}/fragment", get(trace::span_fragment))
        .route("/diff", get(diff::page))
        .route("/clusters", get(other::clusters))
        .route("/sessions", get(other::sessions))
        .route("/sessions/{session_id}", get(other::session))
        .route("/governance", get(other::governance))
        .route("/ui/{file}", get(asset))
        .with_state(state)
}

/// `GET /traces?id=X`: the header's "open trace" box without scripts.
async fn jump(
    axum::extract::Query(query): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    match query.get("id").map(|id| id.trim()).filter(|id| !id.is_empty()) {
        Some(id) => axum::response::Redirect::to(&format!("/traces/{}", html::url_encode(id))).into_response(),
        None => axum::response::Redirect::to("/").into_response(),
    }
}

/// The embedded assets.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../ui/app.css")),
    ("trace.js", "text/javascript; charset=utf-8", include_str!("../../ui/trace.js")),
    ("list.js", "text/javascript; charset=utf-8", include_str!("../../ui/list.js")),
    ("common.js", "text/javascript; charset=utf-8", include_str!("../../ui/common.js")),
];

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "no-cache")], *body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// The Content-Security-Policy of every answer: scripts, styles, images and connections from
/// this server only, no inline or evaluated script, no plugins, no framing, forms post here only.
/// Inline `style` attributes are allowed (the tree and charts position rows and bars with them);
/// they cannot run code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the CSP and its companions to an answer. No CORS header is ever sent: browsers keep
/// other sites' pages from reading any answer.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, axum::http::HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, axum::http::HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    response
}

/// An HTML answer.
fn html_page(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// An error as a page: the status of its kind and the message, inside the layout.
fn error_page(error: AppError) -> Response {
    let status = match error.kind {
        ErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = if error.kind == ErrorKind::Internal {
        "internal error (see the server log)".to_owned()
    } else {
        error.message.clone()
    };
    let body = html::layout(
        "error",
        "",
        &format!(
            "<section class=\"panel error-page\"><h1>{}</h1><p>{}</p></section>",
            status.as_u16(),
            escape(&message)
        ),
    );
    let mut response = html_page(body);
    *response.status_mut() = status;
    if error.kind == ErrorKind::Busy {
        response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
    }
    response
}

/// Runs a use case on a blocking thread; renders its value or its error page.
async fn render<T: Send + 'static>(
    f: impl FnOnce() -> rootspan_app::AppResult<T> + Send + 'static,
    view: impl FnOnce(T) -> String + Send + 'static,
) -> Response {
    match crate::blocking(f).await {
        Ok(value) => html_page(view(value)),
        Err(error) => error_page(error),
    }
}
