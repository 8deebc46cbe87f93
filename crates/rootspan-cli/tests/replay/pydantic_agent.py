"""A pydantic-ai agent for the replay end-to-end test: OpenAIChatModel on the official openai SDK
(base URL from OPENAI_BASE_URL), traced by pydantic-ai's own OpenTelemetry instrumentation
(`Agent.instrument_all`, content included) and exported over OTLP/HTTP. AGENT_REFUND_ID changes a
tool result. Prints the final answer."""

import asyncio
import os
import sys

from openai import AsyncOpenAI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

provider = TracerProvider(resource=Resource.create({"service.name": "replay-e2e-pydantic-ai"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
Agent.instrument_all(InstrumentationSettings(tracer_provider=provider, include_content=True))

QUESTION = os.environ.get("ROOTSPAN_EVAL_INPUT") or "My smart speaker from order A1003 arrived broken. Please refund it."


def get_order(order_id: str) -> dict:
    """Look up an order by id."""
    return {"order_id": order_id, "status": "delivered", "items": ["Smart speaker"], "total": 129.0, "currency": "USD"}


def refund_order(order_id: str, amount: float, reason: str) -> dict:
    """Refund an order (amount in USD)."""
    return {"refund_id": os.environ.get("AGENT_REFUND_ID", "RF-5521"), "order_id": order_id, "amount": amount, "status": "issued"}


async def main():
    client = AsyncOpenAI(max_retries=0)
    agent = Agent(
        OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(openai_client=client)),
        name="support_agent",
        instructions="You are Acme's customer-support agent. Use the tools to look up orders and issue refunds. Answer in one sentence.",
        tools=[get_order, refund_order],
        model_settings={"temperature": 0},
    )
    result = await agent.run(QUESTION)
    return str(result.output).strip()


try:
    answer = asyncio.run(main())
    provider.shutdown()
    print(answer)
except Exception as error:
    provider.shutdown()
    print(f"agent error: {error}", file=sys.stderr)
    sys.exit(3)
