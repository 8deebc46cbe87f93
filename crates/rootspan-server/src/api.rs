//! The REST API (JSON), a thin adapter over the use cases. Trace ids may be abbreviated to a
//! unique prefix of at least 4 hex digits, as on the command line.
//!
//! - `GET /api/health` -> `{"status":"ok","spans":N}`
//! - `GET /api/traces?service=&project=&status=error|ok&min_duration_ms=&model=&tool=&session=&q=&from_ns=&to_ns=&limit=`
//!   -> array of trace summaries, newest first
//! - `GET /api/traces/{trace_id}` -> the trace with `summary` and `spans` (as `rootspan show --json`)
//! - `GET /api/traces/{trace_id}/diagnosis?expected_answer=` -> the diagnosis (as `rootspan diagnose --json`)
//! - `GET /api/traces/{trace_id}/analysis` -> the seed analyses (as `rootspan analyze --json`)
//! - `GET /api/traces/{trace_id}/outline` -> every span as one compact row in tree order (the
//!   web UI's tree of huge traces)
//! - `GET /api/governance?q=&category=&service=&project=&limit=` -> approvals, pauses, guardrail
//!   and policy events, blocked actions across traces
//! - `GET /api/traces/{trace_id}/spans?cursor=&limit=` -> a page of the trace's spans (narrow
//!   columns, no payloads, span id order) and `next_cursor`; huge traces are read this way
//! - `GET /api/traces/{trace_id}/spans/{span_id}` -> one span's whole payload
//! - `GET /api/diff?a=TRACE&b=TRACE` or `?a=TRACE&auto=true` -> the step alignment and first
//!   divergence (as `rootspan diff --json`)
//! - `GET /api/clusters?project=` -> failure clusters (as `rootspan clusters --json`)
//! - `GET /api/sessions?project=&service=&limit=` -> sessions (as `rootspan sessions --json`)
//! - `GET /api/sessions/{session_id}?project=` -> one session (as `rootspan session ID --json`)
//! - `POST /mcp` -> the MCP tools over streamable HTTP (JSON answers)
//! - `GET /metrics` -> the server's counters in Prometheus format ([`crate::metrics`]); every
//!   route above is timed into its latency histogram
//!
//! Errors are `{"error": "message"}`: 400 for a malformed id or parameter (the message names
//! it), 404 for an unknown trace or session, 503 with `Retry-After` when the store is busy, 500
//! with no internal detail.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rootspan_app::AppError;
use rootspan_store::TraceFilter;
use serde::Deserialize;

/// The API routes: everything under `/api/v1/`, today's `/api/` routes as aliases (the one
/// difference: `/api/v1/traces` answers a page object with `next_cursor`, `/api/traces` the bare
/// array it always answered), the OpenAPI document, and MCP.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", routes().route("/traces", get(list_page)).route("/openapi.json", get(openapi)))
        .nest("/api", routes().route("/traces", get(list)))
        .route("/mcp", axum::routing::post(mcp).get(mcp_stream).delete(mcp_end))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .route("/metrics", get(crate::metrics::scrape))
        .with_state(state)
}

/// The routes both prefixes share.
fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/traces/{trace_id}", get(one))
        .route("/traces/{trace_id}/diagnosis", get(diagnosis))
        .route("/traces/{trace_id}/analysis", get(analysis))
        .route("/traces/{trace_id}/outline", get(outline))
        .route("/traces/{trace_id}/spans", get(span_page))
        .route("/traces/{trace_id}/spans/{span_id}", get(span_payload))
        .route("/diff", get(diff))
        .route("/clusters", get(clusters))
        .route("/issues", get(issues))
        .route("/issues/{issue_id}", get(issue))
        .route("/issues/{issue_id}/{action}", axum::routing::post(issue_action))
        .route("/sessions", get(sessions))
        .route("/sessions/{session_id}", get(session))
        .route("/governance", get(governance))
}

/// The OpenAPI document of the versioned API.
async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}

/// Runs a use case on a blocking thread and answers its value as JSON, or its error.
async fn answer<T: serde::Serialize + Send + 'static>(
    f: impl FnOnce() -> rootspan_app::AppResult<T> + Send + 'static,
) -> Response {
    match crate::blocking(f).await {
        Ok(value) => Json(value).into_response(),
        Err(error) => ApiError(error).into_response(),
    }
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|rejection| ApiError(AppError::invalid(rejection.body_text())))
}

