"""Research for issue 15, item 1 (not in the engine): can the first sound come from vocoding
only the first words' frames of a clause whose prosody was predicted whole?

For each sentence's first chunk, voice and speed: the text side (graph_split.py) runs over the
whole chunk; the vocoder then runs on the frames up to the middle of the pause after word N
(plus R frames of right context, cut off again), and on the rest (with L frames of left
context); the two are joined at that frame. Compared with vocoding the whole chunk (today's
audio for it): the vocoder time of the prefix, the prefix's level (the decoder's instance
norms see only the prefix), the level step across the join, and the log-spectral distance of
the joined audio.

With `--stage generator` the decoder's frame-rate blocks (cheap: ~7% of the vocoder) run over
the whole clause too, and only the upsampling generator runs per piece: this tells whether the
level error comes from the decoder's instance norms or from the generator's.

Usage: python benchmarks/bench_prefix_vocoding.py [--words 2 --words 3] [--sentences 8]
       [--stage vocoder|generator]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_first_sound import first_chunk, long_corpus
from benchmarks.common import machine, p50, p95
from benchmarks.graph_split import SplitGraph
from kokoro_mcp.engine.kokoro import as_spoken
from kokoro_mcp.engine.onnx import OnnxEngine

VOICES = ("af_heart", "am_michael", "bf_emma")
SPEEDS = (1.0, 1.3)
SAMPLES_PER_FRAME = 600
RIGHT_CONTEXT = 8
LEFT_CONTEXT = 8
JOIN_WINDOW = 1200  # 50 ms either side of the join


def _db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-9))


def _lsd(a: np.ndarray, b: np.ndarray) -> float:
    """Mean log-spectral distance (dB) over frames within 50 dB of the loudest."""
    size, hop = 512, 256
    window = np.hanning(size)
    count = (min(len(a), len(b)) - size) // hop
    spectra = [
        20 * np.log10(np.abs(np.fft.rfft(window * x[i * hop : i * hop + size])) + 1e-6)
        for x in (a, b)
        for i in range(count)
    ]
    sa, sb = np.array(spectra[:count]), np.array(spectra[count:])
    loud = sb.max(axis=1) > sb.max() - 50
    return float(np.sqrt(np.mean((sa[loud] - sb[loud]) ** 2, axis=1)).mean())


def _frames(split: SplitGraph, boundary: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    durations, features, pitch, energy = split.boundary
    return {
        durations: boundary[durations],
        features: boundary[features][:, :, lo:hi],
        pitch: boundary[pitch][:, 2 * lo : 2 * hi],
        energy: boundary[energy][:, 2 * lo : 2 * hi],
    }


def _token_frames(features: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frames of each token: the features repeat a token's column per frame."""
    change = np.flatnonzero(np.any(np.abs(np.diff(features, axis=1)) > 1e-6, axis=0)) + 1
    edges = [0, *change.tolist(), features.shape[1]]
    return list(itertools.pairwise(edges))


def _generator_pieces(
    split: SplitGraph, boundary: dict[str, Any], style: Any, total: int
) -> tuple[Callable[[int, int], np.ndarray], float]:
    """Vocoding of frames [lo, hi) by the generator alone, over the decoder's output for the
    whole clause; and the time that decoder pass took (paid once, before the first piece)."""
    began = time.perf_counter()
    features, pitch = split.run_front(boundary, style)
    front_time = time.perf_counter() - began
    per_frame = features.shape[-1] // total, pitch.shape[-1] // total

    def piece(lo: int, hi: int) -> np.ndarray:
        return split.run_generator(
            features[..., lo * per_frame[0] : hi * per_frame[0]],
            pitch[..., lo * per_frame[1] : hi * per_frame[1]],
            style,
        )

    return piece, front_time


