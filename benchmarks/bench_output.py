"""The output path: what the time between handing a sample to the device and hearing it at the
sink is made of, and whether a latency setting survives continuous speech on a busy box.

Device path: the Player (our callback stream) plays a click into silence; the clock runs from
the callback copying its first sample (`PlaybackToken.first_sample_at`) to its arrival at the
PulseAudio null sink's monitor, for each latency setting, next to what PortAudio reports.

Continuous: a Speaker with the real model speaks a long text for `--continuous` seconds while
`--busy` processes each keep a core busy. Counted during speech only (the model load before it
is not speech): the buffer's underruns (synthesis fell behind), PortAudio's output underflows,
alsa-lib's "underrun occurred" lines on stderr (the ALSA-to-PulseAudio plugin recovering; the
callback is not always told), and the gaps between callbacks, whose longest must stay under
the device's buffer.

Usage: python benchmarks/bench_output.py [--latency 0.05 --latency 0.025 ...] [--trials 12]
       [--continuous 600 --busy 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.start_server()  # before sounddevice is imported (by the Player's audio thread)

from benchmarks.bench_playback import long_text  # noqa: E402
from benchmarks.common import machine, summary, write_json  # noqa: E402
from kokoro_mcp.audio import AudioBuffer, PlaybackToken, Player  # noqa: E402
from kokoro_mcp.engine.base import SAMPLE_RATE  # noqa: E402
from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY  # noqa: E402

CLICK = np.full(SAMPLE_RATE // 100, 0.5, dtype=np.float32)  # 10 ms, far above any threshold
ALSA_UNDERRUN = "underrun occurred"


def device_path(latency: float, trials: int) -> dict[str, Any]:
    """Seconds from the callback's first copy of a click to its arrival at the sink."""
    buffer = AudioBuffer(SAMPLE_RATE)
    player = Player(buffer, latency=latency, default_probe=None)
    found: list[float] = []
    with pulse.Capture() as capture:
        player.start()
        try:
            if not player.wait_running(10):
                raise RuntimeError(f"no stream: {player.status()}")
            time.sleep(0.5)
            fills, began = buffer.fills, time.monotonic()
            for trial in range(trials):
                time.sleep(0.25 + 0.013 * trial)  # spread the click over the callback phase
                token = PlaybackToken(trial, 0)
                buffer.push(CLICK, token)
                while token.first_sample_at is None:
                    time.sleep(0.001)
                time.sleep(0.3)
                start = capture.index_at(token.first_sample_at - 0.005)
                heard = pulse.first_sound(capture.samples, start, 0.25)
                if heard is None:
                    raise RuntimeError("the click never reached the sink")
                found.append(capture.time_of(heard) - token.first_sample_at)
            rate = (buffer.fills - fills) / (time.monotonic() - began)
            reported = player.status().latency
        finally:
            player.close()
    return {"latency": latency, "reported": reported, "block": SAMPLE_RATE / rate, "path": found}


@contextmanager
def stderr_into(path: Path) -> Iterator[None]:
    """Send fd 2 (where alsa-lib writes) to `path` for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def continuous(latency: float, seconds: float, busy: int) -> dict[str, Any]:
    from kokoro_mcp.engine.onnx import OnnxEngine
    from kokoro_mcp.speaker import Speaker

    log = Path(tempfile.mkstemp(prefix="bench-output-", suffix=".log")[1])
    speaker = Speaker(OnnxEngine(), latency=latency, check_model_files=False)
    gaps: list[float] = []
    fill = speaker.buffer.fill

    def timed_fill(out: Any) -> None:  # the callback's own timing, as the device sees it
        gaps.append(time.monotonic() - speaker.buffer.last_fill_at)
        fill(out)

    speaker.buffer.fill = timed_fill  # type: ignore[method-assign]
    hogs: list[subprocess.Popen[bytes]] = []
    with stderr_into(log):
        speaker.start()
        try:
            if not speaker.wait_ready(120) or not speaker.wait_audio(30):
                raise RuntimeError(f"speaker not ready: {speaker.status()}")
            speaker.speak("Warming up.").wait(60)
            hogs = [
                subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)
            ]
            time.sleep(1.0)
            before = speaker.status().audio
            alsa_before = log.read_text(errors="replace").count(ALSA_UNDERRUN)
            load_before = os.getloadavg()[0]
            del gaps[:]
            utterance = speaker.speak(long_text(int(seconds * 3) + 200))
            started = time.monotonic()
            while time.monotonic() - started < seconds and not utterance.finished:
                time.sleep(0.5)
            spoken = time.monotonic() - started
            after = speaker.status().audio
            alsa_after = log.read_text(errors="replace").count(ALSA_UNDERRUN)
            load_after = os.getloadavg()[0]
            speaker.stop()
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
            speaker.close()
    log.unlink()
    gap_ms = np.array(gaps[1:]) * 1000
    return {
        "latency": latency,
        "seconds": spoken,
        "busy": busy,
        "load": (load_before, load_after),
        "alsa_underruns_at_start": alsa_before,
        "underruns": after.underruns - before.underruns,
        "xruns": after.xruns - before.xruns,
        "alsa_underruns": alsa_after - alsa_before,
        "gap_p50_ms": float(np.median(gap_ms)),
        "gap_p999_ms": float(np.percentile(gap_ms, 99.9)),
        "gap_max_ms": float(gap_ms.max()),
        "gaps_over_latency": int((gap_ms > latency * 1000).sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, action="append", help="seconds (repeatable)")
    parser.add_argument("--trials", type=int, default=12, help="clicks per latency")
    parser.add_argument("--continuous", type=float, default=0, help="seconds of speech (0: no)")
    parser.add_argument("--busy", type=int, default=1, help="busy processes during speech")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    latencies = args.latency or [DEFAULT_AUDIO_LATENCY, 0.025]

    pulse.set_default_sink(pulse.SINK)
    print(f"# bench_output: {machine()}, load average {os.getloadavg()[0]:.2f}")
    raw: dict[str, Any] = {"machine": machine(), "device_path": [], "continuous": []}
    if args.trials > 0:
        for latency in latencies:
            got = device_path(latency, args.trials)
            raw["device_path"].append(got)
            name = (
                f"latency {latency:.3f} (PortAudio {got['reported'] * 1000:.0f} ms,"
                f" {got['block']:.0f}-frame callbacks)"
            )
            print(summary(name, got["path"]).replace(f"{name:<44}", f"{name:<56}"))
    if args.continuous > 0:
        for latency in latencies:
            got = continuous(latency, args.continuous, args.busy)
            raw["continuous"].append(got)
            print(
                f"latency {latency:.3f}: {got['seconds']:.0f} s of speech, {got['busy']} busy"
                f" process(es), load {got['load'][0]:.2f}->{got['load'][1]:.2f}:"
                f" {got['underruns']} buffer underruns, {got['xruns']} PortAudio underflows,"
                f" {got['alsa_underruns']} alsa-lib underruns"
                f" ({got['alsa_underruns_at_start']} before speech, during the model load);"
                f" callback gaps p50 {got['gap_p50_ms']:.1f} ms, p99.9 {got['gap_p999_ms']:.1f}"
                f" ms, max {got['gap_max_ms']:.1f} ms, {got['gaps_over_latency']} longer than"
                " the latency"
            )
    write_json(args.json, raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
