"""The first piece of speech waits for its own phonemes only: one G2P call for the piece (also
when it is cut mid-clause and spoken with a comma), none for the text after it."""

from __future__ import annotations

import pytest

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
