"""Research for issue 15, item 1 (not in the engine): can the first sound come from vocoding
only the first words' frames of a clause whose prosody was predicted whole?

For each sentence's first chunk, voice and speed: the text side (graph_split.py) runs over the
whole chunk. The head is vocoded from the frames up to the middle of the pause after word N,
plus R frames of right context (cut off again), plus the clause's last K frames (end context:
without them the vocoder's instance norms see only speech, and the head comes out ~2.5 dB
quieter). The rest is vocoded from L frames before the join to the end. The two are cross-faded
at the join (20 ms). Compared with vocoding the whole chunk (today's audio for it): the time to
the head, whether the rest is ready before the head has played (the margin), levels, the level
step across the join, the long-term spectrum of the head (timbre), and what Whisper hears
(--asr). As the reference for "as good as what we already ship": today's clause chunks against
the unsplit sentence over the same first words.

With `--stage generator` the decoder's frame-rate blocks (cheap: ~7% of the vocoder) run over
the whole clause too, and only the upsampling generator runs per piece: this tells whether the
level error comes from the decoder's instance norms or from the generator's.

Two things make a plain split's pieces disagree at the join: each piece's instance norms take
their statistics from that piece, and each piece's harmonic source starts its phase at 0, so
the rest's voiced sound is out of step with the head's (the two cancel in part in the
cross-fade). With `--frozen-stats` the rest is vocoded with the head's statistics and with the
phase continued (graph_split.FrozenStatsVocoder), and the step at the join is split in two:
against the clause vocoded unsplit with the head's statistics (the seam proper) and that
rendering against the whole clause's own (what the head's statistics do to the sound). With
`--calibrated-stats K` as well, no piece measures anything: every piece is vocoded with one set
of statistics per voice, pooled over the corpus's last K sentences at each speed, so the head
needs no end context.

Usage: python benchmarks/bench_prefix_vocoding.py [--words 2 --words 3] [--sentences 8]
       [--end-context 16] [--right-context 8] [--stage vocoder|generator] [--frozen-stats]
       [--calibrated-stats K] [--progressive] [--asr]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_first_sound import first_chunk, long_corpus
from benchmarks.common import machine, p05, p50, p95
from benchmarks.graph_split import FrozenStatsVocoder, SplitGraph
from kokoro_mcp.engine.base import SAMPLE_RATE
from kokoro_mcp.engine.kokoro import as_spoken
from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.engine.trim import speech_start
from tests.graph_audio import band_levels

VOICES = ("af_heart", "am_michael", "bf_emma")
SPEEDS = (1.0, 1.3)
SAMPLES_PER_FRAME = 600
RIGHT_CONTEXT = 8
LEFT_CONTEXT = 8
JOIN_WINDOW = 1200  # 50 ms either side of the join
CROSSFADE = 480  # 20 ms, centred on the join
# --progressive: a piece is sized so its predicted vocoding takes at most 1/SAFETY of the
# audio still to play when it starts (predicted from the time per frame of the piece before).
SAFETY = 1.5


def _db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-9))


def _ltas(samples: np.ndarray) -> np.ndarray:
    """Long-term level (dB) in 40 log-spaced bands over the frames within 40 dB of the loudest."""
    bands, total = band_levels(samples)
    loud = total > total.max() - 40
    return 10 * np.log10(np.mean(10 ** (bands[loud] / 10), axis=0) + 1e-12)


def _timbre(a: np.ndarray, b: np.ndarray) -> float:
    """How far a's long-term spectral shape is from b's (dB RMS over bands, level removed)."""
    difference = _ltas(a) - _ltas(b)
    return float(np.sqrt(np.mean((difference - difference.mean()) ** 2)))


def _frames(split: SplitGraph, boundary: dict[str, Any], frames: np.ndarray) -> dict[str, Any]:
    durations, features, pitch, energy = split.boundary
    curve = (2 * frames[:, None] + np.arange(2)).reshape(-1)  # the curves run at twice the rate
    return {
        durations: boundary[durations],
        features: boundary[features][:, :, frames],
        pitch: boundary[pitch][:, curve],
        energy: boundary[energy][:, curve],
    }


def _token_frames(features: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frames of each token: the features repeat a token's column per frame."""
    change = np.flatnonzero(np.any(np.abs(np.diff(features, axis=1)) > 1e-6, axis=0)) + 1
    edges = [0, *change.tolist(), features.shape[1]]
    return list(itertools.pairwise(edges))


