"""Every corpus input through the whole pipeline: text stage, chunker, the engine's split
for the model, and the real G2P, checking the model's phoneme limit.

Fails if a chunk would be truncated at the limit (speech silently lost), if a piece the
engine gets has no phonemes (dropped without a word), if the chunks lose or add words
against the expected spoken text, or if markup, URL syntax or raw symbols reach the voice.
"""

from __future__ import annotations

import json
import re

import pytest

from kokoro_mcp.engine.kokoro import MAX_PHONEMES
from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.text import speakable_chunks

from .test_text_corpus import CORPUS, Case

pytest_plugins = ["tests.model_fixtures"]
pytestmark = pytest.mark.model

VOICE = "af_heart"
# Characters no listener should hear read out: markup, code and URL syntax.
_UNSAID = re.compile(r"[`*#|\[\]{}<>_\\^~=@]|://|\bwww\.|\bhttps?\b")

# Inputs built to break the phoneme limit: one long token, or long text with no breaks.
_MINIFIED = json.dumps({f"k{i}": list(range(5)) for i in range(400)}, separators=(",", ":"))
_UUID = "3f2a9c1b-1234-4abc-8def-0123456789ab"
STRESS = [
    Case("stress", "minified_json_10k", _MINIFIED, ""),
    Case("stress", "hyphen_chain_5k", "-".join(["segment"] * 700), ""),
    Case("stress", "digits_2k", "1" * 2000, ""),
    Case("stress", "prose_without_punctuation", " ".join(["the quick brown fox jumps"] * 150), ""),
    Case("stress", "spelled_capitals", " ".join(["ABCDEFGHIJKLMNOP"] * 40), ""),
    Case("stress", "numbers_without_stops", " ".join(str(n * 7919) for n in range(400)), ""),
    Case("stress", "dotted_numbers", ".".join(str(n) for n in range(3000)), ""),
    Case("stress", "uuid_list", ",".join([_UUID] * 200), ""),
]  # fmt: skip


def _phonemes_heard(engine: OnnxEngine, piece: str) -> int:
    # What split_for_model measures. (The comma the engine adds to a piece cut mid-clause
    # can make it one symbol longer; at the limit, that pause is what the cap removes.)
    return len(engine.phonemize(piece, VOICE))


def _check_pipeline(engine: OnnxEngine, case: Case) -> list[str]:
    chunks = list(speakable_chunks(case.text))
    for index, chunk in enumerate(chunks):
        assert not _UNSAID.search(chunk), f"{case.name}: {chunk!r} reads markup or symbols"
        pieces = list(engine.split_for_model(chunk, VOICE, first=index == 0))
        said = [word for piece in pieces for word in piece.split()]
        assert said == chunk.split(), f"{case.name}: the model split lost words of {chunk!r}"
        for piece in pieces:
            count = _phonemes_heard(engine, piece)
            assert 0 < count <= MAX_PHONEMES, f"{case.name}: {count} phonemes in {piece!r}"
    return chunks


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c.kind}-{c.name}" for c in CORPUS])
def test_corpus_case_reaches_the_model_whole(onnx_engine: OnnxEngine, case: Case) -> None:
    chunks = _check_pipeline(onnx_engine, case)
    assert " ".join(chunks) == case.spoken  # nothing lost or added between stage and model


@pytest.mark.parametrize("case", STRESS, ids=[c.name for c in STRESS])
def test_runaway_input_never_hits_the_phoneme_limit(onnx_engine: OnnxEngine, case: Case) -> None:
    chunks = _check_pipeline(onnx_engine, case)
    assert chunks, case.name
