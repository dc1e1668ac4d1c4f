"""Time to first sound through the real MCP server on sentences that open with a long clause
(issue 15), against today's settings in the same run, and where one first sound's time goes.

Through MCP: the SDK client sends `tools/call speak` to a real `kokoro-mcp --no-daemon` over
stdio (bench_mcp.measure_mcp); the clock stops at the first non-silent sample recorded at the
PulseAudio null sink. Two corpora: `long_clauses.txt` (agent sentences whose first clause is
6-10 words) and bench_playback's short-clause corpus. Two configurations, each a server
environment: the candidate (today's defaults unless --candidate says otherwise) and the
baseline (the settings before issue 15). They run in blocks, ABBA-ordered, each block a fresh
server over a slice of both corpora, so load hits both alike; one model is resident at a time.

The break-down runs in this process afterwards: a Speaker over an engine that stamps each step,
on the long-clause sentences whose first chunk is 7 words, then the installed graph cut in two
(graph_split.py) to time the text side and the vocoder of the same first pieces.

Usage: python benchmarks/bench_first_sound.py [--blocks 4] [--breakdown-runs 3]
       [--baseline K=V ...] [--candidate K=V ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

import anyio  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.bench_mcp import SOUND, measure_mcp  # noqa: E402
from benchmarks.bench_playback import CORPUS as SHORT_CORPUS  # noqa: E402
from benchmarks.common import machine, p50, p95, summary, write_json  # noqa: E402
from kokoro_mcp.engine.base import SAMPLE_RATE, AudioArray  # noqa: E402
from kokoro_mcp.engine.onnx import OnnxEngine  # noqa: E402
from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY  # noqa: E402

LONG_CORPUS_FILE = Path(__file__).with_name("long_clauses.txt")
REPO = Path(__file__).resolve().parent.parent
# The settings before issue 15, so the baseline stays "today's method" once defaults move.
BASELINE_ENV = {"KOKORO_MCP_AUDIO_LATENCY": "0.05"}
BREAKDOWN_WORDS = 7


def long_corpus() -> list[str]:
    lines = LONG_CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def first_chunk(text: str) -> str:
    from kokoro_mcp.text import speakable_chunks

    return next(speakable_chunks(text))


# -- through MCP -----------------------------------------------------------------------------


def _run_mcp(
    sentences: list[tuple[str, str]], blocks: int, envs: dict[str, dict[str, str]]
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """{config: {corpus: {"at_sink": [...], "reported": [...]}}}."""
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)
    results: dict[str, dict[str, dict[str, list[float]]]] = {
        config: {corpus: {"at_sink": [], "reported": []} for corpus in ("long", "short")}
        for config in envs
    }
    names = list(envs)
    for block in range(blocks):
        group = sentences[block::blocks]
        order = names if block % 2 == 0 else names[::-1]  # ABBA
        for config in order:
            with pulse.Capture() as capture:
                got = anyio.run(measure_mcp, [text for _, text in group], capture, envs[config])
            for (corpus, _), at_sink, reported in zip(
                group, got["at_sink"], got["reported"], strict=True
            ):
                results[config][corpus]["at_sink"].append(at_sink)
                results[config][corpus]["reported"].append(reported)
            print(f"  block {block + 1}/{blocks} {config}: {len(group)} sentences", flush=True)
    return results


# -- the break-down --------------------------------------------------------------------------


class StampedEngine(OnnxEngine):
    """The real ONNX engine, stamping when the first chunk's steps start and end."""

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        self.started: float | None = None
        self.first_done: float | None = None
        self.g2p = 0.0
        self.g2p_calls = 0
        self.infer = 0.0
        self.first_symbols = ""
        self.first_samples: AudioArray | None = None

    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        if self.started is None:
            self.started = time.monotonic()
        yield from super().split_for_model(text, voice, first)

    def _g2p(self, text: str, voice: str) -> str:  # G2P itself (phonemize's cache misses)
        began = time.perf_counter()
        phonemes = super()._g2p(text, voice)
        if self.first_done is None:
            self.g2p += time.perf_counter() - began
            self.g2p_calls += 1
        return phonemes

    def _infer(self, symbols: str, voice: str, speed: float) -> AudioArray:
        began = time.perf_counter()
        audio = super()._infer(symbols, voice, speed)
        if self.first_done is None:
            self.infer += time.perf_counter() - began
            self.first_symbols = symbols
        return audio

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        samples = super().synthesize_chunk(text, voice, speed)
        if self.first_done is None:
            self.first_done = time.monotonic()
            self.first_samples = samples
        return samples


