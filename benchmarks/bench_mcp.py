"""End-to-end time to first audio through MCP, against the Speaker's own figure, and the
server's memory.

Through MCP: the SDK client sends `tools/call speak` to a real `python -m kokoro_mcp` over stdio;
the clock stops at the first non-silent sample recorded at the PulseAudio null sink. The
Speaker's own figure: the same phrases, the same sink, `Speaker.speak()` called in this process
(no MCP). Both use the real model, warmed up first. They run in blocks, ABBA-ordered (never two
models resident at once: an idle ONNX session's spinning threads slow the other), and every
phrase carries a new number so nothing comes from the engine's audio cache.

Usage: python benchmarks/bench_mcp.py [--blocks N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

import anyio  # noqa: E402

from benchmarks.common import machine, p50, p95, summary  # noqa: E402
from tests.mcp_helpers import NO_DAEMON, connect  # noqa: E402

# {n} makes every request new text, so no run is served from the engine's audio cache.
PHRASES = [
    "Build {n} finished.",
    "All {n} tests pass.",
    "The deployment to staging failed {n} times because the database migration timed out.",
    "I found bug {n}: the cache key ignored the user's locale.",
]
RSS_LIMIT_MB = 750
SOUND = 0.005  # -46 dBFS, the same "not silent" threshold as bench_playback.py


def _children_rss(parent: int) -> dict[int, tuple[float, float]]:
    """{pid: (VmRSS MB, VmHWM MB)} of this process's direct children."""
    found: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            fields = dict(
                line.split(":", 1) for line in (entry / "status").read_text().splitlines()
            )
        except (OSError, ValueError, IndexError):
            continue
        if "VmRSS" in fields:
            rss = int(fields["VmRSS"].split()[0]) / 1024
            hwm = int(fields["VmHWM"].split()[0]) / 1024
            found[int(entry.name)] = (rss, hwm)
    return found


def _first_sound_after(capture: pulse.Capture, start: float) -> float:
    """Seconds from `start` (monotonic) to the first loud sample recorded after it.

    Called once playback has ended: scanning the recording while it plays would take CPU
    from the process being measured."""
    time.sleep(0.2)  # the last blocks reach the monitor
    index = pulse.first_sound(capture.samples, capture.index_at(start), SOUND)
    if index is None:
        raise RuntimeError("no sound reached the sink")
    return capture.time_of(index) - start


async def _wait_idle(session: Any) -> dict[str, Any]:
    while True:
        result = await session.call_tool("status", {})
        status = dict(result.structured_content or {})
        if status.get("state") == "idle":
            return status
        await anyio.sleep(0.05)


def _phrases(block: int, side: int) -> list[str]:
    return [p.format(n=100 * block + 10 * side + i) for i, p in enumerate(PHRASES)]


