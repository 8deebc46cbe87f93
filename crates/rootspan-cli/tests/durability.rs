//! Acknowledged means durable: three clients send many small OTLP/HTTP requests while the server
//! is killed with SIGKILL at random moments, five times, and restarted on the same store. After
//! each kill, every span of every acknowledged request must be there, intact; no request may be
//! half-stored; and SQLite's `quick_check` must pass.

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const CLIENTS: u8 = 3;
const TRACES_PER_REQUEST: u8 = 2;
const SPANS_PER_TRACE: usize = 25;
const KILLS: usize = 5;

/// A tiny deterministic generator (no crate needed): the kill moments are reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn trace_id(client: u8, sequence: u32, trace: u8) -> Vec<u8> {
    let mut id = vec![0xd0, 0xab, client, trace, 0, 0, 0, 0, 0, 0, 0, 0];
    id.extend_from_slice(&sequence.to_be_bytes());
    id
}

fn span_name(client: u8, sequence: u32, trace: u8, index: usize) -> String {
    format!("c{client} s{sequence} t{trace} span {index}")
}

fn request(client: u8, sequence: u32) -> Vec<u8> {
    let mut spans = Vec::new();
    for trace in 0..TRACES_PER_REQUEST {
        for index in 0..SPANS_PER_TRACE {
            let mut span_id = [0u8; 8];
            span_id[0] = 1 + index as u8;
            span_id[4..].copy_from_slice(&sequence.to_be_bytes());
            let mut parent = [0u8; 8];
            parent[0] = 1;
            parent[4..].copy_from_slice(&sequence.to_be_bytes());
            let start = 1_760_000_000_000_000_000 + u64::from(sequence) * 1_000_000 + index as u64 * 1_000;
            spans.push(Span {
                trace_id: trace_id(client, sequence, trace),
                span_id: span_id.to_vec(),
                parent_span_id: if index == 0 { Vec::new() } else { parent.to_vec() },
                name: span_name(client, sequence, trace, index),
                kind: 1,
                start_time_unix_nano: start,
                end_time_unix_nano: start + 500,
                attributes: vec![KeyValue {
                    key: "payload".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(format!(
                            "client {client} request {sequence} {index}"
                        ))),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue { value: Some(any_value::Value::StringValue("durability".into())) }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "durability-test".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// What a request's answer said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 200: every span must be stored.
    Acknowledged,
    /// An error answer (such as 503): nothing may be stored.
    Refused,
    /// No answer (the server died), or not yet: all spans or none.
    Unknown,
}

type Log = Arc<Mutex<Vec<(u8, u32, Answer)>>>;

fn client_loop(client: u8, port: Arc<AtomicU16>, done: Arc<AtomicBool>, acked: Arc<AtomicUsize>, log: Log) {
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let mut sequence = 0u32;
    while !done.load(Ordering::Acquire) {
        let current = port.load(Ordering::Acquire);
        if current == 0 {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        sequence += 1;
        // Logged before it is sent: a check that runs meanwhile knows of it (as unanswered).
        let entry = {
            let mut log = log.lock().unwrap();
            log.push((client, sequence, Answer::Unknown));
            log.len() - 1
        };
        let answer = match http
            .post(format!("http://127.0.0.1:{current}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(request(client, sequence))
            .send()
        {
            Ok(response) if response.status() == 200 => match response.bytes() {
                Ok(_) => Answer::Acknowledged,
                Err(_) => Answer::Unknown,
            },
            Ok(_) => Answer::Refused,
            Err(_) => Answer::Unknown,
        };
        if answer == Answer::Acknowledged {
            acked.fetch_add(1, Ordering::AcqRel);
        }
        log.lock().unwrap()[entry].2 = answer;
        if answer == Answer::Unknown {
            // The server is down; wait for the next one.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every trace in the store: id -> (span count, root name).
fn stored_traces(store: &str) -> HashMap<String, (u64, String)> {
    let listed = cli_json(&["traces", "--store", store, "--json", "--limit", "10000000"]);
    listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| {
            (
                t["trace_id"].as_str().expect("id").to_owned(),
                (t["span_count"].as_u64().expect("span_count"), t["root_name"].as_str().unwrap_or("").to_owned()),
            )
        })
        .collect()
}

fn quick_check(path: &std::path::Path) {
    let connection = rusqlite::Connection::open(path).expect("open the store");
    let result: String = connection.query_row("PRAGMA quick_check", [], |row| row.get(0)).expect("quick_check");
    assert_eq!(result, "ok", "PRAGMA quick_check");
}

fn check(store: &std::path::Path, log: &[(u8, u32, Answer)], rng: &mut Lcg, round: usize) -> usize {
    quick_check(store);
    let store_arg = store.to_str().expect("utf-8 path");
    let traces = stored_traces(store_arg);
    let mut acknowledged = Vec::new();
    for &(client, sequence, answer) in log {
        let present: Vec<bool> = (0..TRACES_PER_REQUEST)
            .map(|trace| {
                let id = hex::encode(trace_id(client, sequence, trace));
                match traces.get(&id) {
                    None => false,
                    Some((count, root)) => {
                        assert_eq!(
                            *count, SPANS_PER_TRACE as u64,
                            "round {round}: client {client} request {sequence} trace {trace} is half-stored ({answer:?})"
                        );
                        assert_eq!(root, &span_name(client, sequence, trace, 0), "round {round}: root name");
                        true
                    }
                }
            })
            .collect();
        match answer {
            Answer::Acknowledged => {
                assert!(
                    present.iter().all(|p| *p),
                    "round {round}: client {client} request {sequence} was acknowledged and is missing: {present:?}"
                );
                acknowledged.push((client, sequence));
            }
            Answer::Refused => {
                assert!(present.iter().all(|p| !*p), "round {round}: a refused request was stored: {present:?}")
            }
            Answer::Unknown => assert!(
                present.iter().all(|p| *p) || present.iter().all(|p| !*p),
                "round {round}: client {client} request {sequence} is half-stored: {present:?}"
            ),
        }
    }
    // Every stored trace of ours belongs to a request some client sent.
    let sent: std::collections::HashSet<String> = log
        .iter()
        .flat_map(|&(c, s, _)| (0..TRACES_PER_REQUEST).map(move |t| hex::encode(trace_id(c, s, t))))
        .collect();
    for id in traces.keys() {
        assert!(sent.contains(id), "round {round}: unexpected trace {id}");
    }
    // Span by span, for a few acknowledged requests: every name, exactly once.
    for _ in 0..3.min(acknowledged.len()) {
        let (client, sequence) = acknowledged[rng.next() as usize % acknowledged.len()];
        let trace = (rng.next() % u64::from(TRACES_PER_REQUEST)) as u8;
        let id = hex::encode(trace_id(client, sequence, trace));
        let shown = cli_json(&["show", &id, "--store", store_arg, "--json"]);
        let mut names: Vec<String> = shown["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        let mut expected: Vec<String> =
            (0..SPANS_PER_TRACE).map(|index| span_name(client, sequence, trace, index)).collect();
        expected.sort();
        assert_eq!(names, expected, "round {round}: the spans of {id}");
    }
    acknowledged.len()
}

#[test]
fn acknowledged_exports_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("durable.db");
    let port = Arc::new(AtomicU16::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let log: Log = Arc::default();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (port, done, acked, log) = (port.clone(), done.clone(), acked.clone(), log.clone());
            std::thread::spawn(move || client_loop(client, port, done, acked, log))
        })
        .collect();
    let mut rng = Lcg(0x5eed_2026_1202);
    let started = Instant::now();
    let mut total_acknowledged = 0;
    for round in 0..KILLS {
        let server = Server::start(&store);
        let before = acked.load(Ordering::Acquire);
        port.store(server.http, Ordering::Release);
        // Some progress in every round (bounded), then a kill at a random moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acked.load(Ordering::Acquire) < before + 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(acked.load(Ordering::Acquire) > before, "round {round}: no request was acknowledged within 20 s");
        std::thread::sleep(Duration::from_millis(50 + rng.next() % 700));
        // SIGKILL (Child::kill), while requests are in flight.
        drop(server);
        port.store(0, Ordering::Release);
        let snapshot = log.lock().unwrap().clone();
        total_acknowledged = check(&store, &snapshot, &mut rng, round);
    }
    done.store(true, Ordering::Release);
    for client in clients {
        client.join().expect("client thread");
    }
    // The requests answered after the last check (none can be acknowledged: no server runs).
    let log = log.lock().unwrap().clone();
    let last = check(&store, &log, &mut rng, KILLS);
    assert!(last >= total_acknowledged && total_acknowledged > 0, "{last} >= {total_acknowledged}");
    eprintln!(
        "{} requests, {last} acknowledged, {KILLS} kills, in {:.1} s",
        log.len(),
        started.elapsed().as_secs_f64()
    );
}