def _breakdown(sentences: list[str], runs: int, latency: float) -> dict[str, list[float]]:
    from kokoro_mcp.speaker import Speaker

    engine = StampedEngine()
    speaker = Speaker(engine, latency=latency, check_model_files=False)
    steps: dict[str, list[float]] = {}
    symbols: list[str] = []
    speaker.start()
    try:
        if not speaker.wait_ready(120) or not speaker.wait_audio(30):
            raise RuntimeError(f"speaker not ready: {speaker.status()}")
        speaker.speak("Warming up.").wait(60)
        with pulse.Capture() as capture:
            for _ in range(runs):
                for text in sentences:
                    engine.clear_cache()
                    engine.reset()
                    time.sleep(0.4)
                    prepared = time.perf_counter()
                    first_chunk(text)
                    preparation = time.perf_counter() - prepared
                    called = time.monotonic()
                    utterance = speaker.speak(text)
                    returned = time.monotonic()
                    utterance.wait(60)
                    time.sleep(0.2)
                    heard = pulse.first_sound(capture.samples, capture.index_at(called), SOUND)
                    handed = utterance.token.first_sample_at
                    if heard is None or handed is None or engine.first_samples is None:
                        raise RuntimeError(f"no sound for {text!r}")
                    assert engine.started is not None and engine.first_done is not None
                    lead = pulse.first_sound(engine.first_samples, 0, SOUND) or 0
                    at_sink = capture.time_of(heard)
                    done = engine.first_done
                    row = {
                        "speak() call: checks, first chunk prepared, queued": returned - called,
                        "  of which text preparation (first chunk)": preparation,
                        "Speaker hand-off to the synthesis thread": engine.started - returned,
                        "G2P of the first piece": engine.g2p,
                        "ONNX session run, first piece": engine.infer,
                        "rest of the engine (split, trim)": done
                        - engine.started
                        - engine.g2p
                        - engine.infer,
                        "Speaker hand-off to the callback": handed - done,
                        "first sample handed -> first sound at the sink": at_sink - handed,
                        "  of which quiet lead-in inside the audio": lead / SAMPLE_RATE,
                        "  of which device path (PortAudio, ALSA, pulse)": at_sink
                        - handed
                        - lead / SAMPLE_RATE,
                        "TOTAL speak() -> first sound at the sink": at_sink - called,
                    }
                    for name, value in row.items():
                        steps.setdefault(name, []).append(value)
                    steps.setdefault("G2P calls for the first piece", []).append(engine.g2p_calls)
                    symbols.append(engine.first_symbols)
    finally:
        speaker.close()
    steps.update(_graph_halves(engine, symbols))
    return steps


def _graph_halves(engine: OnnxEngine, symbols: list[str]) -> dict[str, list[float]]:
    """Time the whole graph, then its text side and vocoder apart, on the same first pieces."""
    from benchmarks.graph_split import SplitGraph

    split = SplitGraph(engine.files().onnx, engine.threads)
    found: dict[str, list[float]] = {
        "graph: whole": [],
        "graph: text side": [],
        "graph: vocoder": [],
    }
    for piece in symbols:
        feeds = engine.feeds(piece, "af_heart", 1.0)
        began = time.perf_counter()
        whole = engine._session.run(None, feeds)[0]
        found["graph: whole"].append(time.perf_counter() - began)
        began = time.perf_counter()
        boundary = split.run_text(feeds)
        found["graph: text side"].append(time.perf_counter() - began)
        began = time.perf_counter()
        audio = split.run_vocoder(boundary, feeds["style"])
        found["graph: vocoder"].append(time.perf_counter() - began)
        if not np.allclose(whole, audio, atol=1e-5):
            raise RuntimeError("the two halves do not give the whole graph's audio")
    return found


