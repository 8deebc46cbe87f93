"""A scripted OpenAI-compatible model for the replay end-to-end test: the "live service" of the
original run. It answers /v1/chat/completions by the state of the conversation (which tool
results it already holds), so the same agent always gets the same answers. Prints its port on
the first line of standard output, then serves until killed."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-4o-mini-2024-07-18"
calls = {"n": 0}


def judge(body):
    """Without tools, the model is a judge: PASS when the answer under review names a refund id."""
    prompt = body["messages"][-1]["content"]
    answer_part = prompt.split("Answer:", 1)[-1]
    verdict = "PASS\nThe answer names the refund." if "RF-" in answer_part else "FAIL\nNo refund id in the answer."
    return {"id": "chatcmpl-judge", "object": "chat.completion", "created": 1764633600, "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def answer(body):
    if not body.get("tools"):
        return judge(body)
    tool_results = [m for m in body.get("messages", []) if m.get("role") == "tool"]
    calls["n"] += 1
    cid = f"call_live_{calls['n']}"
    if len(tool_results) == 0:
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": "get_order", "arguments": json.dumps({"order_id": "A1003"})}}]}
        finish = "tool_calls"
    elif len(tool_results) == 1:
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": "refund_order", "arguments": json.dumps(
                {"order_id": "A1003", "amount": 129.0, "reason": "arrived broken"})}}]}
        finish = "tool_calls"
    else:
        refund = json.loads(tool_results[-1]["content"])
        message = {"role": "assistant", "content": f"I've refunded $129.00 for order A1003 (refund {refund['refund_id']}); it will appear in 3-5 business days."}
        finish = "stop"
    return {
        "id": f"chatcmpl-live-{calls['n']}", "object": "chat.completion", "created": 1764633600, "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 100 + 20 * len(tool_results), "completion_tokens": 17, "total_tokens": 117 + 20 * len(tool_results)},
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(answer(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
