"""Playback benchmark: time to first audio as a person hears it, stop-to-silence, underruns.

Everything is measured at a PulseAudio null sink by recording its monitor (scripts/pulse.sh
starts a private server): time to first audio runs from the `speak()` call to the first
non-silent sample captured at the sink, with the model warm and the stream open.

Same-run baseline: a resident model that synthesizes the whole text, then plays it through the
same kind of open stream. Usage:

    python benchmarks/bench_playback.py [--reps 2] [--continuous 60] [--json out.json]

`--continuous 600` runs the 10-minute zero-underrun check (the default run is shorter).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.start_server()  # before sounddevice is imported (by the Speaker's audio thread)

from benchmarks.common import machine, p50, p95, summary  # noqa: E402
from kokoro_mcp.audio import AudioBuffer, PlaybackToken, Player  # noqa: E402
from kokoro_mcp.engine.base import SAMPLE_RATE, Engine  # noqa: E402
from kokoro_mcp.engine.onnx import OnnxEngine  # noqa: E402
from kokoro_mcp.speaker import Speaker  # noqa: E402

SOUND = 0.005  # -46 dBFS: "not silent" (Kokoro's own noise floor stays below this)

# What agents actually say: status lines, short reports, a question back.
CORPUS = [
    "Done.",
    "Tests pass.",
    "The build failed.",
    "I fixed the typo in the README.",
    "All forty two tests pass now.",
    "Deployment to staging finished without errors.",
    "I need your approval before I push to the main branch.",
    "The migration timed out, so I rolled it back and left the database unchanged.",
    "I found the bug: the cache key ignored the locale, so users saw each other's pages.",
    "Your pull request looks good, but please add a test for the empty input case.",
    "Should I also update the changelog, or will you do that when you cut the release?",
    "Build finished in three minutes with two warnings about deprecated configuration keys.",
]
SHORT_15 = "I have finished the refactoring, and every single one of the unit tests passes now."
PARAGRAPH = (
    "Here is a summary of what I changed today. First, I moved the configuration loading into"
    " its own module so it can be tested without starting the server. Second, I replaced the"
    " hand written retry loop with a small helper that backs off exponentially and gives up"
    " after five attempts, which fixes the hang you saw on Monday. Third, the logging now goes"
    " to standard error only, because the protocol owns standard output. "
)


def words(text: str) -> int:
    return len(text.split())


def long_text(target_words: int = 2000) -> str:
    sentences = [SHORT_15, *CORPUS[3:], PARAGRAPH]
    out: list[str] = []
    i = 0
    while sum(map(words, out)) < target_words:
        out.append(sentences[i % len(sentences)])
        i += 1
    return " ".join(out)


def wait_quiet(cap: pulse.Capture, seconds: float = 0.3) -> None:
    """Wait until the sink has been silent for `seconds` (nothing left from the last run)."""
    need = int(seconds * SAMPLE_RATE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        tail = cap.segment(max(0, cap.frames - need))
        if len(tail) == need and not pulse.loud(tail, SOUND).any():
            return
        time.sleep(0.05)


def heard_after(cap: pulse.Capture, start: float, timeout: float = 20.0) -> float | None:
    """Seconds from `start` until the first loud sample captured after it."""
    begin = cap.index_at(start)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        index = pulse.first_sound(cap.segment(begin), 0, SOUND)
        if index is not None:
            return cap.time_of(begin + index) - start
        time.sleep(0.005)
    return None


def forget_cached_audio(engine: Engine) -> None:
    """Empty the engine's cache of short phrases, so each run measures synthesis (a repeated
    "Done." would otherwise come from memory; `cache_hit` measures that case on purpose)."""
    cache = getattr(engine, "_audio_cache", None)
    if cache is not None:
        cache.clear()


def ttfa_streaming(
    speaker: Speaker, cap: pulse.Capture, text: str, *, finish: bool, cached: bool = False
) -> float:
    speaker.wait_idle(60)  # measure from rest, not behind a stopped utterance's last chunk
    wait_quiet(cap)
    if not cached:
        forget_cached_audio(speaker.engine)
    start = time.monotonic()
    utterance = speaker.speak(text)
    heard = heard_after(cap, start)
    if finish:
        utterance.wait(120)
    else:
        speaker.stop()
    if heard is None:
        raise RuntimeError(f"nothing was heard for {text[:40]!r}")
    return heard


def ttfa_baseline(
    engine: Engine, buffer: AudioBuffer, cap: pulse.Capture, text: str, key: int
) -> float:
    """Synthesize the whole text, then play it: first sound at the sink after the request."""
    wait_quiet(cap)
    forget_cached_audio(engine)
    start = time.monotonic()
    audio = np.concatenate([c.samples for c in engine.stream(text, "af_heart")]).astype(np.float32)
    token = PlaybackToken(key, 0)
    buffer.push(audio, token)
    buffer.push_end(token)
    heard = heard_after(cap, start)
    while not token.ended:
        time.sleep(0.02)
    if heard is None:
        raise RuntimeError(f"nothing was heard for {text[:40]!r}")
    return heard


def interrupt_ttfa(speaker: Speaker, cap: pulse.Capture, trials: int) -> list[float]:
    """New speech (mode interrupt) while a long text plays and its next chunk is being
    synthesized: speak() to the new speech's first sample in the callback. (At the sink the old
    speech runs straight into the new one, so this one is timed at the callback; the sink adds
    the output latency, ~60 ms.)"""
    results = []
    for trial in range(trials):
        speaker.wait_idle(60)
        wait_quiet(cap)
        forget_cached_audio(speaker.engine)
        long_one = speaker.speak(PARAGRAPH + " " + PARAGRAPH)
        while long_one.chunks_played < 1 and not long_one.finished:
            time.sleep(0.01)
        time.sleep(0.2)
        forget_cached_audio(speaker.engine)
        new = speaker.speak(CORPUS[4 + trial % 6])
        new.wait(120)
        if new.time_to_first_audio is not None:
            results.append(new.time_to_first_audio)
    return results


def stop_to_silence(speaker: Speaker, cap: pulse.Capture, trials: int) -> list[float]:
    """Stop at varied moments of playing speech; time until the sink is silent for good."""
    rng = np.random.default_rng(7)
    results = []
    for _ in range(trials):
        speaker.wait_idle(60)
        wait_quiet(cap)
        utterance = speaker.speak(PARAGRAPH)
        while utterance.time_to_first_audio is None:
            time.sleep(0.01)
        time.sleep(0.3 + float(rng.random()) * 1.5)
        stopped = time.monotonic()
        speaker.stop()
        time.sleep(0.8)
        begin = cap.index_at(stopped - 0.5)
        sound = np.flatnonzero(pulse.loud(cap.segment(begin), SOUND))
        last = begin + int(sound[-1]) if sound.size else begin
        results.append(max(0.0, cap.time_of(last) - stopped))
    return results


def continuous(speaker: Speaker, seconds: float) -> dict[str, float]:
    """Speak a long text for `seconds`; count buffer underruns and device underflows."""
    speaker.wait_idle(60)
    before = speaker.status().audio
    utterance = speaker.speak(long_text(2000))
    time.sleep(seconds)
    after = speaker.status().audio
    played = utterance.token.frames_played / SAMPLE_RATE
    speaker.stop()
    return {
        "seconds": seconds,
        "seconds_played": round(played, 1),
        "underruns": after.underruns - before.underruns,
        "xruns": after.xruns - before.xruns,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2, help="passes over the corpus")
    parser.add_argument("--long-reps", type=int, default=5, help="runs of the 15/2000-word test")
    parser.add_argument("--stops", type=int, default=20, help="stop-to-silence trials")
    parser.add_argument("--interrupts", type=int, default=5, help="interrupt trials")
    parser.add_argument("--continuous", type=float, default=60.0, help="seconds of speech")
    parser.add_argument("--latency", type=float, default=None, help="output latency (s)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    engine = OnnxEngine()
    options = {} if args.latency is None else {"latency": args.latency}
    speaker = Speaker(engine, **options)  # type: ignore[arg-type]
    speaker.start()
    if not (speaker.wait_ready(120) and speaker.wait_audio(10)):
        print(f"speaker not ready: {speaker.status()}", file=sys.stderr)
        return 1
    print(f"audio: {speaker.status().audio.device}, latency {speaker.status().audio.latency}")
    results: dict[str, object] = {"machine": machine()}
    with pulse.Capture() as cap:
        for text in CORPUS[:3]:  # warm-up
            ttfa_streaming(speaker, cap, text, finish=True)
        streaming = [
            ttfa_streaming(speaker, cap, text, finish=True)
            for _ in range(args.reps)
            for text in CORPUS
        ]
        callback = list(speaker.status().recent_time_to_first_audio)
        print(summary("TTFA at the sink, streaming (corpus)", streaming))
        print(summary("  of which speak() -> callback", callback[-len(streaming) :]))
        cache_hit = []
        for text in CORPUS[:3]:
            ttfa_streaming(speaker, cap, text, finish=True)  # fills the cache
            cache_hit.append(ttfa_streaming(speaker, cap, text, finish=True, cached=True))
        print(summary("TTFA repeated short phrase (engine cache)", cache_hit))
        text_2000 = long_text(2000)
        short_runs, long_runs = [], []
        for _ in range(args.long_reps):
            short_runs.append(ttfa_streaming(speaker, cap, SHORT_15, finish=False))
            long_runs.append(ttfa_streaming(speaker, cap, text_2000, finish=False))
        print(summary(f"TTFA {words(SHORT_15)}-word text", short_runs))
        print(summary(f"TTFA {words(text_2000)}-word text", long_runs))
        long_ratio = p50(long_runs) / p50(short_runs)
        print(f"{'2000-word / 15-word TTFA (p50)':<44} {long_ratio:.2f}x (target <= 1.10)")
        interrupts = interrupt_ttfa(speaker, cap, args.interrupts)
        print(summary("interrupting a long text: speak() -> callback", interrupts))
        stops = stop_to_silence(speaker, cap, args.stops)
        print(summary("stop() to silence at the sink", stops))
        steady = continuous(speaker, args.continuous)
        print(
            f"continuous speech: {steady['seconds_played']} s played,"
            f" {steady['underruns']} underruns, {steady['xruns']} device underflows"
        )
        speaker.close()
        # Baseline: same model, same kind of open stream, whole text before the first sample.
        buffer = AudioBuffer(SAMPLE_RATE)
        player = Player(buffer, **options)  # type: ignore[arg-type]
        player.start()
        player.wait_running(10)
        baseline = [
            ttfa_baseline(engine, buffer, cap, text, key)
            for key, text in enumerate(CORPUS * args.reps)
        ]
        player.close()
    print(summary("TTFA baseline: synthesize all, then play", baseline))
    ratio = p50(baseline) / p50(streaming)
    print(f"{'baseline / streaming (p50)':<44} {ratio:.2f}x")
    results.update(
        ttfa_ms={"p50": p50(streaming) * 1e3, "p95": p95(streaming) * 1e3, "n": len(streaming)},
        ttfa_cache_hit_ms=p50(cache_hit) * 1e3,
        ttfa_15_words_ms=p50(short_runs) * 1e3,
        ttfa_2000_words_ms=p50(long_runs) * 1e3,
        long_over_short=long_ratio,
        interrupt_ttfa_ms={"p50": p50(interrupts) * 1e3, "p95": p95(interrupts) * 1e3},
        stop_to_silence_ms={"p50": p50(stops) * 1e3, "p95": p95(stops) * 1e3},
        continuous=steady,
        baseline_ttfa_ms={"p50": p50(baseline) * 1e3, "p95": p95(baseline) * 1e3},
        baseline_over_streaming=ratio,
        load_average=os.getloadavg()[0],
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
