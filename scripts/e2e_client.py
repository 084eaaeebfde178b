"""The official Python MCP client (`mcp` 2.x) against our example server, in its default mode.

    python scripts/e2e_client.py http://127.0.0.1:3000/mcp

The default `mode='auto'` probes with `server/discover` and falls back to the 2025 `initialize`
handshake unless the answer is positive evidence of a 2026-07-28 server. The script lists the
tools, calls `echo` and `add`, calls `slow` with a progress callback, prints the negotiated protocol
version and how it was reached, and exits 1 unless that version is 2026-07-28.
"""

from __future__ import annotations

import asyncio
import sys

from mcp import Client

EXPECTED = "2026-07-28"


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def main(url: str) -> int:
    failures: list[str] = []
    async with Client(url) as client:
        version = client.protocol_version
        session = client.session
        how = "server/discover" if session.discover_result is not None else "initialize"
        print(f"negotiated protocol version: {version} (via {how})")
        print(f"server: {client.server_info.name if client.server_info else None}")
        if session.discover_result is not None:
            print(f"server/discover supportedVersions: {session.discover_result.supported_versions}")

        tools = await client.list_tools()
        names = [tool.name for tool in tools.tools]
        print(f"tools: {names}")
        if "echo" not in names:
            failures.append(f"echo not listed: {names}")

        echoed = await client.call_tool("echo", {"text": "hello from python"})
        print(f"echo: {text_of(echoed)!r} isError={echoed.is_error}")
        if text_of(echoed) != "hello from python":
            failures.append(f"echo answered {text_of(echoed)!r}")

        added = await client.call_tool("add", {"a": 2, "b": 40})
        print(f"add: {text_of(added)!r} structured={added.structured_content}")
        if added.structured_content != {"sum": 42}:
            failures.append(f"add answered {added.structured_content!r}")

        progress: list[float] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        slow = await client.call_tool("slow", {"steps": 3, "delayMs": 5}, progress_callback=on_progress)
        print(f"slow: {text_of(slow)!r} progress={progress}")
        if progress != [1, 2, 3]:
            failures.append(f"slow reported progress {progress}")

    if version != EXPECTED:
        failures.append(f"negotiated {version!r}, expected {EXPECTED!r}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    print("OK" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: e2e_client.py URL", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1])))
