"""The serve tests' MCP client: the real `mcp` package from PyPI, over stdio or
streamable HTTP. Runs a scenario and prints one JSON object of what it saw.

    mcp_client.py stdio SCENARIO DIVE ARGS...      (launches `DIVE ARGS...`)
    mcp_client.py http  SCENARIO URL
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters


def result(r) -> dict:
    """A CallToolResult as the wire has it (camelCase), reduced to what the tests check."""
    wire = r.model_dump(by_alias=True, mode="json")
    texts = [c["text"] for c in wire.get("content", []) if c.get("type") == "text"]
    return {"is_error": bool(wire.get("isError")), "structured": wire.get("structuredContent"), "text": texts[0] if texts else None}


async def basic(client: Client, args: dict) -> dict:
    """list, a call, a tool error, a violation, an unknown tool, then a normal call."""
    listed = await client.list_tools()
    tools = {t.name: t.model_dump(by_alias=True, exclude_none=True) for t in listed.tools}
    out = {"tools": tools, "protocol": client.protocol_version, "calls": {}}
    for name, (tool, arguments) in args["calls"].items():
        try:
            out["calls"][name] = result(await client.call_tool(tool, arguments))
        except Exception as e:  # a protocol error (e.g. an unknown tool)
            out["calls"][name] = {"protocol_error": str(e)}
    return out


async def many(url: str, args: dict) -> dict:
    """N sessions at once, each calling probe_echo with its own text, while one more
    session runs a slow tool: the others finish while the slow call still runs."""
    n = args["sessions"]

    async def one(i: int) -> dict:
        async with Client(url) as c:
            r = result(await c.call_tool("probe_echo", {"text": f"session-{i}-"}))
            r2 = result(await c.call_tool("probe_echo", {"text": f"session-{i}-", "times": 2}))
            return {"i": i, "first": r, "second": r2}

    async def slow() -> dict:
        async with Client(url) as c:
            return result(await c.call_tool("probe_sleep", {"ms": args["slow_ms"]}))

    slow_task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    done = await asyncio.gather(*(one(i) for i in range(n)))
    slow_was_running = not slow_task.done()
    slow_result = await slow_task
    return {"sessions": done, "slow_was_running": slow_was_running, "slow": slow_result}


async def main() -> None:
    mode, scenario = sys.argv[1], sys.argv[2]
    args = json.loads(os.environ.get("SCENARIO_ARGS", "{}"))
    if mode == "stdio":
        server = StdioServerParameters(command=sys.argv[3], args=sys.argv[4:], env=dict(os.environ), cwd=os.getcwd())
    else:
        server = sys.argv[3]
    if scenario == "many":
        out = await many(server, args)
    else:
        async with Client(server) as client:
            out = await basic(client, args)
    print(json.dumps(out))


asyncio.run(main())
