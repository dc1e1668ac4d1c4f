"""Prepared text, spoken by the real model and heard by a speech recognizer.

The unit tests pin the exact strings; these check that the strings do what they are for:
a listener hears "minus three", not silence, and "GitHub dot com", not twelve slashes.
"""

from __future__ import annotations

import numpy as np
import pytest

from kokoro_mcp.engine.onnx import OnnxEngine
from tests.asr import normalize_words, transcribe

pytest_plugins = ["tests.model_fixtures"]
pytestmark = [pytest.mark.slow, pytest.mark.model, pytest.mark.asr]


def _heard(engine: OnnxEngine, text: str, *, prepare: bool = True) -> list[str]:
    chunks = [chunk.samples for chunk in engine.stream(text, "af_heart", prepare=prepare)]
    return normalize_words(transcribe(np.concatenate(chunks)))


def _contains(words: list[str], phrase: str) -> bool:
    wanted = phrase.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


@pytest.mark.parametrize(
    ("text", "phrase", "absent"),
    [
        ("It was -3 degrees outside.", "minus three degrees", None),
        ("The meeting lasts 1-2 hours.", "one to two hours", None),
        ("It took 250ms and used 3 GB.", "milliseconds", "ms"),
        ("See https://github.com/foo/bar/pull/12 for details.", "github", "slash"),
        ("I fixed the bug in `src/kokoro_mcp/cli.py` today.", "bug in", "slash"),
        ("Call `parseJsonResponse()` on the result.", "response on the result", None),
        ("Upgrade to v2.3.1 today.", "version", None),
        # Classes of issue 12: icons in tables, diffs, slashes, phones, zones, fractions,
        # runaway JSON, extensions after a space.
        ("| Test | Status |\n|---|---|\n| build | ✅ |\n| deploy | ❌ |", "status failed", None),
        ("```diff\n@@ -12,7 +12,7 @@\n-timeout = 30\n+timeout = 60\n```", "from 30 to 60", "12"),
        ("The report is due 4/15.", "due april 15", "out"),
        ("Unit tests PASS (8/8).", "eight out of eight", None),
        ("Call (555) 867-5309 today.", "867 5309 today", "to"),
        ("We deploy at 7:45pm ET.", "eastern time", None),
        ("Add 1 3/4 cups of flour.", "three quarters cups", "out"),
        (
            'Response: {"id":42,"name":"voice","tags":["a","b"]}',
            "json object with three keys",
            "id",
        ),
        ("Delete all .py files now.", "all dot", None),
    ],
)
def test_prepared_text_is_heard_as_intended(
    onnx_engine: OnnxEngine, text: str, phrase: str, absent: str | None
) -> None:
    words = _heard(onnx_engine, text)
    assert _contains(words, phrase), f"{text!r} was heard as {' '.join(words)!r}"
    if absent is not None:
        assert absent not in words, f"{text!r} was heard as {' '.join(words)!r}"


def test_a_negative_number_is_lost_without_preparation(onnx_engine: OnnxEngine) -> None:
    # The reason prepare_text says "minus": the G2P alone drops "-3" entirely.
    raw = _heard(onnx_engine, "It was -3 degrees outside.", prepare=False)
    assert "minus" not in raw and "three" not in raw, raw