def _generator_pieces(
    split: SplitGraph, boundary: dict[str, Any], style: Any, total: int
) -> tuple[Callable[[np.ndarray], np.ndarray], float]:
    """Vocoding of some frames by the generator alone, over the decoder's output for the
    whole clause; and the time that decoder pass took (paid once, before the first piece)."""
    began = time.perf_counter()
    features, pitch = split.run_front(boundary, style)
    front_time = time.perf_counter() - began

    def columns(frames: np.ndarray, rate: int) -> np.ndarray:
        return (frames[:, None] * rate + np.arange(rate)).reshape(-1)

    def piece(frames: np.ndarray) -> np.ndarray:
        return split.run_generator(
            features[..., columns(frames, features.shape[-1] // total)],
            pitch[..., columns(frames, pitch.shape[-1] // total)],
            style,
        )

    return piece, front_time


class Clause:
    """One chunk's text side, its whole vocoding, and where its words lie in frames."""

    def __init__(
        self, engine: OnnxEngine, split: SplitGraph, text: str, voice: str, speed: float
    ) -> None:
        vocab = engine._vocab()
        self.symbols = "".join(s for s in engine.phonemize(as_spoken(text), voice) if s in vocab)
        self.feeds = engine.feeds(self.symbols, voice, speed)
        began = time.perf_counter()
        self.boundary = split.run_text(self.feeds)
        self.text_time = time.perf_counter() - began
        began = time.perf_counter()
        self.audio = split.run_vocoder(self.boundary, self.feeds["style"]).reshape(-1)
        self.vocoder_time = time.perf_counter() - began
        features = self.boundary[split.boundary[1]][0]
        self.total = features.shape[1]
        spans = _token_frames(features)
        tokens = ["<pad>", *self.symbols, "<pad>"]
        # Two neighbouring tokens with the same features hide a boundary: words can't be mapped.
        self.spaces = (
            [spans[i] for i, token in enumerate(tokens) if token == " "]
            if len(spans) == len(tokens)
            else []
        )

    def cut_after(self, words: int) -> int | None:
        """The frame in the middle of the pause after word `words`, if the clause goes on."""
        if len(self.spaces) < words + 1:
            return None
        start, end = self.spaces[words - 1]
        return (start + end) // 2


def _crossfade(head: np.ndarray, rest: np.ndarray, at: int) -> np.ndarray:
    """head up to `at`, then rest (same sample positions), cross-faded over CROSSFADE."""
    lo, hi = at - CROSSFADE // 2, at + CROSSFADE // 2
    ramp = np.linspace(0.0, 1.0, hi - lo, dtype=np.float32)
    mixed = head[lo:hi] * (1 - ramp) + rest[lo:hi] * ramp
    return np.concatenate([head[:lo], mixed, rest[hi:]])


def measure(
    split: SplitGraph,
    clause: Clause,
    cut: int,
    *,
    end_context: int,
    right_context: int = RIGHT_CONTEXT,
    stage: str = "vocoder",
    frozen: FrozenStatsVocoder | None = None,
    calibrated: list[np.ndarray] | None = None,
    in_sentence: np.ndarray | None = None,
    asr: Callable[[np.ndarray], str] | None = None,
) -> dict[str, float]:
    """A head up to frame `cut`, then the rest in one piece. `in_sentence`: the same words
    in the unsplit sentence's audio, for the reference figures. With `frozen`, the rest is
    vocoded with the head's norm statistics and the harmonic phase continued; with
    `calibrated` too, both pieces are vocoded with those statistics instead."""
    total, whole, style = clause.total, clause.audio, clause.feeds["style"]
    if stage == "generator":
        piece, shared_time = _generator_pieces(split, clause.boundary, style, total)
    else:
        shared_time = 0.0

        def piece(frames: np.ndarray) -> np.ndarray:
            return split.run_vocoder(_frames(split, clause.boundary, frames), style)

    prefix_end = min(total, cut + right_context)
    tail_start = max(prefix_end, total - end_context)
    head_frames = np.r_[0:prefix_end, tail_start:total]
    rest_frames = np.arange(cut - LEFT_CONTEXT, total)
    began = time.perf_counter()
    if frozen is None:
        head = piece(head_frames).reshape(-1)
    elif calibrated is None:
        head, statistics = frozen.measure(_frames(split, clause.boundary, head_frames), style)
        head = head.reshape(-1)
    else:
        statistics = calibrated
        start = frozen.phase_at(clause.boundary, style, 0, total)
        head_input = _frames(split, clause.boundary, np.arange(prefix_end))
        head = frozen.follow(head_input, style, statistics, start).reshape(-1)
    head_time = shared_time + time.perf_counter() - began
    began = time.perf_counter()
    if frozen is None:
        rest = piece(rest_frames).reshape(-1)
    else:
        phase = frozen.phase_at(clause.boundary, style, int(rest_frames[0]), total)
        rest_input = _frames(split, clause.boundary, rest_frames)
        rest = frozen.follow(rest_input, style, statistics, phase).reshape(-1)
    rest_time = time.perf_counter() - began
    at = cut * SAMPLES_PER_FRAME
    # Put the rest at its place in the clause's samples (its first L frames are context).
    placed = np.concatenate([np.zeros((cut - LEFT_CONTEXT) * SAMPLES_PER_FRAME, np.float32), rest])
    joined = _crossfade(head, placed, at)[: len(whole)]
    # Heard before the rest is needed: from the trimmed onset to the start of the cross-fade.
    head_playing = (at - CROSSFADE // 2 - speech_start(whole)) / SAMPLE_RATE

    def step(x: np.ndarray) -> float:
        return _db(x[at : at + JOIN_WINDOW]) - _db(x[at - JOIN_WINDOW : at])

    found = {
        "prefix share of frames": cut / total,
        "first piece time / today's (text side + vocoder)": (clause.text_time + head_time)
        / (clause.text_time + clause.vocoder_time),
        "rest vocoder time / head playing time (< 1: no gap)": rest_time / head_playing,
        "prefix level vs whole (dB)": _db(joined[:at]) - _db(whole[:at]),
        "rest level vs whole (dB)": _db(joined[at:]) - _db(whole[at:]),
        "level step at the join vs whole (dB)": step(joined) - step(whole),
        "prefix timbre vs whole (dB)": _timbre(joined[:at], whole[:at]),
        "rest timbre vs whole (dB)": _timbre(joined[at:], whole[at:]),
    }
    if frozen is not None:
        # The clause unsplit with the head's statistics: what the pieces would give with no
        # seam at all. The join's step against it is the seam; its own step against the
        # whole clause's is what the head's statistics do to the sound there.
        start = frozen.phase_at(clause.boundary, style, 0, total)
        seamless = frozen.follow(clause.boundary, style, statistics, start).reshape(-1)
        found["seam: level step vs the same statistics unsplit (dB)"] = step(joined) - step(
            seamless
        )
        found["these statistics alone: level step vs whole (dB)"] = step(seamless) - step(whole)
    if in_sentence is not None:
        # Today: the clause synthesized on its own against the same words in the unsplit
        # sentence: what every clause boundary already does to the voice.
        found["reference: today's clause vs sentence, level (dB)"] = _db(whole[:at]) - _db(
            in_sentence
        )
        found["reference: today's clause vs sentence, timbre (dB)"] = _timbre(
            whole[:at], in_sentence
        )
    if asr is not None:
        found["Whisper heard the same words (1 = yes)"] = float(asr(joined) == asr(whole))
    return found


def _context(more_follows: bool, end_context: int, right_context: int) -> int:
    """Frames a piece vocodes beyond its own: left context, and unless it ends the clause,
    right context and the clause's end."""
    return LEFT_CONTEXT + (right_context + end_context if more_follows else 0)


def progressive(
    split: SplitGraph,
    clause: Clause,
    first: int,
    *,
    end_context: int,
    right_context: int = RIGHT_CONTEXT,
    asr: Callable[[np.ndarray], str] | None = None,
) -> dict[str, float]:
    """The whole clause in pieces: a head up to frame `first`, then each next piece as long as
    the audio already made leaves time to vocode it (SAFETY), cross-faded at word pauses. The
    clock is simulated from the measured times: a gap is audio running out mid-clause."""
    total, whole, style = clause.total, clause.audio, clause.feeds["style"]
    cuts = [(start + end) // 2 for start, end in clause.spaces]

    def vocode(lo: int, hi: int) -> tuple[np.ndarray, float, int]:
        frames = np.r_[max(0, lo - LEFT_CONTEXT) : min(total, hi + right_context)]
        if hi < total:
            frames = np.r_[frames, max(int(frames[-1]) + 1, total - end_context) : total]
        began = time.perf_counter()
        audio = split.run_vocoder(_frames(split, clause.boundary, frames), style).reshape(-1)
        took = time.perf_counter() - began
        placed = np.zeros(len(whole), np.float32)
        start = int(frames[0]) * SAMPLES_PER_FRAME
        span = min(len(whole), min(total, hi + right_context) * SAMPLES_PER_FRAME) - start
        placed[start : start + span] = audio[:span]
        return placed, took, len(frames)

    joined, took, count = vocode(0, first)
    first_time = clause.text_time + took
    per_frame = took / count
    clock = first_time  # when the synthesis thread is free again
    audio_end = first_time + (first * SAMPLES_PER_FRAME - speech_start(whole)) / SAMPLE_RATE
    gap = 0.0
    steps = []
    timbres = [_timbre(joined[: first * SAMPLES_PER_FRAME], whole[: first * SAMPLES_PER_FRAME])]
    done = first
    while done < total:
        budget = (audio_end - clock) / SAFETY
        options = [cut for cut in cuts if cut > done] + [total]

        fitting = [
            cut
            for cut in options
            if per_frame * (cut - done + _context(cut < total, end_context, right_context))
            <= budget
        ]
        upto = fitting[-1] if fitting else options[0]
        piece, took, count = vocode(done, upto)
        per_frame = took / count
        clock += took
        if clock > audio_end:
            gap += clock - audio_end
            audio_end = clock
        audio_end += (upto - done) * SAMPLES_PER_FRAME / SAMPLE_RATE
        at = done * SAMPLES_PER_FRAME
        joined = _crossfade(joined, piece, at)
        window = slice(at - JOIN_WINDOW, at + JOIN_WINDOW)
        step = _db(joined[at : at + JOIN_WINDOW]) - _db(joined[window][:JOIN_WINDOW])
        steps.append(step - (_db(whole[at : at + JOIN_WINDOW]) - _db(whole[window][:JOIN_WINDOW])))
        region = slice(at, upto * SAMPLES_PER_FRAME)
        timbres.append(_timbre(joined[region], whole[region]))
        done = upto
    found = {
        "first piece time / today's (text side + vocoder)": first_time
        / (clause.text_time + clause.vocoder_time),
        "pieces in the clause": 1.0 + len(steps),
        "gap: audio ran out mid-clause (ms)": gap * 1000,
        "worst level step at a join vs whole (dB)": max(steps, key=abs),
        "level of the clause vs whole (dB)": _db(joined) - _db(whole),
        "worst piece timbre vs whole (dB)": max(timbres),
    }
    if asr is not None:
        found["Whisper heard the same words (1 = yes)"] = float(asr(joined) == asr(whole))
    return found


def calibrate(
    engine: OnnxEngine,
    split: SplitGraph,
    frozen: FrozenStatsVocoder,
    voice: str,
    texts: Sequence[str],
) -> list[np.ndarray]:
    """Each vocoder norm's mean and variance over every frame of `texts` at each of SPEEDS
    (pooled: the frame-weighted mean, and E[x^2] - mean^2)."""
    sums: list[np.ndarray] | None = None  # per norm: frame-weighted mean, then E[x^2]
    frames = 0
    for text in texts:
        for speed in SPEEDS:
            clause = Clause(engine, split, text, voice, speed)
            _, statistics = frozen.measure(clause.boundary, clause.feeds["style"])
            means, variances = statistics[0::2], statistics[1::2]
            parts = [
                part * clause.total
                for mean, variance in zip(means, variances, strict=True)
                for part in (mean, variance + mean * mean)
            ]
            sums = parts if sums is None else [a + b for a, b in zip(sums, parts, strict=True)]
            frames += clause.total
    assert sums is not None, "no texts to calibrate on"
    pooled: list[np.ndarray] = []
    for weighted_mean, weighted_square in zip(sums[0::2], sums[1::2], strict=True):
        mean = weighted_mean / frames
        pooled += [mean.astype(np.float32), (weighted_square / frames - mean**2).astype(np.float32)]
    return pooled


def _same_words(
    engine: OnnxEngine, split: SplitGraph, sentence: str, voice: str, speed: float, words: int
) -> np.ndarray | None:
    """The unsplit sentence's audio up to the pause after word `words`."""
    whole = Clause(engine, split, sentence, voice, speed)
    cut = whole.cut_after(words)
    return None if cut is None else whole.audio[: cut * SAMPLES_PER_FRAME]


def _print(rows: dict[str, list[float]]) -> None:
    for name, values in rows.items():
        worst = max(values, key=abs)
        print(
            f"{name:<56} p05 {p05(values):+7.2f}  p50 {p50(values):+7.2f}  p95 {p95(values):+7.2f}"
            f"  worst {worst:+7.2f}  (n={len(values)})"
        )


def _whisper() -> Callable[[np.ndarray], str]:
    from tests.asr import normalize_words, transcribe

    return lambda samples: " ".join(normalize_words(transcribe(samples)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, action="append", help="words in the first piece")
    parser.add_argument("--sentences", type=int, default=8, help="from long_clauses.txt")
    parser.add_argument(
        "--end-context", type=int, default=16, help="the clause's last K frames in the head"
    )
    parser.add_argument(
        "--right-context",
        type=int,
        default=RIGHT_CONTEXT,
        help="frames vocoded past a piece's end and cut off again",
    )
    parser.add_argument(
        "--stage",
        choices=("vocoder", "generator"),
        default="vocoder",
        help="what runs per piece (generator: the decoder's blocks run over the whole clause)",
    )
    parser.add_argument(
        "--frozen-stats",
        action="store_true",
        help="vocode the rest with the head's norm statistics and the harmonic phase continued",
    )
    parser.add_argument(
        "--calibrated-stats",
        type=int,
        metavar="K",
        help="with --frozen-stats: every piece uses statistics pooled over K other sentences",
    )
    parser.add_argument("--asr", action="store_true", help="also compare Whisper transcripts")
    parser.add_argument(
        "--progressive", action="store_true", help="the whole clause in growing pieces"
    )
    args = parser.parse_args(argv)
    if (args.progressive or args.frozen_stats) and args.stage != "vocoder":
        parser.error(
            "--progressive and --frozen-stats run the vocoder per piece: leave out --stage"
        )
    if args.calibrated_stats is not None and (
        not args.frozen_stats or not 1 <= args.calibrated_stats <= len(long_corpus()) - 1
    ):
        parser.error(
            f"--calibrated-stats takes 1 to {len(long_corpus()) - 1} sentences and needs"
            " --frozen-stats"
        )
    if args.progressive and args.frozen_stats:
        parser.error("--frozen-stats measures one head and one rest: leave out --progressive")
    if args.sentences < 1 or any(w < 1 for w in args.words or []):
        parser.error("--sentences and --words must be at least 1")
    if args.end_context < 0 or args.right_context < 0:
        parser.error("--end-context and --right-context must be at least 0")
    engine = OnnxEngine()
    engine.load()
    split = SplitGraph(engine.files().onnx, engine.threads, args.stage == "generator")
    frozen = FrozenStatsVocoder(engine.files().onnx, engine.threads) if args.frozen_stats else None
    texts = long_corpus()[: args.sentences]
    asr = _whisper() if args.asr else None
    print(f"# bench_prefix_vocoding: {machine()}")
    print(f"# {len(texts)} first chunks x voices {VOICES} x speeds {SPEEDS}")
    end_context = 0 if args.calibrated_stats else args.end_context
    print(f"# per piece: the {args.stage}; end context {end_context} frames")
    print(f"# context: {LEFT_CONTEXT} frames left, {args.right_context} right")
    if frozen is not None and not args.calibrated_stats:
        print("# the rest with the head's norm statistics and the harmonic phase continued")
    calibrated: dict[str, list[np.ndarray]] = {}
    if frozen is not None and args.calibrated_stats:
        print(f"# calibrated statistics: the corpus's last {args.calibrated_stats} sentences")
        held_out = long_corpus()[-args.calibrated_stats :]
        texts = [text for text in texts if text not in held_out]
        for voice in VOICES:
            calibrated[voice] = calibrate(engine, split, frozen, voice, held_out)
    for words in args.words or [2, 3]:
        rows: dict[str, list[float]] = {}
        for text in texts:
            chunk = first_chunk(text)
            for voice in VOICES:
                for speed in SPEEDS:
                    clause = Clause(engine, split, chunk, voice, speed)
                    cut = clause.cut_after(words)
                    if cut is None:
                        continue
                    if args.progressive:
                        found = progressive(
                            split,
                            clause,
                            cut,
                            end_context=args.end_context,
                            right_context=args.right_context,
                            asr=asr,
                        )
                    else:
                        found = measure(
                            split,
                            clause,
                            cut,
                            end_context=args.end_context,
                            right_context=args.right_context,
                            stage=args.stage,
                            frozen=frozen,
                            calibrated=calibrated.get(voice),
                            in_sentence=_same_words(engine, split, text, voice, speed, words)
                            if chunk != text
                            else None,
                            asr=asr,
                        )
                    for name, value in found.items():
                        rows.setdefault(name, []).append(value)
        print(f"\n## first piece = {words} words")
        _print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
