"""The official Python MCP client against `rootspan replay mcp FILE` (stdio): lists the recorded
tools, calls them in the recorded order, then once more than the recording holds.

    python3 mcp_client.py ROOTSPAN_BINARY RECORDING

Prints one JSON object with what each step answered."""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def text_of(result):
    return "".join(part.text for part in result.content if getattr(part, "type", "") == "text")


def is_error(result):
    value = getattr(result, "is_error", None)
    return getattr(result, "isError", None) if value is None else value


async def main():
    params = StdioServerParameters(command=sys.argv[1], args=["replay", "mcp", sys.argv[2]])
    out = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            out["tools"] = sorted(tool.name for tool in tools.tools)
            order = await session.call_tool("get_order", {"order_id": "A1"})
            out["get_order"] = {"text": text_of(order), "is_error": is_error(order)}
            refund = await session.call_tool("refund_order", {"order_id": "A1"})
            out["refund_order"] = {"text": text_of(refund), "is_error": is_error(refund)}
            try:
                beyond = await session.call_tool("get_order", {"order_id": "A1"})
                out["beyond"] = {"text": text_of(beyond), "is_error": is_error(beyond)}
            except Exception as error:  # the JSON-RPC error of a refused call
                out["beyond"] = {"error": str(error)}
    print(json.dumps(out))


asyncio.run(main())
