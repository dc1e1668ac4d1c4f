"""save_speech beside live speech, with the real model: does making a file disturb what plays?

Three scenarios alternate in each round (ABC, so machine load hits all alike), in one process
over the real ONNX engine and the private PulseAudio null sink:

A. live speech alone (the baseline);
B. a file is rendering when the speech arrives (live speech preempts the file's piece);
C. the speech plays when a file is asked for 0.5 s later.

For each: the speech's time to first audio, the underruns the player counted inside the
utterance (the callback found no audio: an audible gap), and for B/C how long the file took.

Usage: python benchmarks/bench_save_speech.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

import anyio  # noqa: E402

from benchmarks.common import machine, summary  # noqa: E402
from kokoro_mcp.config import Settings  # noqa: E402
from kokoro_mcp.server.backends import LocalBackend  # noqa: E402
from kokoro_mcp.server.tools import SpeechTools  # noqa: E402

LIVE = (
    "Report {n}. The nightly build finished with two failures. The first is a timeout in the"
    " payment tests, which has happened three times this week. The second is a flaky network check."
    " Everything else passed, including the slow integration suite."
)
FILE = " ".join(
    f"Item {n}: the quarterly report lists revenue, costs and the hiring plan for each team."
    for n in range(1, 9)
)


_said = 0


async def _speak(tools: SpeechTools, backend: LocalBackend) -> tuple[float, int]:
    global _said
    speaker = backend.host.speaker
    assert speaker is not None
    before = speaker.status().audio.underruns
    _said += 1  # a new first sentence each time: never served from the audio cache
    text = LIVE.format(n=_said)
    result: Any = await tools.call("speak", {"text": text, "wait": True})
    assert result.state == "finished", result
    return float(result.time_to_first_audio), speaker.status().audio.underruns - before


async def _scenario(tools: SpeechTools, backend: LocalBackend, kind: str) -> dict[str, float]:
    out: dict[str, float] = {}

    async def speak() -> None:
        out["ttfa"], underruns = await _speak(tools, backend)
        out["underruns"] = float(underruns)

    async def save() -> None:
        started = time.monotonic()
        await tools.call("save_speech", {"text": FILE, "file_name": "bench", "overwrite": True})
        out["file"] = time.monotonic() - started

    async with anyio.create_task_group() as group:
        if kind == "A":
            group.start_soon(speak)
        elif kind == "B":
            group.start_soon(save)
            await anyio.sleep(1.5)  # the file is well under way
            group.start_soon(speak)
        else:
            group.start_soon(speak)
            await anyio.sleep(0.5)
            group.start_soon(save)
    return out


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(engine="onnx", daemon=False, output_dir=Path(folder))
        backend = LocalBackend(settings)
        tools = SpeechTools(settings, backend)
        async with backend.running():
            backend.proceed()
            await tools.call("speak", {"text": "Warming up.", "wait": True})
            results: dict[str, list[dict[str, float]]] = {"A": [], "B": [], "C": []}
            for _ in range(rounds):
                for kind in results:
                    results[kind].append(await _scenario(tools, backend, kind))
                    await anyio.sleep(0.5)
            speaker = backend.host.speaker
            assert speaker is not None
            gate = speaker.engine.gate
            gate_counts = (
                f"file pieces {gate.background_turns}, longest {gate.longest_background:.2f} s,"
                f" preempted by new speech {gate.preemptions}, polls held back"
                f" {gate.background_deferrals}"
            )
    print(machine(), f"load average {os.getloadavg()[0]:.1f} at the end")
    print("gate:", gate_counts)
    names = {
        "A": "speech alone",
        "B": "speech arriving during a file",
        "C": "file asked mid-speech",
    }
    for kind, runs in results.items():
        print(summary(f"{names[kind]}: time to first audio", [r["ttfa"] for r in runs]))
        print(f"{names[kind]}: underruns per utterance {[int(r['underruns']) for r in runs]}")
        if kind != "A":
            print(summary(f"{names[kind]}: file render", [r["file"] for r in runs], "s", 1.0))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    anyio.run(main, parser.parse_args().rounds)