# -- report ----------------------------------------------------------------------------------


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("KOKORO_MCP_"):
            raise SystemExit(f"expected KOKORO_MCP_NAME=VALUE, got {pair!r}")
        env[key] = value
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=4, help="ABBA blocks (fresh servers)")
    parser.add_argument("--breakdown-runs", type=int, default=3, help="0 skips the break-down")
    parser.add_argument("--baseline", action="append", default=[], help="K=V added to baseline")
    parser.add_argument("--candidate", action="append", default=[], help="K=V for the candidate")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="a checkout of the code before the change: the baseline server runs it",
    )
    parser.add_argument("--skip-mcp", action="store_true", help="only the break-down")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)

    envs = {
        "candidate": _parse_env(args.candidate),
        "baseline": {**BASELINE_ENV, **_parse_env(args.baseline)},
    }
    if args.baseline_tree:
        # PYTHONSAFEPATH: `python -m` would otherwise import from its working folder (this
        # checkout) before PYTHONPATH.
        envs["candidate"].update(PYTHONPATH=str(REPO), PYTHONSAFEPATH="1")
        envs["baseline"].update(PYTHONPATH=str(args.baseline_tree.resolve()), PYTHONSAFEPATH="1")
    long = long_corpus()
    print(f"# bench_first_sound: {machine()}")
    print(f"# configurations: {envs}")
    words = sorted(len(first_chunk(text).split()) for text in long)
    print(f"# {len(long)} long-clause sentences (first chunk {words[0]}-{words[-1]} words,"
          f" median {p50(words):.0f}) + {len(SHORT_CORPUS)} short-clause sentences")  # fmt: skip
    raw: dict[str, Any] = {"machine": machine(), "envs": envs}
    if not args.skip_mcp:
        # Interleave the corpora so every block holds some of each.
        tagged = [("long", text) for text in long]
        short = [("short", text) for text in SHORT_CORPUS]
        step = max(1, len(tagged) // max(1, len(short)))
        sentences: list[tuple[str, str]] = []
        for index, item in enumerate(tagged):
            sentences.append(item)
            if index % step == step - 1 and short:
                sentences.append(short.pop(0))
        sentences += short
        results = _run_mcp(sentences, args.blocks, envs)
        raw["mcp"] = results
        for corpus in ("long", "short"):
            print(f"\n## {corpus}-clause corpus: MCP tools/call speak -> first sound at the sink")
            for config in envs:
                print(summary(f"{config}", results[config][corpus]["at_sink"]))
            for config in envs:
                figures = results[config][corpus]
                print(summary(f"  {config}: server's time to first sample", figures["reported"]))
                tail = [a - r for a, r in zip(figures["at_sink"], figures["reported"], strict=True)]
                print(summary(f"  {config}: first sample -> sink", tail))
            new, old = (
                results["candidate"][corpus]["at_sink"],
                results["baseline"][corpus]["at_sink"],
            )
            print(
                f"candidate / baseline: p50 {p50(new) / p50(old):.2f}x,"
                f" p95 {p95(new) / p95(old):.2f}x"
            )
    if args.breakdown_runs > 0:
        chosen = [t for t in long if len(first_chunk(t).split()) == BREAKDOWN_WORDS]
        latency = float(envs["candidate"].get("KOKORO_MCP_AUDIO_LATENCY", DEFAULT_AUDIO_LATENCY))
        print(
            f"\n## break-down: {len(chosen)} sentences whose first chunk is {BREAKDOWN_WORDS}"
            f" words x {args.breakdown_runs} runs, in-process Speaker, latency {latency} s"
        )
        steps = _breakdown(chosen, args.breakdown_runs, latency)
        raw["breakdown"] = steps
        for name, values in steps.items():
            if name.endswith("calls for the first piece"):
                print(f"{name:<52} {p50(values):.0f} (max {max(values):.0f})")
            else:
                print(summary(name, values).replace(f"{name:<44}", f"{name:<52}"))
    write_json(args.json, raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
