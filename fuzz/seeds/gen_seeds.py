#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*.

Everything here is built by this script (no dataset files): tiny OTLP protobuf requests encoded
by hand, OTLP/JSON, TRAIL, native JSONL, Who&When and AgentRx message logs, gzip wrappers, and a
few tricky inputs (empty, truncated, deep nesting, hostile parent links).
Run from anywhere: python3 fuzz/seeds/gen_seeds.py
"""
import gzip
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(field, payload):  # length-delimited field
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def vi(field, n):
    return varint(field << 3) + varint(n)


def f64(field, n):  # fixed64
    return varint(field << 3 | 1) + struct.pack("<Q", n)


def s(text):
    return text.encode()


def any_str(text):
    return ld(1, s(text))


def kv(key, value):
    return ld(1, s(key)) + ld(2, value)


def kv_str(key, text):
    return kv(key, any_str(text))


def kv_int(key, n):
    return kv(key, vi(3, n))


TRACE = bytes(range(1, 17))


def span(span_id, name, parent=None, start=1_700_000_000_000_000_000, end=1_700_000_001_000_000_000, attrs=(),
         status=None, trace=TRACE):
    out = ld(1, trace) + ld(2, span_id)
    if parent is not None:
        out += ld(4, parent)
    out += ld(5, s(name)) + vi(6, 1) + f64(7, start) + f64(8, end)
    for a in attrs:
        out += ld(9, a)
    out += ld(11, ld(2, s("exception")) + f64(1, start) + ld(3, kv_str("exception.type", "E")))
    if status is not None:
        out += ld(15, ld(2, s("boom")) + vi(3, status))
    return out


def traces_request(spans):
    resource = ld(1, kv_str("service.name", "svc")) + ld(1, kv_str("rootspan.project", "p"))
    scope = ld(1, s("scope")) + ld(2, s("1.0"))
    scope_spans = ld(1, scope) + b"".join(ld(2, sp) for sp in spans)
    return ld(1, ld(1, resource) + ld(2, scope_spans))


def logs_request():
    record = (f64(1, 1_700_000_000_000_000_000) + vi(2, 9) + ld(3, s("INFO")) + ld(5, any_str("hello"))
              + ld(6, kv_str("k", "v")) + ld(9, TRACE) + ld(10, bytes(range(1, 9))) + ld(12, s("gen_ai.user.message")))
    resource = ld(1, kv_str("service.name", "svc"))
    scope_logs = ld(1, ld(1, s("scope"))) + ld(2, record)
    return ld(1, ld(1, resource) + ld(2, scope_logs))


A, B, C = b"\x01" * 8, b"\x02" * 8, b"\x03" * 8
LLM_ATTRS = [kv_str("gen_ai.operation.name", "chat"), kv_str("gen_ai.request.model", "gpt-4o"),
             kv_int("gen_ai.usage.input_tokens", 12), kv_int("gen_ai.usage.output_tokens", 3)]
PB_OK = traces_request([span(A, "invoke_agent a", attrs=[kv_str("gen_ai.operation.name", "invoke_agent")]),
                        span(B, "chat gpt-4o", parent=A, attrs=LLM_ATTRS),
                        span(C, "execute_tool t", parent=B, attrs=[kv_str("gen_ai.tool.name", "t")], status=2)])
# Hostile parent links: a cycle (A <-> B), a self-parent and an orphan.
PB_CYCLE = traces_request([span(A, "a", parent=B), span(B, "b", parent=A), span(C, "c", parent=C),
                           span(b"\x04" * 8, "orphan", parent=b"\x09" * 8)])
PB_LOGS = logs_request()

HEX_T = TRACE.hex()
OTLP_JSON = json.dumps({"resourceSpans": [{"resource": {"attributes": [
    {"key": "service.name", "value": {"stringValue": "svc"}}]}, "scopeSpans": [{"scope": {"name": "s"}, "spans": [
        {"traceId": HEX_T, "spanId": A.hex(), "name": "agent", "kind": 1, "startTimeUnixNano": "1700000000000000000",
         "endTimeUnixNano": "1700000001000000000", "attributes": [
             {"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}}]},
        {"traceId": HEX_T, "spanId": B.hex(), "parentSpanId": A.hex(), "name": "chat", "kind": "SPAN_KIND_CLIENT",
         "startTimeUnixNano": 1700000000100000000, "endTimeUnixNano": 1700000000900000000, "attributes": [
             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "7"}},
             {"key": "d", "value": {"doubleValue": 0.5}}, {"key": "b", "value": {"boolValue": True}},
             {"key": "x", "value": {"bytesValue": "AAE="}},
             {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
             {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "k", "value": {}}]}}}],
         "events": [{"timeUnixNano": "1700000000200000000", "name": "e"}],
         "links": [{"traceId": HEX_T, "spanId": C.hex()}],
         "status": {"code": 2, "message": "bad"}}]}]}]})
OTLP_JSON_CYCLE = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
    {"traceId": HEX_T, "spanId": A.hex(), "parentSpanId": B.hex(), "name": "a"},
    {"traceId": HEX_T, "spanId": B.hex(), "parentSpanId": A.hex(), "name": "b"},
    {"traceId": HEX_T, "spanId": C.hex(), "parentSpanId": C.hex(), "name": "c"}]}]}]})
OTLP_LOGS_JSON = json.dumps({"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{"scope": {"name": "s"},
    "logRecords": [{"timeUnixNano": "1700000000000000000", "severityNumber": 9, "severityText": "INFO",
                    "body": {"stringValue": "hi"}, "traceId": HEX_T, "spanId": A.hex(),
                    "attributes": [{"key": "k", "value": {"intValue": 1}}], "eventName": "gen_ai.choice"}]}]}]})

TRAIL = json.dumps({"trace_id": "t1", "spans": [{"span_id": "root", "span_name": "agent", "span_kind": "Internal",
    "timestamp": "2025-03-19T16:48:09.190915Z", "duration": "PT2.5S", "status_code": "Unset",
    "resource_attributes": {"service.name": "svc"}, "span_attributes": {"openinference.span.kind": "AGENT"},
    "child_spans": [{"span_id": "llm", "span_name": "LiteLLMModel.__call__", "span_kind": "Client",
                     "timestamp": "2025-03-19T16:48:09.2Z", "duration": 0.4, "status_code": "Error",
                     "status_message": "x", "span_attributes": {"llm.token_count.prompt": 5,
                                                                "openinference.span.kind": "LLM"},
                     "events": [{"Timestamp": "2025-03-19T16:48:09.3Z", "Name": "exception",
                                 "Attributes": {"exception.type": "E"}}],
                     "logs": [{"timestamp": "2025-03-19T16:48:09.3Z", "body": "log", "severity_number": 9}],
                     "child_spans": []}]}]})
TRAIL_CYCLE = json.dumps({"trace_id": "t", "spans": [{"span_id": "a", "parent_span_id": "b"},
                                                    {"span_id": "b", "parent_span_id": "a"},
                                                    {"span_id": "c", "parent_span_id": "c"}, 3, {"x": 1}]})


def trail_deep(n):
    node = {"span_id": "leaf"}
    for i in range(n):
        node = {"span_id": f"s{i}", "child_spans": [node]}
    return json.dumps({"trace_id": "deep", "spans": [node]})


JSONL = "\n".join([
    "# rootspan JSONL seed",
    json.dumps({"type": "span", "trace_id": HEX_T, "span_id": A.hex(), "name": "agent", "kind": 1,
                "start_time_unix_nano": 1700000000000000000, "end_time_unix_nano": 1700000001000000000,
                "status": {"code": "unset"}, "attributes": {"gen_ai.operation.name": "invoke_agent"},
                "resource": {"attributes": {"service.name": "svc"}}, "scope": {"name": "s", "version": "1"}}),
    json.dumps({"type": "span", "trace_id": HEX_T, "span_id": B.hex(), "parent_span_id": A.hex(), "name": "chat",
                "kind": 3, "start_time_unix_nano": 1700000000100000000, "end_time_unix_nano": 1700000000900000000,
                "status": {"code": "error", "message": "rate"}, "attributes": {
                    "gen_ai.usage.input_tokens": 612, "t": 0.0, "big": {"int": "9007199254740993"},
                    "raw": {"bytes": "AAEC/w=="}, "nan": {"double": "NaN"}, "tags": ["a", 1, None],
                    "kv": {"kvlist": {"k": None}}},
                "events": [{"time_unix_nano": 1, "name": "exception", "attributes": {"exception.type": "E"}}],
                "links": [{"trace_id": HEX_T, "span_id": C.hex(), "attributes": {}}],
                "resource": {"attributes": {}}, "scope": {"name": ""},
                "logs": [{"trace_id": HEX_T, "span_id": B.hex(), "time_unix_nano": 2, "severity_number": 9,
                          "body": {"kvlist": {"content": "q"}}, "attributes": {}, "resource": {"attributes": {}},
                          "scope": {"name": ""}}]}),
    json.dumps({"type": "recording", "note": "reserved"}),
    json.dumps({"type": "log", "trace_id": "0" * 32, "span_id": "0" * 16, "time_unix_nano": 3,
                "severity_text": "WARN", "body": "no span", "attributes": {}, "resource": {"attributes": {}},
                "scope": {"name": ""}}),
    "not json",
    json.dumps({"type": "other"}),
]) + "\n"
JSONL_CYCLE = "\n".join(json.dumps({"type": "span", "trace_id": HEX_T, "span_id": a.hex(), "parent_span_id": p.hex(),
                                    "name": "n"}) for a, p in [(A, B), (B, A), (C, C)]) + "\n"

WHO = json.dumps({"question": "What is 2+2?", "mistake_step": "1", "mistake_agent": "B_Expert", "history": [
    {"content": "task", "role": "assistant", "name": "A_Expert"}, {"content": "4", "role": "user", "name": "B_Expert"},
    {"content": None, "role": "user"}, {"content": {"x": 1}}]})
MAGENTIC = json.dumps([{"content": "Find the paper", "role": "human"},
                       {"content": "plan", "role": "Orchestrator (-> WebSurfer)"},
                       {"content": ["a", 1], "role": "WebSurfer"}])
TAU = json.dumps([{"task_id": 7, "reward": 0.0, "info": {"task": {"instruction": "refund"}}, "traj": [
    {"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "function": {"name": "lookup", "arguments": "{\"id\": 1}"}}]},
    {"role": "tool", "name": "lookup", "tool_call_id": "c1", "content": "ok"}]},
    {"task_id": "s", "traj": []}])
TAU_ONE = json.dumps({"traj": [{"role": "assistant", "tool_calls": [{"name": "x"}]}], "reward": 1})


def deep_json(n):
    return "[" * n + "]" * n


def normalize_seed(fields_per_span):
    out = bytearray()
    for i, fields in enumerate(fields_per_span):
        if i:
            out.append(0xFE)
        out += bytes([fields[0]])
        for k, v in fields[1]:
            out += bytes([k]) + b"\x00" + v + b"\x00"
    return bytes(out)


def key_index(name):
    keys = KEYS_NORMALIZE
    return keys.index(name)


KEYS_NORMALIZE = [
    "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
]
I64 = lambda n: b"\x01" + struct.pack("<q", n)
STR = lambda t: b"\x00" + t.encode()
NORMALIZE = [
    normalize_seed([(0, [(0, STR("chat")), (2, STR("gpt-4o")), (7, I64(10)), (8, I64(5))]),
                    (1, [(0, STR("execute_tool")), (10, STR("t"))])]),
    normalize_seed([(0, [(4, STR('[{"role":"user","parts":[{"type":"text","content":"hi"}]}]')),
                         (5, STR('[{"role":"assistant","parts":[{"type":"tool_call","name":"f","arguments":{}}]}]'))]),
                    (1, [(0, STR("chat")), (7, I64(2**62)), (8, I64(2**62))]),
                    (1, [(0, STR("chat")), (7, I64(2**62)), (8, I64(-1))])]),
    normalize_seed([(2, [(22, STR("LLM")), (23, STR("claude-3-5-sonnet")), (26, I64(100)), (27, I64(50))]),
                    (1, [(0xBF, STR("gen_ai.user.message"))])]),
]

CORPUS = {
    "otlp_traces_proto": {"ok.pb": PB_OK, "cycle.pb": PB_CYCLE, "truncated.pb": PB_OK[:len(PB_OK) // 2],
                          "empty.pb": b"", "logs.pb": PB_LOGS, "deep.pb": b"\x0a\x80\x01" * 40},
    "otlp_traces_json": {"ok.json": OTLP_JSON.encode(), "cycle.json": OTLP_JSON_CYCLE.encode(),
                         "truncated.json": OTLP_JSON.encode()[:200], "empty.json": b"{}",
                         "deep.json": ('{"resourceSpans":' + deep_json(200) + "}").encode()},
    "otlp_logs": {"logs.pb": PB_LOGS, "logs.json": OTLP_LOGS_JSON.encode(), "truncated.pb": PB_LOGS[:20],
                  "truncated.json": OTLP_LOGS_JSON.encode()[:100], "empty": b""},
    "gzip": {"ok.gz": gzip.compress(OTLP_JSON.encode()), "ok.deflate": zlib.compress(b"hello " * 100),
             "raw.deflate": zlib.compress(b"x" * 5000)[2:-4], "truncated.gz": gzip.compress(JSONL.encode())[:40],
             "bomb.gz": gzip.compress(b"\0" * 2_000_000), "double.gz": gzip.compress(gzip.compress(b"x")),
             "empty": b""},
    "trail": {"ok.json": TRAIL.encode(), "cycle.json": TRAIL_CYCLE.encode(), "deep.json": trail_deep(300).encode(),
              "truncated.json": TRAIL.encode()[:150], "empty.json": b"", "gz.json.gz": gzip.compress(TRAIL.encode())},
    "jsonl": {"ok.jsonl": JSONL.encode(), "cycle.jsonl": JSONL_CYCLE.encode(),
              "truncated.jsonl": JSONL.encode()[:300], "empty.jsonl": b"\n# only a comment\n",
              "deep.jsonl": ('{"type":"span","attributes":{"a":' + deep_json(300) + "}}").encode()},
    "message_logs": {"who.json": WHO.encode(), "magentic.json": MAGENTIC.encode(), "tau.json": TAU.encode(),
                     "tau_one.json": TAU_ONE.encode(), "truncated.json": WHO.encode()[:60],
                     "deep.json": deep_json(500).encode(), "empty.json": b"[]"},
    "import_any": {"otlp.pb": PB_OK, "otlp.json": OTLP_JSON.encode(), "logs.json": OTLP_LOGS_JSON.encode(),
                   "trail.json": TRAIL.encode(), "jsonl.jsonl": JSONL.encode(), "who.json": WHO.encode(),
                   "magentic.json": MAGENTIC.encode(), "tau.json": TAU.encode(),
                   "gz.gz": gzip.compress(JSONL.encode()), "empty": b"  \n", "truncated": TRAIL.encode()[:99]},
    "normalize": {f"seed{i}": data for i, data in enumerate(NORMALIZE)} | {"empty": b""},
}

for target, files in CORPUS.items():
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(folder, "seed-" + name), "wb") as f:
            f.write(data)
    print(target, len(files))
