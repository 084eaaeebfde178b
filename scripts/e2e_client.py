"""The official Python MCP client (`mcp` 2.x) against our example server, in its default mode.

    python scripts/e2e_client.py URL [--clients N] [--rounds R] [--wait-for-go]

The default `mode='auto'` probes with `server/discover` and falls back to the 2025 `initialize`
handshake unless the answer is positive evidence of a 2026-07-28 server. Each of `--clients`
(default 1) concurrent clients connects `--rounds` times (default 1, one connection after another);
on each connection it lists the tools, then calls `echo`, `add` and `slow` (with a progress
callback) at the same time. The first connection prints the details (negotiated version, how it was
reached, the tools and each answer); the last line says what every connection negotiated and `OK`,
or how many failures there were. Exit code 0 unless a connection failed or negotiated another
version than 2026-07-28.

`--wait-for-go` is for a harness that starts several clients at once: the script prints `@ready`
once the client library is imported, waits for a line on stdin, and only then connects. It also
prints `@window START END`, the wall-clock milliseconds of its first connection attempt and of the
end of its last call, so the harness can check that clients overlapped.

The example server has no tool that asks for input (elicitation, sampling or roots), so the
multi-round-trip path (`input_required`, then a retry with `inputResponses` and `requestState`) is
not exercised here.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import sys
import time

from mcp import Client

EXPECTED = "2026-07-28"


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def one_connection(url: str, label: str, verbose: bool, failures: list[str]) -> tuple[str, str]:
    """One connection: the workload; returns (negotiated version, how it was reached)."""

    def say(line: str) -> None:
        if verbose:
            print(line, flush=True)

    async with Client(url) as client:
        version = client.protocol_version
        session = client.session
        how = "server/discover" if session.discover_result is not None else "initialize"
        say(f"negotiated protocol version: {version} (via {how})")
        say(f"server: {client.server_info.name if client.server_info else None}")
        if session.discover_result is not None:
            say(f"server/discover supportedVersions: {session.discover_result.supported_versions}")

        tools = await client.list_tools()
        names = [tool.name for tool in tools.tools]
        say(f"tools: {names}")
        if "echo" not in names or "slow" not in names:
            failures.append(f"{label}: echo or slow not listed: {names}")

        progress: list[float] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        text = f"hello from {label}"
        echoed, added, slow = await asyncio.gather(
            client.call_tool("echo", {"text": text}),
            client.call_tool("add", {"a": 2, "b": 40}),
            client.call_tool("slow", {"steps": 4, "delayMs": 50}, progress_callback=on_progress),
        )
        say(f"echo: {text_of(echoed)!r} isError={echoed.is_error}")
        if text_of(echoed) != text:
            failures.append(f"{label}: echo answered {text_of(echoed)!r}")
        say(f"add: {text_of(added)!r} structured={added.structured_content}")
        if added.structured_content != {"sum": 42}:
            failures.append(f"{label}: add answered {added.structured_content!r}")
        say(f"slow: {text_of(slow)!r} progress={progress}")
        if text_of(slow) != "done after 4 steps" or progress != [1, 2, 3, 4]:
            failures.append(f"{label}: slow answered {text_of(slow)!r} with progress {progress}")

    if version != EXPECTED:
        failures.append(f"{label}: negotiated {version!r}, expected {EXPECTED!r}")
    return version, how


async def one_client(url: str, index: int, rounds: int, failures: list[str]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for round_ in range(rounds):
        label = f"client {index} round {round_}"
        try:
            seen.append(await one_connection(url, label, index == 0 and round_ == 0, failures))
        except Exception as error:  # a failed connection or call fails the run, the others go on
            failures.append(f"{label}: {type(error).__name__}: {error}")
    return seen


async def main(url: str, clients: int, rounds: int, wait_for_go: bool) -> int:
    if wait_for_go:
        print("@ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    failures: list[str] = []
    start = time.time()
    results = await asyncio.gather(*(one_client(url, index, rounds, failures) for index in range(clients)))
    end = time.time()
    if wait_for_go:
        print(f"@window {int(start * 1000)} {int(end * 1000)}", flush=True)
    negotiated = sorted({f"{version} via {how}" for seen in results for version, how in seen})
    connections = sum(len(seen) for seen in results)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr, flush=True)
    status = "OK" if not failures else f"{len(failures)} failure(s)"
    print(
        f"python mcp {importlib.metadata.version('mcp')} (mode auto): negotiated {', '.join(negotiated) or 'nothing'}"
        f" on {connections} of {clients * rounds} connections ({clients} concurrent clients x {rounds} rounds)"
        f" {status}",
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--wait-for-go", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.url, args.clients, args.rounds, args.wait_for_go)))
