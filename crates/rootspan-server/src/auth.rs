//! Who may use the HTTP listener, checked before any route runs ([`guard`]):
//!
//! 1. **Host guard** (DNS rebinding): a request whose `Host` (or HTTP/2 authority) is not the
//!    listener's own name or address gets 403. Allowed: `localhost`, loopback addresses, the
//!    bound address (any IP address when bound to an unspecified one, since rebinding needs a
//!    name), and the names given with `--allowed-host`. A request without any host is no
//!    browser's, and is let through.
//! 2. **Keys**: once any key exists, a request without a valid key gets 401 with a message that
//!    says nothing about projects. The key comes from `Authorization: Bearer KEY`, else the
//!    `rootspan_key` session cookie; `GET ...?key=KEY` (the UI's sign-in form) sets that cookie
//!    and redirects to the same page without the key.
//! 3. **Roles**: OTLP writes need `ingest` or `admin`; queries, the UI, MCP and health need
//!    `read` or `admin`; `/metrics` (counters of the whole server) needs `admin`. The UI's
//!    static assets need nothing.
//! 4. **Scope**: the handlers get the application scoped to the key's project ([`Scoped`]), so
//!    reads see only that project and writes land in it.
//!
//! OTLP/gRPC checks the same keys in its own handler ([`crate::grpc`]).

use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rootspan_app::App;
use rootspan_app::auth::{Access, Principal, Role};
use std::net::IpAddr;

/// The session cookie the UI's sign-in sets.
pub const COOKIE: &str = "rootspan_key";

/// The answer to a request without a valid key; the same whatever the key or project.
pub const UNAUTHENTICATED: &str = "a valid API key is required (Authorization: Bearer KEY)";

/// The application a handler should use: scoped to the caller's project when the caller
/// presented a key, else the server's own.
pub struct Scoped(pub AppState);

#[derive(Clone)]
struct ScopedApp(App);

impl FromRequestParts<AppState> for Scoped {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut state = state.clone();
        if let Some(ScopedApp(app)) = parts.extensions.get::<ScopedApp>() {
            state.app = app.clone();
        }
        Ok(Scoped(state))
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Write,
    Read,
    Admin,
}

fn need_of(method: &axum::http::Method, path: &str) -> Need {
    let issue_change =
        method == axum::http::Method::POST && (path.starts_with("/api/v1/issues/") || path.starts_with("/api/issues/"));
    if path.starts_with("/v1/") {
        Need::Write
    } else if issue_change {
        // Changing an issue's state is an admin's decision.
        Need::Admin
    } else if path == "/metrics" {
        Need::Admin
    } else if path.starts_with("/ui/") {
        Need::Nothing
    } else {
        Need::Read
    }
}

fn allows(role: Role, need: Need) -> bool {
    match need {
        Need::Nothing => true,
        Need::Write => role.can_write(),
        Need::Read => role.can_read(),
        Need::Admin => role == Role::Admin,
    }
}

/// The host part of a `Host` value, lowercased, without port or brackets' port.
fn host_name(value: &str) -> String {
    let value = value.trim().to_ascii_lowercase();
    let name = if let Some(rest) = value.strip_prefix('[') {
        rest.split(']').next().unwrap_or("").to_owned()
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
            _ => value,
        }
    };
    name.trim_end_matches('.').to_owned()
}

/// Whether a listener bound to `bound` answers for this host name.
pub fn host_allowed(host: &str, bound: IpAddr, allowed: &[String]) -> bool {
    let name = host_name(host);
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return ip.is_loopback() || ip == bound || bound.is_unspecified();
    }
    allowed.iter().any(|a| host_name(a) == name)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then(|| value.trim().to_owned())
    })
}

/// The `key` query parameter, and the query without it.
fn query_key(query: Option<&str>) -> Option<(String, String)> {
    let query = query?;
    let mut key = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.strip_prefix("key=") {
            Some(value) => key = Some(url_decode(value)),
            None if !pair.is_empty() => rest.push(pair),
            None => {}
        }
    }
    key.map(|key| (key, rest.join("&")))
}

/// Percent-decoding of a query value (`+` is a space).
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("zz"), 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

