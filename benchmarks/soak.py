"""Soak: the shared daemon and an MCP server (real Kokoro model, real null sink) under minutes of
random speak / stop / pause / resume / status from a seeded RNG, sampled every ~10 s.

Each sample records the daemon's and the MCP server's RSS, threads and open descriptors, and
the time to first sound: after stopping whatever plays and waiting for quiet, `speak` through
MCP to the first sound at the sink. The summary gives RSS growth after warm-up, threads and
descriptors min/max, and first-sound p50/p95 in the first and last third of the samples.
CI does not run it; README reports a 15-minute run.

Usage: python benchmarks/soak.py [--minutes 15] [--seed 1] [--interval 10]
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

import anyio  # noqa: E402
from mcp import ClientSession  # noqa: E402

from benchmarks.common import machine, p50, p95  # noqa: E402
from benchmarks.sink import first_sound_after, open_fds, rss_mb, threads, wait_quiet  # noqa: E402
from tests.daemon_helpers import DaemonHome  # noqa: E402
from tests.mcp_helpers import connect  # noqa: E402

MAX_MINUTES = 24 * 60
VOICES = ("af_heart", "bm_george", "af_bella", "am_michael")
SENTENCES = (
    "Build {n} finished.",
    "All {n} tests pass.",
    "The deployment to staging failed {n} times because the migration timed out.",
    "I found bug {n}: the cache key ignored the locale.",
    "Refactoring the parser took {n} minutes, and the benchmarks are {n} percent faster.",
    "Please review pull request {n} when you have a moment.",
)
HEADER = "  t (s) daemon RSS  thr  fds  server RSS  thr  fds  first sound   load"
OPS = ("speak", "stop", "pause", "resume", "status")
WEIGHTS = (6, 1, 1, 1, 2)


@dataclass
class Sample:
    at: float  # seconds since the start
    first_sound: float
    daemon: tuple[float, int, int]  # RSS MB, threads, open descriptors
    server: tuple[float, int, int]
    load: float


def minutes(text: str) -> float:
    """--minutes: a positive number of minutes, at most a day."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_MINUTES):
        raise argparse.ArgumentTypeError(
            f"--minutes must be a number of minutes above 0 and at most {MAX_MINUTES}, got {text!r}"
        )
    return value


def seconds(text: str) -> float:
    """--interval: seconds between samples, from 2 to 600."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 2 <= value <= 600):
        raise argparse.ArgumentTypeError(f"--interval must be 2 to 600 seconds, got {text!r}")
    return value


def stats(pid: int) -> tuple[float, int, int]:
    return rss_mb(pid), threads(pid), open_fds(pid)


def server_pid() -> int:
    """The MCP server this process started (its only `-m kokoro_mcp` child)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if parent == me and b"kokoro_mcp" in command:
            return int(entry.name)
    raise RuntimeError("the MCP server process was not found among this process's children")


def random_request(rng: random.Random, count: int) -> tuple[str, dict[str, Any]]:
    op = rng.choices(OPS, WEIGHTS)[0]
    if op != "speak":
        return op, {}
    text = " ".join(
        rng.choice(SENTENCES).format(n=count * 7 + i) for i in range(rng.choice((1, 1, 2, 4)))
    )
    arguments: dict[str, Any] = {
        "text": text,
        "voice": rng.choice(VOICES),
        "mode": rng.choice(("interrupt", "interrupt", "queue")),
    }
    if rng.random() < 0.1:
        arguments["wait"] = True
    return op, arguments


async def wait_loaded(session: ClientSession) -> None:
    while True:
        status = dict((await session.call_tool("status", {})).structured_content or {})
        if status.get("state") == "idle" and (status.get("model") or {}).get("loaded"):
            return
        await anyio.sleep(0.2)


async def measure(
    session: ClientSession, capture: pulse.Capture, home: DaemonHome, server: int, n: int
) -> tuple[float, tuple[float, int, int], tuple[float, int, int]]:
    """First sound of a fresh sentence on a quiet sink, then both processes' figures."""
    for op in ("stop", "resume"):
        await session.call_tool(op, {})
    await anyio.to_thread.run_sync(wait_quiet, capture)
    sent = time.monotonic()
    result = await session.call_tool("speak", {"text": f"Sample {n} is in.", "voice": "af_heart"})
    if result.is_error:
        raise RuntimeError(f"the sample's speak failed: {result.content}")
    first = await anyio.to_thread.run_sync(first_sound_after, capture, sent, 30.0)
    daemon = home.pid()
    if daemon is None:
        raise RuntimeError("the daemon is gone")
    return first, stats(daemon), stats(server)


