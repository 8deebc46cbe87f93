//! Keys, project scopes and redaction in the use cases, on a real SQLite store.

use rootspan_app::auth::{Access, Role};
use rootspan_app::redact::{RedactConfig, Redactor};
use rootspan_app::{App, AppConfig, Compression, ErrorKind, ExportRequest, Signal};
use rootspan_ingest::Encoding;
use rootspan_model::{AnyValue, KeyValue, LogRecord, trace_id_hex};
use rootspan_store::{TraceFilter, WriteBatch};
use rootspan_testkit::span;
use std::sync::Arc;

fn app(dir: &tempfile::TempDir) -> App {
    let store = rootspan_store_sqlite::SqliteStore::open(&dir.path().join("s.db")).unwrap();
    App::new(Arc::new(store), AppConfig::default())
}

fn in_project(trace: u8, project: &str) -> rootspan_model::Span {
    let mut root = span(trace, 1, None, u64::from(trace) * 1_000_000, "root");
    root.project = project.into();
    root
}

#[test]
fn no_key_means_open_and_a_revoked_key_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir);
    assert_eq!(app.authenticate(None).unwrap(), Access::Open);
    assert_eq!(app.authenticate(Some("rsk_whatever")).unwrap(), Access::Open);
    let (key, stored) = app.create_key("alpha", Role::Read, "ci").unwrap();
    assert!(key.starts_with("rsk_") && key.len() == 68, "{key}");
    assert!(key.starts_with(&stored.prefix));
    assert_ne!(stored.hash, key, "only the hash is stored");
    assert!(app.list_keys().unwrap().iter().all(|k| !k.hash.contains(&key[4..])));
    assert_eq!(app.authenticate(None).unwrap(), Access::Denied, "once a key exists, none is no access");
    assert_eq!(app.authenticate(Some("rsk_0000")).unwrap(), Access::Denied);
    let Access::Key(principal) = app.authenticate(Some(&key)).unwrap() else { panic!("the key is valid") };
    assert_eq!((principal.project.as_str(), principal.role), ("alpha", Role::Read));
    let revoked = app.revoke_key(&stored.prefix).unwrap();
    assert!(revoked.revoked_unix_nano.is_some());
    assert_eq!(app.authenticate(Some(&key)).unwrap(), Access::Denied, "revoked keys stop at once");
    assert_eq!(app.revoke_key(&stored.prefix).unwrap_err().kind, ErrorKind::InvalidRequest);
    assert_eq!(app.revoke_key("rsk_ffffffff").unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(app.authenticate(None).unwrap(), Access::Denied, "a revoked key still means keys are required");
}

