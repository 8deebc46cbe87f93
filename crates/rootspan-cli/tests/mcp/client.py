"""A real MCP client round trip against rootspan, with the official Python `mcp` package.

    python3 client.py stdio ROOTSPAN_BINARY STORE
    python3 client.py http URL

Prints one JSON object: the tool names, and what each call answered (parsed from the text).
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


def text_of(result):
    return "".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def exercise(session):
    await session.initialize()
    tools = await session.list_tools()
    out = {"tools": sorted(tool.name for tool in tools.tools)}
    search = await session.call_tool("search_traces", {"status": "error", "limit": 10})
    out["search"] = json.loads(text_of(search))
    first = out["search"][0]["trace_id"]
    trace = await session.call_tool("get_trace", {"trace_id": first[:8], "limit": 2})
    out["trace"] = json.loads(text_of(trace))
    if out["trace"]["next_cursor"]:
        page = await session.call_tool("get_trace", {"trace_id": first, "cursor": out["trace"]["next_cursor"], "limit": 2})
        out["second_page"] = json.loads(text_of(page))
    span_id = out["trace"]["spans"][0]["span_id"]
    span = await session.call_tool("get_span", {"trace_id": first, "span_id": span_id})
    out["span_text"] = text_of(span)
    diagnosis = await session.call_tool("diagnose_trace", {"trace_id": first})
    out["diagnosis"] = json.loads(text_of(diagnosis))
    analysis = await session.call_tool("analyze_trace", {"trace_id": first})
    out["analysis_keys"] = sorted(json.loads(text_of(analysis)).keys())
    diff = await session.call_tool("diff_traces", {"a": first})
    out["diff"] = json.loads(text_of(diff))
    clusters = await session.call_tool("list_clusters", {})
    out["clusters"] = json.loads(text_of(clusters))
    sessions = await session.call_tool("list_sessions", {})
    out["sessions"] = json.loads(text_of(sessions))
    missing = await session.call_tool("diagnose_trace", {"trace_id": "ffffffffffffffffffffffffffffffff"})
    is_error = getattr(missing, "is_error", None)
    if is_error is None:
        is_error = getattr(missing, "isError", None)
    out["missing"] = {"is_error": is_error, "text": text_of(missing)}
    return out


async def main():
    mode = sys.argv[1]
    if mode == "stdio":
        params = StdioServerParameters(command=sys.argv[2], args=["mcp", "--store", sys.argv[3]])
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                print(json.dumps(await exercise(session)))
    else:
        async with streamable_http_client(sys.argv[2]) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                print(json.dumps(await exercise(session)))


asyncio.run(main())