async fn health(crate::auth::Scoped(state): crate::auth::Scoped) -> Response {
    let app = state.app.clone();
    answer(move || app.health()).await
}

/// Query parameters of the trace list.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub project: Option<String>,
    pub service: Option<String>,
    pub status: Option<String>,
    pub min_duration_ms: Option<u64>,
    pub model: Option<String>,
    pub tool: Option<String>,
    pub session: Option<String>,
    pub q: Option<String>,
    pub from_ns: Option<u64>,
    pub to_ns: Option<u64>,
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The largest page of the versioned trace list.
const MAX_LIST_PAGE: usize = 1_000;
/// Its page size when none is given.
const DEFAULT_LIST_PAGE: usize = 100;

pub(crate) fn list_filter(params: ListQuery) -> Result<TraceFilter, ApiError> {
    let has_error = match params.status.as_deref() {
        None => None,
        Some("error") => Some(true),
        Some("ok") => Some(false),
        Some(other) => return Err(ApiError(AppError::invalid(format!("status must be error or ok, got {other:?}")))),
    };
    let after = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            rootspan_store::ListCursor::decode(text)
                .ok_or_else(|| ApiError(AppError::invalid(format!("cursor {text:?} is not a cursor this API gave"))))?,
        ),
    };
    Ok(TraceFilter {
        project: params.project,
        service: params.service,
        start_from_unix_nano: params.from_ns,
        start_to_unix_nano: params.to_ns,
        has_error,
        min_duration_ns: params.min_duration_ms.map(|ms| ms.saturating_mul(1_000_000)),
        model: params.model,
        tool: params.tool,
        session_id: params.session,
        text: params.q,
        limit: params.limit,
        after,
    })
}

/// `GET /api/v1/traces`: one page of the list and the cursor of the next (`null` after the last).
async fn list_page(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let mut filter = match query(params).and_then(list_filter) {
        Ok(filter) => filter,
        Err(error) => return error.into_response(),
    };
    let limit = filter.limit.unwrap_or(DEFAULT_LIST_PAGE);
    if limit == 0 || limit > MAX_LIST_PAGE {
        return ApiError(AppError::invalid(format!("limit must be between 1 and {MAX_LIST_PAGE}, got {limit}")))
            .into_response();
    }
    filter.limit = Some(limit);
    let app = state.app.clone();
    answer(move || {
        let traces = app.list_traces(&filter)?;
        let next_cursor = if traces.len() == limit {
            traces.last().and_then(rootspan_store::ListCursor::after).map(|c| c.encode())
        } else {
            None
        };
        Ok(serde_json::json!({"traces": traces, "next_cursor": next_cursor}))
    })
    .await
}

async fn list(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let filter = match query(params).and_then(list_filter) {
        Ok(filter) => filter,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || app.list_traces(&filter)).await
}

async fn one(crate::auth::Scoped(state): crate::auth::Scoped, Path(trace_id): Path<String>) -> Response {
    let app = state.app.clone();
    answer(move || app.trace_view(&trace_id)).await
}

/// Query of a page of spans.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SpanPageQuery {
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

async fn span_page(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(trace_id): Path<String>,
    params: Result<Query<SpanPageQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || app.span_page(&trace_id, params.cursor.as_deref(), params.limit)).await
}

async fn span_payload(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path((trace_id, span_id)): Path<(String, String)>,
) -> Response {
    let app = state.app.clone();
    answer(move || app.span_payload(&trace_id, &span_id)).await
}

/// Query of the diagnosis endpoint.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisQuery {
    pub expected_answer: Option<String>,
}

async fn diagnosis(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(trace_id): Path<String>,
    params: Result<Query<DiagnosisQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    let options = rootspan_analysis::DiagnoseOptions { expected_answer: params.expected_answer, ..Default::default() };
    answer(move || app.diagnose(&trace_id, &options)).await
}

async fn analysis(crate::auth::Scoped(state): crate::auth::Scoped, Path(trace_id): Path<String>) -> Response {
    let app = state.app.clone();
    answer(move || app.analyze(&trace_id, &rootspan_analysis::AnalyzeOptions::default())).await
}

/// Query of the diff endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub a: String,
    pub b: Option<String>,
    /// Compare with the most similar successful run of the same workflow.
    #[serde(default)]
    pub auto: bool,
}