async def soak(length: float, seed: int, interval: float) -> tuple[list[Sample], dict[str, int]]:
    rng = random.Random(seed)
    samples: list[Sample] = []
    tally: collections.Counter[str] = collections.Counter()
    with DaemonHome() as home, pulse.Capture() as capture:
        async with connect({}, home=home, read_timeout=120) as session:
            server = server_pid()
            await wait_loaded(session)
            await session.call_tool("speak", {"text": "Warming up.", "wait": True})
            started = time.monotonic()
            due = started
            print(HEADER, flush=True)
            while time.monotonic() < started + length * 60:
                if time.monotonic() >= due:
                    first, daemon, proxy = await measure(
                        session, capture, home, server, len(samples)
                    )
                    sample = Sample(round(time.monotonic() - started, 1), first, daemon, proxy,
                                    os.getloadavg()[0])  # fmt: skip
                    samples.append(sample)
                    print(f"{sample.at:6.0f} {daemon[0]:8.0f} MB {daemon[1]:4} {daemon[2]:4}"
                          f"  {proxy[0]:8.0f} MB {proxy[1]:4} {proxy[2]:4}"
                          f"  {first * 1000:8.0f} ms  {sample.load:5.2f}", flush=True)  # fmt: skip
                    due = time.monotonic() + interval
                    continue
                op, arguments = random_request(rng, tally["calls"])
                tally["calls"] += 1
                tally[op] += 1
                # A waiting speak still playing when the next sample is due is given up (its
                # speech stops), as a client that stops waiting would: samples stay regular.
                with anyio.move_on_after(max(0.05, due - time.monotonic())) as scope:
                    result = await session.call_tool(op, arguments)
                if scope.cancelled_caught:
                    tally["given up"] += 1
                elif result.is_error:
                    tally[f"{op} errors"] += 1
                await anyio.sleep(min(rng.uniform(0.1, 1.5), max(0.0, due - time.monotonic())))
    return samples, dict(tally)


def report(samples: list[Sample], tally: dict[str, int], length: float, loads: list[float]) -> None:
    warm_up = min(120.0, length * 60 / 5)
    steady = [s for s in samples if s.at >= warm_up] or samples
    third = max(1, len(steady) // 3)
    head, tail = steady[:third], steady[-third:]
    base = p50([s.daemon[0] for s in head[:3]])
    end = p50([s.daemon[0] for s in tail[-3:]])
    print(f"\n# soak: {length:g} min, {len(samples)} samples, seed {tally.get('seed')};"
          f" {machine()}; load average {min(loads):.2f}-{max(loads):.2f}"
          f" (mean {sum(loads) / len(loads):.2f})")  # fmt: skip
    calls = ", ".join(f"{op} {tally.get(op, 0)}" for op in OPS)
    errors = ", ".join(f"{k} {v}" for k, v in tally.items() if k.endswith("errors")) or "none"
    print(f"requests: {tally.get('calls', 0)} ({calls}); waiting speaks given up at a sample:"
          f" {tally.get('given up', 0)}; errors: {errors}")  # fmt: skip
    print(f"daemon RSS after warm-up ({warm_up:.0f} s): {base:.0f} -> {end:.0f} MB"
          f" ({(end - base) / base * 100:+.1f}%; target < 5%)")  # fmt: skip
    for name, index in (("daemon", 0), ("server", 1)):
        figures = [(s.daemon, s.server)[index] for s in steady]
        rss, count, fds = ([f[i] for f in figures] for i in range(3))
        print(f"{name}: RSS {min(rss):.0f}-{max(rss):.0f} MB, threads {min(count)}-{max(count)},"
              f" open descriptors {min(fds)}-{max(fds)}")  # fmt: skip
    for name, part in (("first third", head), ("last third", tail)):
        firsts = [s.first_sound for s in part]
        print(f"time to first sound, {name}: p50 {p50(firsts) * 1000:.0f} ms,"
              f" p95 {p95(firsts) * 1000:.0f} ms (n={len(firsts)})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=minutes, default=15.0, help="length (default 15)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--interval", type=seconds, default=10.0, help="seconds between samples")
    args = parser.parse_args(argv)
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)
    print(f"# soak: {machine()}, load {os.getloadavg()[0]:.2f} at the start", flush=True)
    samples, tally = anyio.run(soak, args.minutes, args.seed, args.interval)
    tally["seed"] = args.seed
    report(samples, tally, args.minutes, [s.load for s in samples])
    return 0


if __name__ == "__main__":
    sys.exit(main())
