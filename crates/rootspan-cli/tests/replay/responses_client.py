"""The official openai SDK's Responses API against the replay server: the first model turn of
the recorded run, streamed (`client.responses.stream`), assembled by the SDK. Prints the output
items as JSON."""
import json

from openai import OpenAI

client = OpenAI(max_retries=0)
SYSTEM = "You are Acme's customer-support agent. Use the tools to look up orders and issue refunds. Answer in one sentence."
QUESTION = "My smart speaker from order A1003 arrived broken. Please refund it."
TOOLS = [{"type": "function", "name": "get_order", "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}},
         {"type": "function", "name": "refund_order", "parameters": {"type": "object", "properties": {}}}]
with client.responses.stream(model="gpt-4o-mini", instructions=SYSTEM, input=QUESTION, tools=TOOLS) as stream:
    for _ in stream:
        pass
    final = stream.get_final_response()
print(json.dumps([{"type": o.type, "name": getattr(o, "name", None), "arguments": getattr(o, "arguments", None)} for o in final.output]))
