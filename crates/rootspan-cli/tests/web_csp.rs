//! Stored payloads are text, never HTML or script: the web UI's Content-Security-Policy and
//! escaping, checked in headless Chromium (`tests/ui/xss.py`) on a trace planted with `<script>`
//! and `onerror` payloads, and the headers checked over HTTP.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

fn browser_available() -> bool {
    let chromium = Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists();
    let selenium = Command::new("python3").args(["-c", "import selenium"]).output().is_ok_and(|o| o.status.success());
    if !(chromium && selenium) {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "the browser test needs chromium, chromedriver and python selenium");
        eprintln!("skipping: chromium, chromedriver or python selenium is missing");
    }
    chromium && selenium
}

#[test]
fn a_script_in_a_span_attribute_does_not_run_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("xss.db");
    let server = Server::start(&store);
    let trace = "7e570000000000000000000000000001";
    let span = "0000000000000001";
    let payload = "<img src=x onerror=\"window.__pwned=2\">";
    let messages =
        serde_json::json!([{"role": "user", "content": format!("{payload} and <script>window.__pwned=3</script>")}]);
    let body = serde_json::json!({"resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "xss"}}]},
    "scopeSpans": [{"spans": [{"traceId": trace, "spanId": span, "name": "<script>window.__pwned=1</script>",
        "startTimeUnixNano": "1764000000000000000", "endTimeUnixNano": "1764000001000000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.input.messages", "value": {"stringValue": messages.to_string()}},
            {"key": "tool.arguments", "value": {"stringValue": payload}}
        ]}]}]}]});
    let client = reqwest::blocking::Client::new();
    let sent = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(sent.status(), 200);

    let page = client.get(server.url(&format!("/traces/{trace}"))).send().unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-eval"), "{policy}");
    assert!(!policy.contains("script-src 'self' 'unsafe-inline'"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.headers().get("access-control-allow-origin").is_none(), "no CORS");
    let html = page.text().unwrap();
    assert!(!html.contains("<script>window.__pwned"), "the name is escaped in the page");
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/traces"))
        .header("origin", "http://evil.example")
        .send()
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none(), "no CORS on the API");

    if !browser_available() {
        return;
    }
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/xss.py");
    let output = Command::new("python3")
        .arg(&script)
        .args([&server.url(""), trace, span, shots.to_str().unwrap()])
        .output()
        .expect("running python3");
    assert!(
        output.status.success(),
        "the browser check failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
