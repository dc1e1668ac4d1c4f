"""Trimming keeps fixed margins around speech."""

from __future__ import annotations

import numpy as np

from kokoro_mcp.engine.trim import (
    FADE_IN,
    FRAME,
    JOIN_MARGIN,
    LEAD_MARGIN,
    TAIL_MARGIN,
    speech_start,
    trim_silence,
)


def speech_between(lead: int, sound: int, tail: int) -> np.ndarray:
    samples = np.zeros(lead + sound + tail, dtype=np.float32)
    samples[lead : lead + sound] = 0.3
    return samples


def test_margins_around_speech() -> None:
    trimmed = trim_silence(speech_between(50 * FRAME, 40 * FRAME, 60 * FRAME))
    assert len(trimmed) == LEAD_MARGIN + 40 * FRAME + TAIL_MARGIN
    assert np.all(trimmed[LEAD_MARGIN : LEAD_MARGIN + 40 * FRAME] == np.float32(0.3))


def test_speech_start_is_where_the_trimmed_audio_begins() -> None:
    samples = speech_between(50 * FRAME, 40 * FRAME, 60 * FRAME)
    start = speech_start(samples)
    assert start == 50 * FRAME - LEAD_MARGIN
    trimmed = trim_silence(samples)
    assert np.array_equal(trimmed, samples[start : start + len(trimmed)])
    assert speech_start(np.zeros(10 * FRAME, dtype=np.float32)) == 0


def test_joining_chunk_keeps_almost_no_tail() -> None:
    trimmed = trim_silence(speech_between(10 * FRAME, 40 * FRAME, 4 * FRAME), joins_next=True)
    assert len(trimmed) == LEAD_MARGIN + 40 * FRAME + JOIN_MARGIN


def test_silence_only_gives_nothing() -> None:
    assert trim_silence(np.zeros(10 * FRAME, dtype=np.float32)).size == 0


def test_a_cut_through_faint_noise_starts_with_a_ramp() -> None:
    samples = speech_between(50 * FRAME, 40 * FRAME, 60 * FRAME)
    samples[: 50 * FRAME] = 0.004  # below the silence threshold, but not zero
    trimmed = trim_silence(samples)
    assert trimmed[0] == 0.0 and np.all(np.diff(trimmed[:FADE_IN]) > 0)
    assert trimmed[FADE_IN] == np.float32(0.004)  # the rest as it was
    assert np.all(samples[: 50 * FRAME] == np.float32(0.004))  # the input is not modified
