//! Keys, roles and projects on every listener of the real binary; the host guard; the refusal
//! of unauthenticated network binds. (Redaction end to end: `tests/redaction.rs`.)

mod support;

use reqwest::blocking::Client;
use reqwest::header::{AUTHORIZATION, HOST};
use std::path::Path;
use support::*;

/// `rootspan keys create`; the key is the last line of its output.
pub fn create_key(store: &Path, project: &str, role: &str) -> String {
    let output = cli(&["keys", "create", "--store", store.to_str().unwrap(), "--project", project, "--role", role]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("rsk_"), "{stdout}");
    key
}

fn otlp_json(trace_hex: &str, name: &str) -> String {
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"spans": [{"traceId": trace_hex, "spanId": "0102030405060708", "name": name,
            "startTimeUnixNano": "1000000", "endTimeUnixNano": "2000000"}]}]}]})
    .to_string()
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[test]
fn keys_roles_and_projects_hold_on_every_listener() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("keys.db");
    let alpha_ingest = create_key(&store, "alpha", "ingest");
    let alpha_read = create_key(&store, "alpha", "read");
    let beta_ingest = create_key(&store, "beta", "ingest");
    let beta_read = create_key(&store, "beta", "read");
    let admin = create_key(&store, "alpha", "admin");
    let server = Server::start(&store);
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let alpha_trace = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
    let beta_trace = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";

    // Without a valid key, every listener says 401 and nothing about projects.
    let post = |key: Option<&str>, body: String| {
        let mut request = client
            .post(server.url("/v1/traces"))
            .header("content-type", "application/json")
            .header("x-rootspan-project", "beta");
        if let Some(key) = key {
            request = request.header(AUTHORIZATION, bearer(key));
        }
        request.body(body).send().unwrap()
    };
    assert_eq!(post(None, otlp_json(alpha_trace, "x")).status(), 401);
    assert_eq!(post(Some("rsk_wrong"), otlp_json(alpha_trace, "x")).status(), 401);
    for path in ["/api/v1/traces", "/api/health", "/metrics", "/", "/clusters"] {
        let response = client.get(server.url(path)).header(AUTHORIZATION, "Bearer rsk_wrong").send().unwrap();
        assert_eq!(response.status(), 401, "{path}");
        let text = response.text().unwrap();
        assert!(!text.contains("alpha") && !text.contains("beta"), "{path}: {text}");
    }
    let mcp = client.post(server.url("/mcp")).body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).send().unwrap();
    assert_eq!(mcp.status(), 401);
    let page = client.get(server.url("/")).header("accept", "text/html").send().unwrap();
    assert_eq!(page.status(), 401);
    assert!(page.text().unwrap().contains("name=\"key\""), "the UI offers a sign-in form");
    assert_eq!(client.get(server.url("/ui/app.css")).send().unwrap().status(), 200, "static assets are public");

    // An ingest key writes into its own project, whatever the header says.
    assert_eq!(post(Some(&alpha_ingest), otlp_json(alpha_trace, "alpha root")).status(), 200);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let grpc_request = || {
        let spans: Vec<rootspan_model::Span> = vec![rootspan_testkit::span(0xb2, 1, None, 1_000_000, "beta root")];
        rootspan_ingest::spans_to_request(&spans)
    };
    let grpc_export = |key: Option<&str>| {
        runtime.block_on(async {
            let mut grpc = TraceServiceClient::connect(format!("http://127.0.0.1:{}", server.grpc)).await.unwrap();
            let mut request = tonic::Request::new(grpc_request());
            if let Some(key) = key {
                request.metadata_mut().insert("authorization", bearer(key).parse().unwrap());
            }
            grpc.export(request).await
        })
    };
    assert_eq!(grpc_export(None).unwrap_err().code(), tonic::Code::Unauthenticated);
    assert_eq!(grpc_export(Some("rsk_wrong")).unwrap_err().code(), tonic::Code::Unauthenticated);
    assert_eq!(grpc_export(Some(&beta_read)).unwrap_err().code(), tonic::Code::PermissionDenied);
    grpc_export(Some(&beta_ingest)).expect("a beta ingest key writes over gRPC");
    // A beta key cannot add spans to alpha's trace.
    assert_eq!(post(Some(&beta_ingest), otlp_json(alpha_trace, "intruder")).status(), 400);

    // Reads see only the key's project.
    let get = |key: &str, path: &str| client.get(server.url(path)).header(AUTHORIZATION, bearer(key)).send().unwrap();
    let listed: serde_json::Value = get(&alpha_read, "/api/v1/traces?project=beta").json().unwrap();
    let ids: Vec<&str> = listed["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![alpha_trace]);
    assert_eq!(listed["traces"][0]["project"], "alpha", "the header named beta; the key's project won");
    let listed: serde_json::Value = get(&beta_read, "/api/v1/traces").json().unwrap();
    let ids: Vec<&str> = listed["traces"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![beta_trace]);
    let alpha_tree: serde_json::Value = get(&alpha_read, &format!("/api/v1/traces/{alpha_trace}")).json().unwrap();
    assert_eq!(alpha_tree["spans"].as_array().unwrap().len(), 1, "the intruder span was not added");
    for path in [
        format!("/api/v1/traces/{beta_trace}"),
        format!("/api/v1/traces/{}", &beta_trace[..8]),
        format!("/api/v1/traces/{beta_trace}/diagnosis"),
        format!("/api/v1/traces/{beta_trace}/spans/0101010101010101"),
        format!("/traces/{beta_trace}"),
    ] {
        assert_eq!(get(&alpha_read, &path).status(), 404, "{path}");
    }
    let call = |key: &str, name: &str, arguments: serde_json::Value| -> serde_json::Value {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}});
        client.post(server.url("/mcp")).header(AUTHORIZATION, bearer(key)).json(&body).send().unwrap().json().unwrap()
    };
    let searched = call(&alpha_read, "search_traces", serde_json::json!({"project": "beta"})).to_string();
    assert!(searched.contains(alpha_trace) && !searched.contains(beta_trace), "{searched}");
    let fetched = call(&alpha_read, "get_trace", serde_json::json!({"trace_id": beta_trace}));
    assert_eq!(fetched["result"]["isError"], true, "{fetched}");

    // Roles.
    assert_eq!(get(&alpha_ingest, "/api/v1/traces").status(), 403, "ingest keys do not read");
    assert_eq!(post(Some(&alpha_read), otlp_json(alpha_trace, "x")).status(), 403, "read keys do not write");
    assert_eq!(get(&alpha_read, "/metrics").status(), 403);
    assert_eq!(get(&admin, "/metrics").status(), 200);
    assert_eq!(get(&admin, "/api/v1/traces").status(), 200);

    // The UI: ?key= sets an HttpOnly session cookie and drops the key from the address.
    let signed = client.get(server.url("/?key=") + &alpha_read).send().unwrap();
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/");
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let page = client.get(server.url("/")).header("cookie", &session).send().unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains(&alpha_trace[..8]) && !html.contains(&beta_trace[..8]));

    // The host guard.
    let rebound =
        client.get(server.url("/api/health")).header(AUTHORIZATION, bearer(&admin)).header(HOST, "rebind.example:4318");
    assert_eq!(rebound.send().unwrap().status(), 403);

    // Revocation takes effect at once, on the running server.
    let prefix = &alpha_read[..12];
    let revoked = cli(&["keys", "revoke", "--store", store.to_str().unwrap(), prefix]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(get(&alpha_read, "/api/v1/traces").status(), 401);
    assert_eq!(client.get(server.url("/")).header("cookie", &session).send().unwrap().status(), 401);
    let listed = cli_json(&["keys", "list", "--store", store.to_str().unwrap(), "--json"]);
    let row = listed.as_array().unwrap().iter().find(|k| k["prefix"] == prefix).unwrap();
    assert!(row["revoked_unix_nano"].as_u64().is_some());
    assert!(!listed.to_string().contains(&alpha_read[12..]), "lists never show a key");
}

#[test]
fn without_keys_a_network_address_is_refused_and_loopback_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("open.db");
    let output = std::process::Command::new(binary())
        .args(["serve", "--store", store.to_str().unwrap(), "--listen", "0.0.0.0:0", "--grpc-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-unauthenticated-network") && stderr.contains("0.0.0.0"), "{stderr}");
    let server = Server::start(&store);
    let client = Client::new();
    assert_eq!(client.get(server.url("/api/health")).send().unwrap().status(), 200, "no keys: loopback is open");
    let rebound = client.get(server.url("/api/health")).header(HOST, "rebind.example").send().unwrap();
    assert_eq!(rebound.status(), 403, "the host guard holds without keys too");
    let named = client.get(server.url("/api/health")).header(HOST, "localhost:4318").send().unwrap();
    assert_eq!(named.status(), 200);
}
