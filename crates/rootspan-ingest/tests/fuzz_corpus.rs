//! Replays the fuzz corpus (fuzz/corpus/<target>/) through the same calls as the fuzz targets in
//! fuzz/fuzz_targets/ (the fuzz crate is outside the workspace, so the small harnesses are
//! duplicated here). Fails if a corpus folder is missing or empty, if a folder has no harness
//! here, or if any input panics.

use prost::Message;
use rootspan_ingest::{
    Encoding, FileFormat, decode_logs, decode_traces, decompress_deflate, decompress_gzip, detect_format, import_as,
    import_file, spans_to_otlp_json, spans_to_request, write_jsonl, write_jsonl_logs,
};
use rootspan_model::{AnyValue, Event, KeyValue, Span, SpanTree, conventions};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

type Harness = fn(&[u8]);

const TARGETS: &[(&str, Harness)] = &[
    ("otlp_traces_proto", otlp_traces_proto),
    ("otlp_traces_json", otlp_traces_json),
    ("otlp_logs", otlp_logs),
    ("gzip", gzip),
    ("trail", trail),
    ("jsonl", jsonl),
    ("message_logs", message_logs),
    ("import_any", import_any),
    ("normalize", normalize),
];

fn tree(spans: Vec<Span>) {
    let _ = SpanTree::build(spans).summary();
}

fn otlp_traces_proto(data: &[u8]) {
    if let Ok(decoded) = decode_traces(data, Encoding::Protobuf, None) {
        let bytes = spans_to_request(&decoded.items).encode_to_vec();
        let again = decode_traces(&bytes, Encoding::Protobuf, None).map(|d| d.items.len()).unwrap_or(0);
        assert_eq!(again, decoded.items.len());
        tree(decoded.items);
    }
}

fn otlp_traces_json(data: &[u8]) {
    if let Ok(decoded) = decode_traces(data, Encoding::Json, Some("fuzz")) {
        let text = spans_to_otlp_json(&decoded.items);
        let again = decode_traces(text.as_bytes(), Encoding::Json, None).map(|d| d.items.len()).unwrap_or(0);
        assert_eq!(again, decoded.items.len());
        tree(decoded.items);
    }
}

fn otlp_logs(data: &[u8]) {
    let _ = decode_logs(data, Encoding::Protobuf, None);
    let _ = decode_logs(data, Encoding::Json, None);
}

fn gzip(data: &[u8]) {
    const CAP: usize = 1 << 20;
    if let Ok(out) = decompress_gzip(data, CAP) {
        assert!(out.len() <= CAP);
    }
    if let Ok(out) = decompress_deflate(data, CAP) {
        assert!(out.len() <= CAP);
    }
}

fn trail(data: &[u8]) {
    let _ = detect_format(Path::new("trace.json"), data);
    if let Ok(imported) = import_as(FileFormat::Trail, Path::new("trace.json"), data, None) {
        tree(imported.spans);
    }
}

fn jsonl(data: &[u8]) {
    let path = Path::new("recording.jsonl");
    if let Ok(imported) = import_as(FileFormat::NativeJsonl, path, data, None) {
        let mut out = Vec::new();
        write_jsonl(&imported.spans, &mut out).expect("write to a Vec");
        write_jsonl_logs(&imported.logs, &mut out).expect("write to a Vec");
        let again = import_as(FileFormat::NativeJsonl, path, &out, None).expect("re-import");
        assert_eq!(
            (again.spans.len(), again.logs.len(), again.rejected),
            (imported.spans.len(), imported.logs.len(), 0)
        );
        tree(imported.spans);
    }
}

fn message_logs(data: &[u8]) {
    let path = Path::new("log.json");
    let _ = detect_format(path, data);
    for format in [FileFormat::WhoAndWhen, FileFormat::AgentRx] {
        if let Ok(imported) = import_as(format, path, data, Some("fuzz")) {
            tree(imported.spans);
        }
    }
}

fn import_any(data: &[u8]) {
    for name in ["x.json", "x.jsonl", "x.pb"] {
        if let Ok(imported) = import_file(Path::new(name), data, None) {
            tree(imported.spans);
        }
    }
}

const KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.conversation.id",
    "gen_ai.response.finish_reasons",
    "gen_ai.system",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "openinference.span.kind",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.token_count.prompt_details.cache_read",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.content",
    "llm.output_messages.0.message.content",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
    "llm.tools.0.tool.json_schema",
    "input.value",
    "output.value",
    "tool.name",
    "tool.parameters",
    "tool_call.id",
    "session.id",
    "user.id",
    "agent.name",
    "graph.node.id",
    "traceloop.span.kind",
    "traceloop.entity.name",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.content",
    "llm.usage.total_tokens",
    "pydantic_ai.all_messages",
    "final_result",
    "agent_name",
    "operation.cost",
    "pydantic_ai.tool.retry.attempt",
    "pydantic_ai.tool.retry.cause",
    "error.type",
    "exception.type",
    "exception.message",
    "model_name",
    "llm.request.type",
    "llm.usage.prompt_tokens",
    "llm.usage.completion_tokens",
];

fn value(field: &[u8]) -> AnyValue {
    let (tag, rest) = field.split_first().map_or((0, &[][..]), |(t, r)| (*t, r));
    let mut word = [0u8; 8];
    for (slot, byte) in word.iter_mut().zip(rest) {
        *slot = *byte;
    }
    match tag % 8 {
        0 => AnyValue::String(String::from_utf8_lossy(rest).into_owned()),
        1 => AnyValue::Int(i64::from_le_bytes(word)),
        2 => AnyValue::Double(f64::from_le_bytes(word)),
        3 => AnyValue::Bool(rest.first().is_some_and(|b| b & 1 == 1)),
        4 => AnyValue::Bytes(rest.to_vec()),
        5 => AnyValue::Array(
            rest.split(|b| *b == b',').map(|s| AnyValue::String(String::from_utf8_lossy(s).into_owned())).collect(),
        ),
        6 => AnyValue::KvList(vec![KeyValue::new(
            String::from_utf8_lossy(rest).into_owned(),
            AnyValue::Int(i64::from(tag)),
        )]),
        _ => AnyValue::Empty,
    }
}

fn key(field: &[u8]) -> String {
    match field.split_first() {
        Some((first, _)) if *first < 0xC0 => KEYS[usize::from(*first) % KEYS.len()].to_owned(),
        Some((_, rest)) => String::from_utf8_lossy(rest).into_owned(),
        None => String::new(),
    }
}

fn normalize(data: &[u8]) {
    let mut spans = Vec::new();
    for (index, chunk) in data.split(|b| *b == 0xFE).take(64).enumerate() {
        let id = index as u8;
        let mut span = Span::new([1; 16], [id + 1; 8], format!("span {index}"));
        let parent = chunk.first().copied().unwrap_or(0);
        span.parent_span_id = (parent != 0).then_some([parent % 65; 8]);
        span.start_time_unix_nano = u64::from(parent);
        span.end_time_unix_nano = u64::from(parent) * 3;
        let mut fields = chunk.get(1..).unwrap_or(&[]).split(|b| *b == 0);
        while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
            if k.first() == Some(&0xBF) {
                span.events.push(Event {
                    time_unix_nano: 0,
                    name: String::from_utf8_lossy(v).into_owned(),
                    attributes: vec![KeyValue::new(key(v), value(v))],
                    dropped_attributes_count: 0,
                });
            } else {
                span.attributes.push(KeyValue::new(key(k), value(v)));
            }
        }
        conventions::normalize(&mut span);
        spans.push(span);
    }
    tree(spans);
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn every_corpus_folder_has_a_harness() {
    let mut folders: Vec<String> = std::fs::read_dir(corpus_root())
        .expect("fuzz/corpus exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut targets: Vec<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    targets.sort();
    assert_eq!(folders, targets, "fuzz/corpus/ folders and the harnesses of this test differ");
}

#[test]
fn corpus_replays_without_panics() {
    let mut failures = Vec::new();
    for (target, harness) in TARGETS {
        let folder = corpus_root().join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("corpus folder {} is missing: {e}", folder.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus folder {} is empty", folder.display());
        let started = std::time::Instant::now();
        let count = files.len();
        for file in files {
            let data = std::fs::read(&file).expect("read a corpus file");
            if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                failures.push(format!("{target}: {}", file.display()));
            }
        }
        eprintln!("{target}: {count} inputs in {:.2?}", started.elapsed());
    }
    assert!(failures.is_empty(), "inputs that panic:\n{}", failures.join("\n"));
}

/// Crashes found by fuzzing (fuzz/regressions/<target>/), kept as regression tests: the token
/// sums of a trace summary overflowed on hostile token counts (fixed: they saturate).
#[test]
fn known_crashes_replay_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut failures = Vec::new();
    for (target, harness) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else { continue };
        for file in entries.filter_map(Result::ok).map(|entry| entry.path()) {
            let data = std::fs::read(&file).expect("read a regression file");
            if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                failures.push(format!("{target}: {}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "inputs that panic:\n{}", failures.join("\n"));
}