#[test]
fn a_scoped_app_sees_and_writes_only_its_project() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir);
    app.write(WriteBatch::spans_only(vec![in_project(1, "alpha"), in_project(2, "beta")])).unwrap();
    let alpha = app.scoped("alpha");
    let listed = alpha.list_traces(&TraceFilter { project: Some("beta".into()), ..Default::default() }).unwrap();
    assert_eq!(
        listed.iter().map(|t| t.project.as_str()).collect::<Vec<_>>(),
        vec!["alpha"],
        "asking for beta gives alpha"
    );
    let beta_id = trace_id_hex(&[2; 16]);
    assert_eq!(alpha.trace_view(&beta_id).unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(alpha.trace_view(&beta_id[..6]).unwrap_err().kind, ErrorKind::NotFound, "prefixes too");
    assert_eq!(alpha.diagnose(&beta_id, &Default::default()).unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(alpha.span_payload(&beta_id, "0101010101010101").unwrap_err().kind, ErrorKind::NotFound);
    assert!(alpha.trace_view(&trace_id_hex(&[1; 16])).is_ok());
    // An export names project beta: it is stored in alpha, the key's project.
    let request = rootspan_ingest::spans_to_request(&[span(3, 1, None, 5, "sent")]);
    let body = prost::Message::encode_to_vec(&request);
    let export = |app: &App, body: &[u8]| {
        app.export(ExportRequest {
            signal: Signal::Traces,
            body,
            encoding: Encoding::Protobuf,
            compression: Compression::None,
            project: Some("beta"),
        })
    };
    export(&alpha, &body).unwrap();
    let all = app.list_traces(&TraceFilter::default()).unwrap();
    let third = all.iter().find(|t| t.trace_id == trace_id_hex(&[3; 16])).unwrap();
    assert_eq!(third.project, "alpha");
    // A span for beta's trace, sent with alpha's key, does not join it.
    let intruder = prost::Message::encode_to_vec(&rootspan_ingest::spans_to_request(&[span(2, 9, Some(1), 7, "x")]));
    let error = export(&alpha, &intruder).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(app.trace_view(&beta_id).unwrap().spans.len(), 1, "beta's trace is untouched");
}

#[test]
fn every_builtin_detector_replaces_its_secret_and_counts() {
    let redactor = Redactor::new(&RedactConfig::default()).unwrap();
    let cases = [
        ("openai_key", "key sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP1234 end"),
        ("openai_key", "sk-abcdefghijklmnopqrstuvwxyz012345"),
        ("anthropic_key", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123"),
        ("aws_access_key", "AKIAIOSFODNN7EXAMPLE"),
        ("github_token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("google_api_key", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
        ("slack_token", "xoxb-123456789012-abcdefghij"),
        ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("bearer_token", "Authorization: Bearer abcdef0123456789abcdef"),
        ("pem_private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
        ("email", "write to jane.doe@example.com today"),
        ("card_number", "card 4111 1111 1111 1111 ok"),
        ("phone_number", "call +1 415 555 0123 now"),
        ("phone_number", "call (415) 555-0123 now"),
    ];
    for (rule, text) in cases {
        let redacted = redactor.redact_text(text).unwrap_or_else(|| panic!("{rule}: {text} was not redacted"));
        assert!(redacted.contains(&format!("[REDACTED:{rule}]")), "{rule}: {redacted}");
    }
    let counts: std::collections::BTreeMap<String, u64> = redactor.counts().into_iter().collect();
    assert_eq!(counts["phone_number"], 2);
    assert_eq!(counts["openai_key"], 2);
    assert_eq!(redactor.redact_text("card 4111 1111 1111 1112"), None, "fails the Luhn check");
    assert_eq!(redactor.redact_text("2024-11-22 06:24:01, 1748 tokens, $0.0051"), None);
    assert_eq!(redactor.redact_text("plain words"), None);
}

#[test]
fn user_rules_key_patterns_and_switches() {
    let config = RedactConfig {
        disabled_builtins: vec!["email".into()],
        rules: vec![("ticket".into(), r"TICKET-\d+".into())],
        key_patterns: vec!["app.*.token".into()],
    };
    let redactor = Redactor::new(&config).unwrap();
    assert_eq!(redactor.redact_text("see TICKET-42").as_deref(), Some("see [REDACTED:ticket]"));
    assert_eq!(redactor.redact_text("jane@example.com"), None, "email is off");
    let mut root = span(1, 1, None, 0, "root");
    root.attributes = vec![
        KeyValue::new("app.session.token", "opaque".into()),
        KeyValue::new("http.request.header.authorization", AnyValue::Array(vec!["Basic abc".into()])),
        KeyValue::new("tool.api_key", "x".into()),
        KeyValue::new("kept", "hello".into()),
    ];
    let mut event = rootspan_model::Event::default();
    event.attributes = vec![KeyValue::new("exception.message", "leaked AKIAIOSFODNN7EXAMPLE".into())];
    root.events.push(event);
    let mut resource = rootspan_model::Resource::default();
    resource.attributes = vec![KeyValue::new("deploy.note", "owner ghp_abcdefghijklmnopqrstuvwxyz0123456789".into())];
    root.resource = Arc::new(resource);
    let mut log = LogRecord::default();
    log.body =
        AnyValue::KvList(vec![KeyValue::new("content", "my key is sk-ant-api03-abcdefghijklmnopqrstuvwx".into())]);
    let (mut spans, mut logs) = (vec![root], vec![log]);
    assert!(redactor.redact_batch(&mut spans, &mut logs));
    let text = format!("{:?} {:?}", spans, logs);
    for secret in ["opaque", "Basic abc", "AKIAIOSFODNN7EXAMPLE", "ghp_abc", "sk-ant-"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert!(text.contains("hello"));
    assert!(Redactor::new(&RedactConfig { disabled_builtins: vec!["nope".into()], ..Default::default() }).is_err());
    assert!(Redactor::new(&RedactConfig { rules: vec![("bad".into(), "(".into())], ..Default::default() }).is_err());
}
