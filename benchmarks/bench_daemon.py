"""The shared daemon: what a warm daemon buys a terminal, what a `kk` call costs, and what the
MCP proxy adds, each against its baseline in the same run.

1. `kk say` against a warm daemon vs a cold `kokoro-mcp say --no-daemon` (loads the model,
   opens audio, speaks): from spawning the command to the first sound at the null sink.
2. `kk status` and the Claude Code Stop hook as whole processes vs `python -c pass` (the floor
   for any Python command).
3. Through MCP, `tools/call speak` to the first sound at the sink: the proxy + daemon vs the
   all-in-one server (--no-daemon). Blocks alternate (ABBA) and never keep both models
   resident; "sink time minus the server's own time to first audio" cancels synthesis noise.

Usage: python benchmarks/bench_daemon.py [--runs N] [--blocks N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

import anyio  # noqa: E402

from benchmarks.common import machine, p50, summary  # noqa: E402
from benchmarks.sink import first_sound_after, rss_mb, wait_quiet  # noqa: E402
from tests.daemon_helpers import DaemonHome  # noqa: E402
from tests.mcp_helpers import NO_DAEMON, PYTHON, REPO, connect, server_env  # noqa: E402

PHRASES = [
    "Build {n} finished.",
    "All {n} tests pass.",
    "The deployment to staging failed {n} times because the migration timed out.",
    "I found bug {n}: the cache key ignored the locale.",
]


def cli(home: DaemonHome, runs: int) -> dict[str, list[float]]:
    env = server_env(home.env())
    warm: list[float] = []
    cold: list[float] = []
    kk = [PYTHON, "-m", "kokoro_mcp.client.kk"]
    subprocess.run([*kk, "say", "Warming up."], env=env, cwd=REPO, check=True)
    with pulse.Capture() as capture:
        for run in range(runs):
            for side in ("warm", "cold") if run % 2 == 0 else ("cold", "warm"):
                wait_quiet(capture)
                text = f"Build {run * 2 + (side == 'cold')} finished."
                started = time.monotonic()
                if side == "warm":
                    subprocess.run([*kk, "say", text], env=env, cwd=REPO, check=True)
                    warm.append(first_sound_after(capture, started))
                else:
                    command = [PYTHON, "-m", "kokoro_mcp", "say", "--no-daemon", text]
                    subprocess.run(command, env=env, cwd=REPO, check=True)
                    cold.append(first_sound_after(capture, started))
    return {"warm": warm, "cold": cold}


def status_cost(home: DaemonHome, runs: int, transcript: Path) -> dict[str, list[float]]:
    """Whole-process times: `kk status`, the Claude Code Stop hook, and bare Python."""
    env = server_env(home.env())
    times: dict[str, list[float]] = {"kk": [], "hook": [], "bare": []}
    payload = json.dumps({"hook_event_name": "Stop", "session_id": "bench", "cwd": "/tmp",
                          "transcript_path": str(transcript)}).encode()  # fmt: skip
    commands = {
        "kk": [PYTHON, "-m", "kokoro_mcp.client.kk", "status"],
        "hook": [PYTHON, "-m", "kokoro_mcp", "hook", "claude-code"],
        "bare": [PYTHON, "-c", "pass"],
    }
    for _ in range(runs):
        for side, command in commands.items():
            started = time.perf_counter()
            subprocess.run(
                command, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                input=payload if side == "hook" else None,
            )  # fmt: skip
            times[side].append(time.perf_counter() - started)
            if side == "hook":
                subprocess.run([*commands["kk"][:-1], "stop"], env=env, stdout=subprocess.DEVNULL)
    return times


async def _mcp_block(
    env: dict[str, str], home: DaemonHome, phrases: list[str], capture: pulse.Capture
) -> dict[str, Any]:
    at_sink: list[float] = []
    tails: list[float] = []
    memory: dict[str, float] = {}
    async with connect(env, home=home, read_timeout=120) as session:
        while True:
            status = dict((await session.call_tool("status", {})).structured_content or {})
            if status.get("state") == "idle" and (status.get("model") or {}).get("loaded"):
                break
            await anyio.sleep(0.1)
        await session.call_tool("speak", {"text": "Warming up.", "wait": True})
        for phrase in phrases:
            await anyio.to_thread.run_sync(wait_quiet, capture)
            sent = time.monotonic()
            result = await session.call_tool("speak", {"text": phrase, "wait": True})
            if result.is_error:
                raise RuntimeError(f"speak failed: {result.content}")
            sink = first_sound_after(capture, sent)
            at_sink.append(sink)
            tails.append(sink - float((result.structured_content or {})["time_to_first_audio"]))
        if home.pid() is not None and "KOKORO_MCP_DAEMON" not in env:
            memory["daemon"] = rss_mb(home.pid() or 0)
    return {"at_sink": at_sink, "tails": tails, "memory": memory}


def mcp(blocks: int) -> dict[str, Any]:
    sides: dict[str, dict[str, Any]] = {
        "proxy": {"at_sink": [], "tails": [], "memory": {}},
        "in-process": {"at_sink": [], "tails": [], "memory": {}},
    }
    for block in range(blocks):
        order = ("proxy", "in-process") if block % 2 == 0 else ("in-process", "proxy")
        for index, side in enumerate(order):
            phrases = [p.format(n=100 * block + 10 * index + i) for i, p in enumerate(PHRASES)]
            env = {} if side == "proxy" else dict(NO_DAEMON)
            with DaemonHome() as home, pulse.Capture() as capture:
                got = anyio.run(_mcp_block, env, home, phrases, capture)
            for key in ("at_sink", "tails"):
                sides[side][key] += got[key]
            sides[side]["memory"].update(got["memory"])
    return sides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm/cold pairs and status pairs")
    parser.add_argument("--blocks", type=int, default=4, help="proxy/in-process block pairs")
    args = parser.parse_args(argv)
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)
    print(f"# bench_daemon: {machine()}, load {os.getloadavg()[0]:.2f}")

    with DaemonHome() as home:
        said = cli(home, args.runs)
        transcript = home.root / "transcript.jsonl"
        transcript.write_text(
            json.dumps({"type": "assistant", "message": {"content": "All tests pass."}}) + "\n"
        )
        cost = status_cost(home, args.runs * 4, transcript)
    print(summary("kk say, warm daemon -> first sound", said["warm"]))
    print(summary("baseline: kokoro-mcp say --no-daemon (cold)", said["cold"]))
    print(f"warm daemon is {p50(said['cold']) / p50(said['warm']):.1f}x sooner (target >= 5x)")
    print(summary("kk status, whole process", cost["kk"]))
    print(summary("baseline: python -c pass", cost["bare"]))
    extra = (p50(cost["kk"]) - p50(cost["bare"])) * 1000
    print(f"kk status: {p50(cost['kk']) * 1000:.0f} ms p50 (target <= 60 ms), {extra:+.0f} ms"
          f" over bare Python ({p50(cost['kk']) / p50(cost['bare']):.2f}x)")  # fmt: skip
    print(summary("Claude Code Stop hook, whole process", cost["hook"]))
    print(f"hook: {p50(cost['hook']) * 1000:.0f} ms p50 (target <= 100 ms)")

    sides = mcp(args.blocks)
    proxy, local = sides["proxy"], sides["in-process"]
    print(summary("MCP speak -> sink, proxy + daemon", proxy["at_sink"]))
    print(summary("baseline: MCP speak -> sink, --no-daemon", local["at_sink"]))
    print(summary("  proxy: sink - server's own ttfa", proxy["tails"]))
    print(summary("  --no-daemon: sink - server's own ttfa", local["tails"]))
    added = (p50(proxy["tails"]) - p50(local["tails"])) * 1000
    print(f"the proxy adds, p50: {added:+.1f} ms (target <= 10 ms)")
    if proxy["memory"]:
        print(f"daemon RSS after the runs: {proxy['memory']['daemon']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