async def measure_mcp(
    phrases: list[str], capture: pulse.Capture, extra_env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Speak each phrase through a fresh `--no-daemon` server (with `extra_env` added to its
    environment) and time it at the sink."""
    at_sink: list[float] = []
    reported: list[float] = []
    async with connect({**NO_DAEMON, **(extra_env or {})}, read_timeout=120) as session:
        await _wait_idle(session)
        await session.call_tool("speak", {"text": "Warming up.", "wait": True})
        await _wait_idle(session)
        memory = _children_rss(os.getpid())
        for phrase in phrases:
            await anyio.sleep(0.4)  # let the sink go quiet
            sent = time.monotonic()
            result = await session.call_tool("speak", {"text": phrase, "wait": True})
            if result.is_error:
                raise RuntimeError(f"speak failed: {result.content}")
            at_sink.append(_first_sound_after(capture, sent))
            reported.append(float((result.structured_content or {})["time_to_first_audio"]))
        after = _children_rss(os.getpid())
    rss = max((v[0] for v in after.values()), default=0.0)
    peak = max((v[1] for v in after.values()), default=0.0)
    loaded = max((v[0] for v in memory.values()), default=0.0)
    return {
        "at_sink": at_sink,
        "reported": reported,
        "rss_loaded_mb": loaded,
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }


def measure_speaker(phrases: list[str], capture: pulse.Capture) -> dict[str, Any]:
    from kokoro_mcp.engine import create_engine
    from kokoro_mcp.speaker import Speaker

    speaker = Speaker(create_engine("auto"))
    speaker.start()
    try:
        if not speaker.wait_ready(120) or not speaker.wait_audio(30):
            raise RuntimeError(f"speaker not ready: {speaker.status()}")
        speaker.speak("Warming up.").wait(60)
        at_sink: list[float] = []
        reported: list[float] = []
        for phrase in phrases:
            time.sleep(0.4)
            sent = time.monotonic()
            utterance = speaker.speak(phrase)
            utterance.wait(60)
            at_sink.append(_first_sound_after(capture, sent))
            reported.append(float(utterance.time_to_first_audio or "nan"))
    finally:
        speaker.close()
    return {"at_sink": at_sink, "reported": reported}


def _run(blocks: int) -> dict[str, Any]:
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)
    mcp: dict[str, Any] = {"at_sink": [], "reported": [], "rss_loaded_mb": 0.0}
    direct: dict[str, Any] = {"at_sink": [], "reported": []}
    for block in range(blocks):
        # ABBA order: whichever side runs first in a block measured slower here.
        sides = ("mcp", "speaker") if block % 2 == 0 else ("speaker", "mcp")
        for side in sides:
            with pulse.Capture() as capture:
                if side == "mcp":
                    got = anyio.run(measure_mcp, _phrases(block, 0), capture)
                    for key in ("rss_loaded_mb", "rss_mb", "peak_rss_mb"):
                        mcp[key] = max(mcp.get(key, 0.0), got[key])
                else:
                    got = measure_speaker(_phrases(block, 1), capture)
            target = mcp if side == "mcp" else direct
            for key in ("at_sink", "reported"):
                target[key] += got[key]
    return {"mcp": mcp, "speaker": direct}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=4, help="MCP/Speaker block pairs")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)

    results = _run(args.blocks)
    mcp, direct = results["mcp"], results["speaker"]
    line: Callable[[str, list[float]], str] = summary
    print(f"# bench_mcp: {machine()}")
    print(f"# {len(PHRASES)} phrases x {args.blocks} blocks each, warm model, no cache hits")
    print(line("MCP tools/call speak -> first sound at sink", mcp["at_sink"]))
    print(line("Speaker.speak() -> first sound at sink", direct["at_sink"]))
    print(line("  (server's reported time_to_first_audio)", mcp["reported"]))
    print(line("  (Speaker's reported time_to_first_audio)", direct["reported"]))
    # Per utterance, "first sound at the sink" minus the Speaker's own time to first audio
    # cancels the synthesis time, which on a busy machine varies far more than MCP costs.
    tail_mcp = [a - r for a, r in zip(mcp["at_sink"], mcp["reported"], strict=True)]
    tail_direct = [a - r for a, r in zip(direct["at_sink"], direct["reported"], strict=True)]
    print(line("MCP: sink time - Speaker's own figure", tail_mcp))
    print(line("direct: sink time - Speaker's own figure", tail_direct))
    overhead = p50(tail_mcp) - p50(tail_direct)
    print(f"MCP adds, p50: {overhead * 1000:+.1f} ms (target: within 50 ms)")
    raw = p50(mcp["at_sink"]) - p50(direct["at_sink"])
    print(f"(difference of the raw p50s above, synthesis noise included: {raw * 1000:+.1f} ms)")
    print(
        f"server RSS with the model loaded: {mcp['rss_loaded_mb']:.0f} MB; after the runs"
        f" {mcp['rss_mb']:.0f} MB, peak {mcp['peak_rss_mb']:.0f} MB (target: <= {RSS_LIMIT_MB} MB)"
    )
    print(f"p95: MCP {p95(mcp['at_sink']) * 1000:.0f} ms,", end=" ")
    print(f"Speaker {p95(direct['at_sink']) * 1000:.0f} ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine(), **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
