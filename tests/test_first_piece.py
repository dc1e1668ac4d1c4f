"""The first piece of speech waits for its own phonemes only: one G2P call for the piece (also
when it is cut mid-clause and spoken with a comma), none for the text after it."""

from __future__ import annotations

import numpy as np
import pytest

from kokoro_mcp.engine.base import SAMPLE_RATE
from kokoro_mcp.engine.onnx import OnnxEngine

pytest_plugins = ["tests.model_fixtures"]
pytestmark = [pytest.mark.model]

REPLY = (
    "I updated the configuration loader to accept relative paths. The parser now handles"
    " nested lists and tables correctly. The release notes are drafted; please check them."
)


def test_first_piece_is_phonemized_once_as_spoken(onnx_engine: OnnxEngine) -> None:
    onnx_engine.clear_cache()
    first = next(onnx_engine.stream(REPLY, "af_heart"))
    assert first.text == "I updated the configuration loader"  # cut before "to": mid-clause
    # One G2P call, for the text as synthesized (with the comma that keeps the voice up).
    assert list(onnx_engine._phoneme_cache) == [(first.text + ",", "a")]


def test_first_audio_waits_for_no_later_text(onnx_engine: OnnxEngine) -> None:
    onnx_engine.clear_cache()
    stream = onnx_engine.stream(REPLY * 20, "af_heart")
    first = next(stream)
    assert first.samples.size > 0
    phonemized = [text for text, _ in onnx_engine._phoneme_cache]
    assert phonemized and all(text.rstrip(",") in first.text for text in phonemized), phonemized
    second = next(stream)  # the rest is phonemized as it is reached
    assert any(text.rstrip(",") in second.text for text, _ in onnx_engine._phoneme_cache)
    stream.close()


@pytest.mark.parametrize("voice", ["af_heart", "am_michael", "bf_emma"])
@pytest.mark.parametrize("speed", [0.8, 1.0, 1.5])
def test_first_piece_starts_soon_but_unclipped(
    onnx_engine: OnnxEngine, voice: str, speed: float
) -> None:
    """The trimmed piece opens with a ramp, not a step (a fricative's faint start is cut),
    and is loud soon (little silence before the first sound)."""
    samples = onnx_engine.synthesize_chunk("Five tests failed in the parser,", voice, speed)
    assert np.abs(samples[: SAMPLE_RATE // 1000]).max() < 0.005  # first 1 ms under -46 dBFS
    loud = np.flatnonzero(np.abs(samples) > 0.005)  # -46 dBFS, the benchmarks' "sound"
    assert loud.size and loud[0] < 0.03 * SAMPLE_RATE, loud[:1] / SAMPLE_RATE