async fn diff(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<DiffQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    match (params.b, params.auto) {
        (Some(b), false) => answer(move || app.diff(&params.a, &b)).await,
        (None, true) => answer(move || app.diff_with_good_run(&params.a)).await,
        (Some(_), true) => ApiError(AppError::invalid("give either b or auto=true, not both")).into_response(),
        (None, false) => ApiError(AppError::invalid("b: give the second trace, or auto=true")).into_response(),
    }
}

/// Query of the clusters endpoint.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClustersQuery {
    pub project: Option<String>,
}

async fn clusters(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<ClustersQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || app.clusters(params.project.as_deref())).await
}

/// Query of the issue list and of one issue.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IssuesQuery {
    pub project: Option<String>,
    pub state: Option<String>,
    /// The cause kept with a state change.
    pub cause: Option<String>,
}

async fn issues(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<IssuesQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || {
        let mut issues = app.issues(params.project.as_deref())?;
        if let Some(wanted) = &params.state {
            issues.retain(|i| &i.state == wanted);
        }
        Ok(issues)
    })
    .await
}

async fn issue(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(issue_id): Path<String>,
    params: Result<Query<IssuesQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || {
        let issue = app.issue(&issue_id, params.project.as_deref())?;
        let history = app.issue_history(&issue.id)?;
        Ok(serde_json::json!({"issue": issue, "history": history}))
    })
    .await
}

async fn issue_action(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path((issue_id, action)): Path<(String, String)>,
    params: Result<Query<IssuesQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || {
        let action = rootspan_evals::issues::Action::parse(&action).ok_or_else(|| {
            rootspan_app::AppError::invalid(format!("unknown action {action:?}: resolve, reopen or ignore"))
        })?;
        app.issue_action(&issue_id, action, params.cause.as_deref(), params.project.as_deref())
    })
    .await
}

/// Query of the session list.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SessionsQuery {
    pub project: Option<String>,
    pub service: Option<String>,
    pub limit: Option<usize>,
}

async fn sessions(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<SessionsQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || app.sessions(params.project.as_deref(), params.service.as_deref(), params.limit.unwrap_or(50))).await
}

async fn session(
    crate::auth::Scoped(state): crate::auth::Scoped,
    Path(session_id): Path<String>,
    params: Result<Query<ClustersQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let app = state.app.clone();
    answer(move || app.session(&session_id, params.project.as_deref())).await
}

/// MCP over streamable HTTP: one JSON-RPC message per POST, answered as `application/json`
/// (notifications get 202 and no body).
async fn mcp(crate::auth::Scoped(state): crate::auth::Scoped, body: axum::body::Bytes) -> Response {
    let server = rootspan_mcp::McpServer::new(state.app.clone());
    let text = String::from_utf8_lossy(&body).into_owned();
    match crate::blocking(move || Ok(server.handle_text(&text))).await {
        Ok(Some(answer)) => Json(answer).into_response(),
        Ok(None) => axum::http::StatusCode::ACCEPTED.into_response(),
        Err(error) => ApiError(error).into_response(),
    }
}

/// This server sends nothing unprompted, so it offers no event stream.
async fn mcp_stream() -> Response {
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, [(axum::http::header::ALLOW, "POST")]).into_response()
}

/// Sessions hold no state here; ending one is always fine.
async fn mcp_end() -> Response {
    axum::http::StatusCode::OK.into_response()
}

async fn outline(crate::auth::Scoped(state): crate::auth::Scoped, Path(trace_id): Path<String>) -> Response {
    let app = state.app.clone();
    answer(move || app.trace_outline(&trace_id)).await
}

/// Query of the governance endpoint.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GovernanceQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub project: Option<String>,
    pub limit: Option<usize>,
}

async fn governance(
    crate::auth::Scoped(state): crate::auth::Scoped,
    params: Result<Query<GovernanceQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let category = match rootspan_app::governance::parse_category(params.category.as_deref()) {
        Ok(category) => category,
        Err(error) => return ApiError(error).into_response(),
    };
    if let Some(limit) = params.limit
        && !(1..=rootspan_app::governance::MAX_TRACES).contains(&limit)
    {
        return ApiError(AppError::invalid(format!(
            "limit must be between 1 and {}, got {limit}",
            rootspan_app::governance::MAX_TRACES
        )))
        .into_response();
    }
    let filter = TraceFilter {
        text: params.q.filter(|q| !q.is_empty()),
        service: params.service,
        project: params.project,
        limit: params.limit,
        ..TraceFilter::default()
    };
    let app = state.app.clone();
    answer(move || app.governance(&filter, category)).await
}
