"""Engine benchmark: load times, warm time to first audio chunk, real-time factor, peak RSS.

Baseline in the same run: synthesize the whole text before returning any audio (what a
non-streaming engine does). Usage: python benchmarks/bench_engine.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, p50, summary
from kokoro_mcp.engine.base import SAMPLE_RATE
from kokoro_mcp.engine.onnx import OnnxEngine

SENTENCES = [
    "I have finished refactoring the parser, and all forty two unit tests pass now.",
    "The deployment to staging failed because the database migration timed out again.",
    "Your pull request looks good, but please add a test for the empty input case.",
    "I found the bug: the cache key ignored the user's locale, so pages were mixed up.",
    "Build finished in three minutes with two warnings about deprecated configuration.",
]
PARAGRAPH = (
    "Here is a summary of what I changed today. First, I moved the configuration loading into "
    "its own module so it can be tested without starting the server. Second, I replaced the "
    "hand written retry loop with a small helper that backs off exponentially and gives up "
    "after five attempts, which fixes the hang you saw on Monday. Third, the logging now goes "
    "to standard error only, because the protocol owns standard output. I also updated the "
    "documentation, added twelve tests, and removed two functions that nothing called anymore. "
)
LONG_TEXT = " ".join([PARAGRAPH] * 4)  # about 300 words

LOAD_PROBE = """
import json, time, resource
t = time.perf_counter()
from kokoro_mcp.engine.onnx import OnnxEngine
e = OnnxEngine(); e.load()
print(json.dumps(e.load_seconds))
"""


def load_times(runs: int) -> tuple[list[float], list[float]]:
    model, g2p = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, check=True
        ).stdout
        seconds = json.loads(out.strip().splitlines()[-1])
        model.append(seconds["model"])
        g2p.append(seconds["g2p"])
    return model, g2p


def first_chunk(engine: OnnxEngine, text: str) -> float:
    engine.clear_cache()  # measure synthesis, not the short-phrase cache
    started = time.perf_counter()
    stream = engine.stream(text, "af_heart")
    next(stream)
    elapsed = time.perf_counter() - started
    stream.close()
    return elapsed


def whole_text(engine: OnnxEngine, text: str) -> tuple[float, float]:
    """Baseline: all audio synthesized before anything is returned. Returns (s, audio s)."""
    engine.clear_cache()
    started = time.perf_counter()
    audio = np.concatenate([chunk.samples for chunk in engine.stream(text, "af_heart")])
    return time.perf_counter() - started, len(audio) / SAMPLE_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    model, g2p = load_times(max(2, args.runs // 2))
    print(summary("model load (fresh process)", model))
    print(summary("G2P load (misaki + spaCy)", g2p))

    engine = OnnxEngine()
    engine.load()
    first_chunk(engine, SENTENCES[0])  # warm-up
    streaming, baseline = [], []
    for _ in range(args.runs):
        for sentence in SENTENCES:
            streaming.append(first_chunk(engine, sentence))
            baseline.append(whole_text(engine, sentence)[0])
    print(summary("first audio chunk, 15-word sentence", streaming))
    print(summary("baseline: whole sentence first", baseline))
    print(f"{'ratio baseline / streaming (p50)':<44} {p50(baseline) / p50(streaming):8.2f}x")

    rtfs = []
    for run in range(max(1, args.runs // 2)):
        seconds, audio_seconds = whole_text(engine, LONG_TEXT.replace("today", f"on day {run}"))
        rtfs.append(seconds / audio_seconds)
    print(summary("real-time factor, 300-word text", rtfs, unit="  ", scale=1.0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS (this process)':<44} {peak_mb:8.0f} MB")


if __name__ == "__main__":
    main()
