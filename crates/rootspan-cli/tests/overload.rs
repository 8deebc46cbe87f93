//! Overload and faults through the real binary: a request that does not fit the in-flight budget
//! is shed at once with a retry hint (OTLP/HTTP 429 with Retry-After, OTLP/gRPC
//! RESOURCE_EXHAUSTED with RetryInfo) and succeeds when retried; a gRPC message over the size
//! limit is RESOURCE_EXHAUSTED without RetryInfo (not retryable); silent connections are closed.
//! No timing assertions: statuses, headers and bounded waits only.

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const TRACE_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// `rootspan serve` with extra flags (killed on drop, as `support::Server`).
fn start(store: &std::path::Path, flags: &[&str]) -> Server {
    let http = free_port();
    let grpc = free_port();
    let child = Command::new(binary())
        .args(["serve", "--store"])
        .arg(store)
        .args(["--listen", &format!("127.0.0.1:{http}"), "--grpc-listen", &format!("127.0.0.1:{grpc}")])
        .args(flags)
        .env("ROOTSPAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting rootspan serve");
    let server = Server { child, http, grpc };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", http)).is_ok() && TcpStream::connect(("127.0.0.1", grpc)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("rootspan serve did not start listening within 30 s");
}

/// A valid export of about `bytes` bytes, in one trace (`tag` makes its id distinct).
fn export_of_size(tag: u8, bytes: usize) -> Vec<u8> {
    let spans = (0..bytes.div_ceil(10_000))
        .map(|index| Span {
            trace_id: vec![tag; 16],
            span_id: (index as u64 + 1).to_be_bytes().to_vec(),
            name: format!("span {index}"),
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            attributes: vec![KeyValue {
                key: "payload".into(),
                value: Some(AnyValue { value: Some(any_value::Value::StringValue("x".repeat(9_950))) }),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// An OTLP/HTTP request held open: its head and the first part of its body are sent, the rest
/// only when [`Held::finish`] is called. While it is held, its charge stays on the budget.
struct Held {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl Held {
    fn start(port: u16, body: Vec<u8>) -> Held {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        let half = body.len() / 2;
        stream.write_all(&body[..half]).unwrap();
        stream.flush().unwrap();
        Held { stream, rest: body[half..].to_vec() }
    }

    /// Sends the rest of the body and returns the status line of the answer.
    fn finish(mut self) -> String {
        self.stream.write_all(&self.rest).unwrap();
        self.stream.flush().unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = self.stream.read(&mut buffer).expect("reading the answer");
            assert!(n > 0, "the connection closed before the answer: {}", String::from_utf8_lossy(&answer));
            answer.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8_lossy(&answer).lines().next().unwrap_or("").to_owned()
    }
}

/// Holds a request that takes the whole budget: returns once a probe is shed, which proves the
/// held request is in flight. A probe that arrives first is admitted and may make the held
/// request the one shed; then both are dropped and the attempt is repeated (bounded).
fn hold_the_budget(server: &Server, tag: u8) -> Held {
    let client = reqwest::blocking::Client::new();
    let probe = export_of_size(tag.wrapping_add(100), 20_000);
    for _ in 0..100 {
        // 900 KB, charged with its decoding: the whole budget.
        let held = Held::start(server.http, export_of_size(tag, 900_000));
        std::thread::sleep(Duration::from_millis(50));
        let response = client
            .post(server.url("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(probe.clone())
            .send()
            .unwrap();
        if response.status() == 429 {
            return held;
        }
        assert_eq!(response.status(), 200, "a probe is either stored or shed");
    }
    panic!("the held request was never admitted");
}

#[test]
fn http_request_over_the_remaining_budget_gets_429_and_a_retry_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("shed.db"), &["--max-inflight-mib", "1"]);
    let held = hold_the_budget(&server, 1);
    let second = export_of_size(2, 200_000);
    let client = reqwest::blocking::Client::new();
    let shed = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(second.clone())
        .send()
        .unwrap();
    assert_eq!(shed.status(), 429);
    let retry_after = shed.headers().get("retry-after").expect("a 429 carries Retry-After");
    assert!(retry_after.to_str().unwrap().parse::<u64>().unwrap() >= 1, "{retry_after:?}");
    assert_eq!(shed.headers()["content-type"], "application/x-protobuf");
    let status = RpcStatus::decode(shed.bytes().unwrap().as_ref()).expect("a google.rpc.Status body");
    assert_eq!(status.code, 8, "RESOURCE_EXHAUSTED");
    assert!(status.message.contains("retry"), "{}", status.message);
    // Chunked bodies are charged as they arrive.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = second.chunks(50_000).map(|c| Ok(c.to_vec())).collect();
    let chunked = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(reqwest::blocking::Body::new(ChunkedReader(chunks.into_iter(), Vec::new())))
        .send()
        .unwrap();
    assert_eq!(chunked.status(), 429);
    // The held request completes, and then the shed one is accepted.
    let status_line = held.finish();
    assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");
    let retried = client
        .post(server.url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(second)
        .send()
        .unwrap();
    assert_eq!(retried.status(), 200);
    let store = dir.path().join("shed.db");
    for tag in [1u8, 2] {
        let shown = cli_json(&["show", &hex::encode([tag; 16]), "--store", store.to_str().unwrap(), "--json"]);
        assert!(shown["summary"]["spans"].as_u64().unwrap() > 0);
    }
}

/// A reader over chunks, so reqwest sends the body chunked (no Content-Length).
struct ChunkedReader<I>(I, Vec<u8>);

impl<I: Iterator<Item = Result<Vec<u8>, std::io::Error>>> Read for ChunkedReader<I> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.1.is_empty() {
            match self.0.next() {
                None => return Ok(0),
                Some(chunk) => self.1 = chunk?,
            }
        }
        let n = out.len().min(self.1.len());
        out[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

/// `google.rpc.Status` as OTLP/HTTP answers it.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

async fn grpc_call(port: u16, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.expect("ready");
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(TRACE_PATH);
    client
        .unary(tonic::Request::new(body), path, rootspan_server::grpc::RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

fn retry_info(status: &tonic::Status) -> Option<rootspan_server::grpc::RetryInfo> {
    use rootspan_server::grpc::{RETRY_INFO_TYPE_URL, RetryInfo, RpcStatusDetails};
    if status.details().is_empty() {
        return None;
    }
    let details = RpcStatusDetails::decode(status.details()).expect("grpc-status-details-bin is a google.rpc.Status");
    assert_eq!(details.code, tonic::Code::ResourceExhausted as i32);
    details
        .details
        .iter()
        .find(|any| any.type_url == RETRY_INFO_TYPE_URL)
        .map(|any| RetryInfo::decode(any.value.as_slice()).expect("a RetryInfo"))
}

#[test]
fn grpc_over_the_limit_is_not_retryable_and_shed_is() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("grpc.db"), &["--max-inflight-mib", "1", "--max-body-mib", "1"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Within the limit and the budget: accepted.
    runtime.block_on(grpc_call(server.grpc, export_of_size(5, 50_000))).expect("a request that fits is accepted");
    // Shed while another request holds the budget: RESOURCE_EXHAUSTED with RetryInfo.
    let held = hold_the_budget(&server, 6);
    let error = runtime.block_on(grpc_call(server.grpc, export_of_size(8, 50_000))).expect_err("shed");
    assert_eq!(error.code(), tonic::Code::ResourceExhausted, "{error:?}");
    let retry = retry_info(&error).expect("a shed request carries RetryInfo");
    assert!(retry.retry_delay.as_ref().is_some_and(|d| d.seconds >= 1), "{retry:?}");
    assert!(held.finish().starts_with("HTTP/1.1 200"));
    runtime.block_on(grpc_call(server.grpc, export_of_size(8, 50_000))).expect("the retry is accepted");
    // Over the size limit: RESOURCE_EXHAUSTED without RetryInfo (tonic alone says OUT_OF_RANGE).
    // Last: the client is answered while it is still sending, and its transport may report the
    // rest of that upload on a later call.
    let error = runtime.block_on(grpc_call(server.grpc, export_of_size(4, 2_000_000))).expect_err("over the limit");
    assert_eq!(error.code(), tonic::Code::ResourceExhausted, "{error:?}");
    assert!(retry_info(&error).is_none(), "over the limit must not be retryable: {error:?}");
}

/// Reads until the server closes the connection; panics if it does not within `bound`.
fn assert_closed_by_server(mut stream: TcpStream, bound: Duration, what: &str) {
    stream.set_read_timeout(Some(bound)).unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("{what}: the server did not close the connection ({e}) after {:?}", started.elapsed()),
        }
        assert!(started.elapsed() < bound, "{what}: the server kept the connection open");
    }
}

#[test]
fn silent_and_slow_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        start(&dir.path().join("timeouts.db"), &["--header-read-timeout-secs", "1", "--idle-timeout-secs", "2"]);
    let bound = Duration::from_secs(15);
    let silent = TcpStream::connect(("127.0.0.1", server.http)).unwrap();
    let silent_grpc = TcpStream::connect(("127.0.0.1", server.grpc)).unwrap();
    let mut slowloris = TcpStream::connect(("127.0.0.1", server.http)).unwrap();
    slowloris.write_all(b"POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\n").unwrap();
    let mut stalled = TcpStream::connect(("127.0.0.1", server.http)).unwrap();
    stalled
        .write_all(b"POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-protobuf\r\ncontent-length: 1000\r\n\r\nabc")
        .unwrap();
    assert_closed_by_server(silent, bound, "a connection that sends nothing");
    assert_closed_by_server(silent_grpc, bound, "a gRPC connection that sends nothing");
    assert_closed_by_server(slowloris, bound, "a request head that never ends");
    assert_closed_by_server(stalled, bound, "a body that stalls");
    // The server still answers.
    let health = reqwest::blocking::get(server.url("/api/health")).unwrap();
    assert_eq!(health.status(), 200);
}