def measure(
    engine: OnnxEngine,
    split: SplitGraph,
    text: str,
    voice: str,
    speed: float,
    words: int,
    stage: str = "vocoder",
) -> dict[str, float] | None:
    vocab = engine._vocab()
    symbols = "".join(s for s in engine.phonemize(as_spoken(text), voice) if s in vocab)
    feeds = engine.feeds(symbols, voice, speed)
    began = time.perf_counter()
    boundary = split.run_text(feeds)
    text_side = time.perf_counter() - began
    began = time.perf_counter()
    whole = split.run_vocoder(boundary, feeds["style"]).reshape(-1)
    whole_time = time.perf_counter() - began
    features = boundary[split.boundary[1]][0]
    total = features.shape[1]
    if stage == "generator":
        piece, shared_time = _generator_pieces(split, boundary, feeds["style"], total)
    else:
        shared_time = 0.0

        def piece(lo: int, hi: int) -> np.ndarray:
            return split.run_vocoder(_frames(split, boundary, lo, hi), feeds["style"])

    tokens = ["<pad>", *symbols, "<pad>"]
    spans = _token_frames(features)
    if len(spans) != len(tokens):
        return None  # two neighbouring tokens with the same features: cannot map words
    spaces = [i for i, token in enumerate(tokens) if token == " "]
    if len(spaces) < words + 1:
        return None
    start, end = spans[spaces[words - 1]]
    cut = (start + end) // 2  # the middle of the pause after word N
    began = time.perf_counter()
    head = piece(0, min(total, cut + RIGHT_CONTEXT))
    head_time = shared_time + time.perf_counter() - began
    tail = piece(cut - LEFT_CONTEXT, total).reshape(-1)
    at = cut * SAMPLES_PER_FRAME
    joined = np.concatenate([head.reshape(-1)[:at], tail[LEFT_CONTEXT * SAMPLES_PER_FRAME :]])
    joined = joined[: len(whole)]

    def step(x: np.ndarray) -> float:
        return _db(x[at : at + JOIN_WINDOW]) - _db(x[at - JOIN_WINDOW : at])

    return {
        "prefix share of frames": cut / total,
        "prefix vocoder / whole vocoder (time)": head_time / whole_time,
        "first piece time / today's (text side + vocoder)": (text_side + head_time)
        / (text_side + whole_time),
        "prefix level vs whole (dB)": _db(joined[:at]) - _db(whole[:at]),
        "rest level vs whole (dB)": _db(joined[at:]) - _db(whole[at:]),
        "level step at the join vs whole (dB)": step(joined) - step(whole),
        "log-spectral distance joined vs whole (dB)": _lsd(joined, whole),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, action="append", help="words in the first piece")
    parser.add_argument("--sentences", type=int, default=8, help="from long_clauses.txt")
    parser.add_argument(
        "--stage",
        choices=("vocoder", "generator"),
        default="vocoder",
        help="what runs per piece (generator: the decoder's blocks run over the whole clause)",
    )
    args = parser.parse_args(argv)
    engine = OnnxEngine()
    engine.load()
    split = SplitGraph(engine.files().onnx, engine.threads, args.stage == "generator")
    chunks = [first_chunk(text) for text in long_corpus()[: args.sentences]]
    print(f"# bench_prefix_vocoding: {machine()}")
    print(f"# {len(chunks)} first chunks x voices {VOICES} x speeds {SPEEDS}")
    print(f"# per piece: the {args.stage}")
    for words in args.words or [2, 3]:
        rows: dict[str, list[float]] = {}
        for chunk in chunks:
            for voice in VOICES:
                for speed in SPEEDS:
                    found = measure(engine, split, chunk, voice, speed, words, args.stage)
                    for name, value in (found or {}).items():
                        rows.setdefault(name, []).append(value)
        count = len(next(iter(rows.values()), []))
        print(f"\n## first piece = {words} words (n={count})")
        for name, values in rows.items():
            worst = max(values, key=abs)
            print(
                f"{name:<52} p50 {p50(values):+7.2f}  p95 {p95(values):+7.2f}  worst {worst:+7.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
