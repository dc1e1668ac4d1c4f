"""The text stage is lazy: the first chunk of a long reply costs what a short one costs, on
its own, through Engine.stream, and through Speaker.speak (which prepares only the first)."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable

import pytest

from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.text import prepare_text, speakable_chunks, split_chunks

from .test_text_corpus import CORPUS

# A realistic mixed reply: every corpus input, one after another.
UNIT = "\n\n".join(case.text for case in CORPUS) + "\n\n"


def _reply(size: int) -> str:
    return (UNIT * (size // len(UNIT) + 1))[:size]


def _median_seconds(action: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_first_chunk_time_does_not_grow_with_the_reply() -> None:
    small, huge = _reply(1_000), _reply(16_000_000)
    prepare_text("warm up")
    short = _median_seconds(lambda: next(speakable_chunks(small)))
    long = _median_seconds(lambda: next(speakable_chunks(huge)))
    # Eagerly, 16 MB took ~20 s before its first chunk; a few ms of noise are allowed.
    assert long < 2 * short + 0.01, f"1 KB {short * 1000:.1f} ms, 16 MB {long * 1000:.1f} ms"


def test_first_chunk_of_a_huge_reply_holds_little_memory() -> None:
    huge = _reply(4_000_000)
    prepare_text("warm up")
    tracemalloc.start()
    try:
        first = next(speakable_chunks(huge))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first == next(split_chunks(prepare_text(huge[:2_000])))
    assert peak < 2_000_000, f"{peak:,} bytes allocated for the first chunk of 4 MB"


def test_lazy_chunks_are_the_eager_ones() -> None:
    text = _reply(60_000)
    lazy = list(speakable_chunks(text))
    assert " ".join(lazy) == prepare_text(text)
    assert lazy[0] == next(split_chunks(prepare_text(text)))


def test_engine_stream_starts_at_once_on_a_huge_reply() -> None:
    engine = ToneEngine()
    engine.load()
    small, huge = _reply(1_000), _reply(4_000_000)
    short = _median_seconds(lambda: next(engine.stream(small, "af_heart")), runs=5)
    long = _median_seconds(lambda: next(engine.stream(huge, "af_heart")), runs=5)
    assert long < 2 * short + 0.01, f"1 KB {short * 1000:.1f} ms, 4 MB {long * 1000:.1f} ms"
    assert next(engine.stream(huge, "af_heart")).text == next(engine.stream(small, "af_heart")).text


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_speak_accepts_a_huge_reply_at_once() -> None:
    from kokoro_mcp.speaker import Speaker

    speaker = Speaker(ToneEngine(seconds_per_word=0.01))
    speaker.start()
    try:
        assert speaker.wait_ready(10)
        huge = _reply(4_000_000)
        started = time.perf_counter()
        utterance = speaker.speak(huge)
        accepted = time.perf_counter() - started
        assert accepted < 0.5, f"speak() took {accepted:.2f} s to accept 4 MB"
        deadline = time.monotonic() + 10
        while utterance.chunks_synthesized == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert utterance.chunks_synthesized > 0
    finally:
        speaker.close()
