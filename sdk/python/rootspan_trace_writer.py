"""TraceWriter for Python: write a rootspan recording directly, without OpenTelemetry.

A recording is an immutable event log of one agent run, as JSON lines (docs/recording-format.md
in the rootspan repository): a header line, then one event per line with increasing step ids.
Each event is appended and flushed as it happens, so a crash leaves every earlier event readable.
`rootspan replay serve FILE` replays it to the unchanged agent.

    from rootspan_trace_writer import TraceWriter, RecordedError

    with TraceWriter("run.recording.jsonl", input="Where is order A1001?") as rec:
        rec.llm_call("gpt-4o-mini",
                     request={"model": "gpt-4o-mini", "messages": messages, "tools": tools},
                     response={"message": {"role": "assistant", "content": "", "tool_calls": [...]},
                               "finish_reason": "tool_calls", "usage": {"input_tokens": 50, "output_tokens": 9}})
        rec.tool_call("get_order", {"order_id": "A1001"}, result={"status": "shipped"})
        rec.tool_call("refund_order", {"order_id": "A1001"}, error=RecordedError("payments-api 503", status=503))
        rec.clock_read(time.time_ns())

This file has no dependencies beyond the standard library; copy it into your agent's project.
"""

import json
import time

FORMAT_VERSION = 1


class RecordedError:
    """A failure of a call, replayed as the same failure."""

    def __init__(self, message, type=None, status=None, timed_out=False):
        self.message, self.type, self.status, self.timed_out = message, type, status, timed_out

    def to_json(self):
        out = {"message": self.message, "timed_out": bool(self.timed_out)}
        if self.type is not None:
            out["type"] = self.type
        if self.status is not None:
            out["status"] = int(self.status)
        return out


class TraceWriter:
    """Appends events to a recording file (created or replaced)."""

    def __init__(self, path, input=None):
        self._file = open(path, "w", encoding="utf-8")
        self._next_step = 1
        header = {"rootspan_recording": FORMAT_VERSION, "start_time_unix_nano": time.time_ns()}
        if input is not None:
            header["input"] = input
        self._write(header)

    def _write(self, obj):
        self._file.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self._file.flush()

    def record(self, kind, name, request=None, response=None, error=None, duration_ns=0):
        """Appends one event of any kind (llm_call, tool_call, retrieval, decision, memory_read,
        memory_write, clock_read, random_read); returns its step id. Give `response` or `error`;
        an empty response ({} or []) is a response, not a failure."""
        if response is None and error is None:
            raise ValueError("an event needs a response or an error (an empty result is a response)")
        step = self._next_step
        event = {"step": step, "kind": kind, "name": name, "start_time_unix_nano": time.time_ns(),
                 "duration_ns": int(duration_ns), "request": request, "response": response}
        if error is not None:
            event["error"] = error.to_json()
        self._write(event)
        self._next_step += 1
        return step

    def llm_call(self, model, request, response=None, error=None, duration_ns=0):
        return self.record("llm_call", model, request, response, error, duration_ns)

    def tool_call(self, name, arguments, result=None, error=None, duration_ns=0):
        response = None if error is not None else {"result": result}
        return self.record("tool_call", name, {"name": name, "arguments": arguments}, response, error, duration_ns)

    def retrieval(self, name, query, documents):
        return self.record("retrieval", name, {"query": query}, {"documents": documents})

    def decision(self, name, options, chosen):
        return self.record("decision", name, {"options": options}, {"chosen": chosen})

    def memory_read(self, key, value):
        return self.record("memory_read", key, {"key": key}, {"value": value})

    def memory_write(self, key, value):
        return self.record("memory_write", key, {"key": key, "value": value}, {"ok": True})

    def clock_read(self, unix_nano):
        return self.record("clock_read", "clock", None, {"unix_nano": int(unix_nano)})

    def random_read(self, value):
        return self.record("random_read", "random", None, {"value": value})

    def close(self, output=None):
        """Flushes and closes; the final answer, when given, is appended as a decision named
        final_answer (the header is written first and never rewritten)."""
        if output is not None:
            self.decision("final_answer", None, output)
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._file.closed:
            self.close()
        return False