fn unauthenticated(headers: &HeaderMap) -> Response {
    let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
    if wants_html(headers) {
        let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rootspan: sign in</title>\
<link rel=\"stylesheet\" href=\"/ui/app.css\"></head><body><main><h1>rootspan</h1>\
<p>This server requires an API key with the read role.</p>\
<form method=\"get\"><label>API key <input type=\"password\" name=\"key\" autocomplete=\"off\" required></label> \
<button type=\"submit\">Sign in</button></form></main></body></html>";
        return (StatusCode::UNAUTHORIZED, challenge, axum::response::Html(page)).into_response();
    }
    (StatusCode::UNAUTHORIZED, challenge, axum::Json(serde_json::json!({"error": UNAUTHENTICATED}))).into_response()
}

fn forbidden(message: &str) -> Response {
    (StatusCode::FORBIDDEN, axum::Json(serde_json::json!({"error": message}))).into_response()
}

/// Authenticates a presented key on a blocking thread (the store is synchronous).
pub async fn authenticate(app: &App, key: Option<String>) -> Result<Access, rootspan_app::AppError> {
    let app = app.clone();
    crate::blocking(move || app.authenticate(key.as_deref())).await
}

/// The middleware of the HTTP listener; see the module documentation.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    if let Some(host) = host
        && !host_allowed(&host, state.config.http_addr.ip(), &state.config.allowed_hosts)
    {
        state.metrics.host_refused();
        return forbidden("this server does not answer for that host name (see serve --allowed-host)");
    }
    let need = need_of(request.method(), request.uri().path());
    if need == Need::Nothing {
        return next.run(request).await;
    }
    let from_query = if request.method() == axum::http::Method::GET { query_key(request.uri().query()) } else { None };
    let key = bearer(request.headers())
        .or_else(|| from_query.as_ref().map(|(key, _)| key.clone()))
        .or_else(|| cookie(request.headers()));
    let access = match authenticate(&state.app, key.clone()).await {
        Ok(access) => access,
        Err(error) => return crate::error::ApiError(error).into_response(),
    };
    let principal: Option<Principal> = match access {
        Access::Open => None,
        Access::Denied => {
            state.metrics.auth_refused();
            return unauthenticated(request.headers());
        }
        Access::Key(principal) => Some(principal),
    };
    if let Some((key, rest)) = from_query {
        // The sign-in form: keep the key in an HttpOnly cookie, not in the address bar.
        let location =
            if rest.is_empty() { request.uri().path().to_owned() } else { format!("{}?{rest}", request.uri().path()) };
        let cookie = format!("{COOKIE}={key}; HttpOnly; SameSite=Strict; Path=/");
        return (StatusCode::SEE_OTHER, [(header::LOCATION, location), (header::SET_COOKIE, cookie)]).into_response();
    }
    if let Some(principal) = principal {
        if !allows(principal.role, need) {
            state.metrics.auth_refused();
            return forbidden(match need {
                Need::Write => "this key may not send traces (it needs the ingest or admin role)",
                Need::Admin => "this key may not do this (it needs the admin role)",
                _ => "this key may not query traces (it needs the read or admin role)",
            });
        }
        request.extensions_mut().insert(ScopedApp(state.app.scoped(&principal.project)));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_the_listeners_own() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        for host in ["127.0.0.1:4318", "localhost:4318", "LOCALHOST", "[::1]:4318", "127.0.0.2"] {
            assert!(host_allowed(host, loopback, &[]), "{host}");
        }
        for host in ["evil.example:4318", "192.168.1.9:4318", "localhost.evil.example"] {
            assert!(!host_allowed(host, loopback, &[]), "{host}");
        }
        assert!(host_allowed("traces.internal:4318", loopback, &["traces.internal".into()]));
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        assert!(host_allowed("10.1.2.3:4318", any, &[]));
        assert!(!host_allowed("rebind.example", any, &[]));
    }

    #[test]
    fn keys_come_from_bearer_or_cookie_or_query() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer rsk_abc".parse().unwrap());
        headers.insert(header::COOKIE, "a=b; rootspan_key=rsk_cookie".parse().unwrap());
        assert_eq!(bearer(&headers).as_deref(), Some("rsk_abc"));
        assert_eq!(cookie(&headers).as_deref(), Some("rsk_cookie"));
        assert_eq!(query_key(Some("q=x&key=rsk_q")), Some(("rsk_q".into(), "q=x".into())));
        assert_eq!(query_key(Some("q=x")), None);
    }
}
