"""A real instrumented agent for the replay end-to-end test: the official openai SDK in a tool
loop, traced by OpenInference's OpenAI instrumentation and exported over OTLP/HTTP. Its base
URL comes from OPENAI_BASE_URL (the scripted model, or rootspan's replay server). Knobs for the
divergence checks: AGENT_SYSTEM_SUFFIX changes the prompt, AGENT_REFUND_ID changes a tool
result, AGENT_STREAM=1 streams the completions. Prints the final answer."""

import json
import os
import sys

from openai import OpenAI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from openinference.instrumentation.openai import OpenAIInstrumentor

provider = TracerProvider(resource=Resource.create({"service.name": "replay-e2e-agent"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
OpenAIInstrumentor().instrument(tracer_provider=provider)
tracer = provider.get_tracer("replay-e2e-agent")

SYSTEM = "You are Acme's customer-support agent. Use the tools to look up orders and issue refunds. Answer in one sentence." + os.environ.get("AGENT_SYSTEM_SUFFIX", "")
QUESTION = os.environ.get("ROOTSPAN_EVAL_INPUT") or "My smart speaker from order A1003 arrived broken. Please refund it."
TOOLS = [
    {"type": "function", "function": {"name": "get_order", "description": "Look up an order by id.",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}},
    {"type": "function", "function": {"name": "refund_order", "description": "Refund an order (amount in USD).",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"},
                    "reason": {"type": "string"}}, "required": ["order_id", "amount", "reason"]}}},
]


def get_order(order_id):
    return {"order_id": order_id, "status": "delivered", "items": ["Smart speaker"], "total": 129.0, "currency": "USD"}


def refund_order(order_id, amount, reason):
    return {"refund_id": os.environ.get("AGENT_REFUND_ID", "RF-5521"), "order_id": order_id, "amount": amount, "status": "issued"}


IMPLEMENTATIONS = {"get_order": get_order, "refund_order": refund_order}


def complete(client, messages):
    if os.environ.get("AGENT_STREAM") != "1":
        message = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS).choices[0].message
        calls = [(c.id, c.function.name, c.function.arguments) for c in (message.tool_calls or [])]
        return message.content, calls
    content, calls = "", {}
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS, stream=True,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        content += delta.content or ""
        for call in delta.tool_calls or []:
            slot = calls.setdefault(call.index, ["", "", ""])
            slot[0] = call.id or slot[0]
            if call.function and call.function.name:
                slot[1] = call.function.name
            if call.function and call.function.arguments:
                slot[2] += call.function.arguments
    return content or None, [tuple(calls[i]) for i in sorted(calls)]


def main():
    client = OpenAI(max_retries=0)
    with tracer.start_as_current_span("support_agent", attributes={"openinference.span.kind": "AGENT", "input.value": QUESTION}) as root:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
        answer = None
        for _ in range(6):
            content, calls = complete(client, messages)
            if not calls:
                answer = content
                break
            messages.append({"role": "assistant", "content": content, "tool_calls": [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": args}} for cid, name, args in calls]})
            for cid, name, args in calls:
                with tracer.start_as_current_span(name, attributes={"openinference.span.kind": "TOOL", "tool.name": name, "input.value": args}) as span:
                    result = IMPLEMENTATIONS[name](**json.loads(args))
                    span.set_attribute("output.value", json.dumps(result))
                messages.append({"role": "tool", "tool_call_id": cid, "content": json.dumps(result)})
        root.set_attribute("output.value", answer or "")
    provider.shutdown()
    print(answer)


try:
    main()
except Exception as error:  # the replay server's refusal reaches here as an API error
    provider.shutdown()
    print(f"agent error: {error}", file=sys.stderr)
    sys.exit(3)
