//! The REST API (JSON): list traces, get one trace with all its spans, health.
//!
//! - `GET /api/health` -> `{"status":"ok","spans":N}`
//! - `GET /api/traces?service=&project=&status=error|ok&min_duration_ms=&model=&tool=&session=&q=&from_ns=&to_ns=&limit=`
//!   -> array of trace summaries, newest first
//! - `GET /api/traces/{trace_id}` -> the trace with `summary` and `spans` (404 when unknown)
//! - `GET /api/traces/{trace_id}/diagnosis?expected_answer=` -> the diagnosis (as `rootspan diagnose --json`)
//! - `GET /api/diff?a=TRACE&b=TRACE` -> the step alignment and first divergence (as `rootspan diff --json`)
//! - `GET /api/clusters?project=` -> failure clusters (as `rootspan clusters --json`)

use crate::AppState;
use crate::views::trace_view;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rootspan_model::{SpanTree, parse_trace_id};
use rootspan_store::TraceFilter;
use serde::Deserialize;

/// The API routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/traces", get(list))
        .route("/api/traces/{trace_id}", get(one))
        .route("/api/traces/{trace_id}/diagnosis", get(diagnosis))
        .route("/api/diff", get(diff))
        .route("/api/clusters", get(clusters))
        .with_state(state)
}

fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({"error": message.into()}))).into_response()
}

async fn blocking<T>(f: impl FnOnce() -> Result<T, Response> + Send + 'static) -> Response
where
    T: serde::Serialize + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(response)) => response,
        Err(error) => api_error(StatusCode::INTERNAL_SERVER_ERROR, format!("task failed: {error}")),
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    blocking(move || {
        let spans = store.span_count().map_err(|e| api_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        Ok(serde_json::json!({"status": "ok", "spans": spans}))
    })
    .await
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
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return api_error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let has_error = match query.status.as_deref() {
        None => None,
        Some("error") => Some(true),
        Some("ok") => Some(false),
        Some(other) => return api_error(StatusCode::BAD_REQUEST, format!("status must be error or ok, got {other:?}")),
    };
    let filter = TraceFilter {
        project: query.project,
        service: query.service,
        start_from_unix_nano: query.from_ns,
        start_to_unix_nano: query.to_ns,
        has_error,
        min_duration_ns: query.min_duration_ms.map(|ms| ms.saturating_mul(1_000_000)),
        model: query.model,
        tool: query.tool,
        session_id: query.session,
        text: query.q,
        limit: query.limit,
    };
    let store = state.store.clone();
    blocking(move || store.list_traces(&filter).map_err(|e| api_error(StatusCode::BAD_REQUEST, e.to_string()))).await
}

async fn one(State(state): State<AppState>, Path(trace_id): Path<String>) -> Response {
    let id = match parse_trace_id(&trace_id) {
        Ok(id) => id,
        Err(error) => return api_error(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let store = state.store.clone();
    blocking(move || {
        let spans = store
            .get_trace(&id)
            .map_err(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .ok_or_else(|| api_error(StatusCode::NOT_FOUND, format!("trace {trace_id} not found")))?;
        Ok(trace_view(&SpanTree::build(spans)))
    })
    .await
}

fn load_tree(store: &dyn rootspan_store::TraceStore, text: &str) -> Result<SpanTree, Response> {
    let id = parse_trace_id(text).map_err(|e| api_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    let spans = store
        .get_trace(&id)
        .map_err(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(|| api_error(StatusCode::NOT_FOUND, format!("trace {text} not found")))?;
    Ok(SpanTree::build(spans))
}

/// Query of the diagnosis endpoint.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisQuery {
    pub expected_answer: Option<String>,
}

async fn diagnosis(
    State(state): State<AppState>,
    Path(trace_id): Path<String>,
    Query(query): Query<DiagnosisQuery>,
) -> Response {
    let store = state.store.clone();
    blocking(move || {
        let tree = load_tree(store.as_ref(), &trace_id)?;
        let options =
            rootspan_analysis::DiagnoseOptions { expected_answer: query.expected_answer, ..Default::default() };
        Ok(rootspan_analysis::diagnose(&tree, &options))
    })
    .await
}

/// Query of the diff endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub a: String,
    pub b: String,
}

async fn diff(
    State(state): State<AppState>,
    query: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return api_error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let store = state.store.clone();
    blocking(move || {
        let a = load_tree(store.as_ref(), &query.a)?;
        let b = load_tree(store.as_ref(), &query.b)?;
        Ok(rootspan_analysis::diff::diff_traces(&a, &b))
    })
    .await
}

/// Query of the clusters endpoint.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClustersQuery {
    pub project: Option<String>,
}

async fn clusters(State(state): State<AppState>, Query(query): Query<ClustersQuery>) -> Response {
    let store = state.store.clone();
    blocking(move || {
        crate::analysis::clusters(store.as_ref(), query.project.as_deref())
            .map_err(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    })
    .await
}
