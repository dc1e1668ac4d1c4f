"""The engine's own backstops, whatever the text stage hands it: a chunk said at most twice in a
row, and numbers too long to say summarised (fast: the tone engine, no model)."""

from __future__ import annotations

from kokoro_mcp.engine.g2p_input import shorten_chunk
from kokoro_mcp.engine.tone import ToneEngine


def test_a_chunk_repeated_many_times_in_a_row_is_said_twice() -> None:
    engine = ToneEngine()
    chunks = ["a a a a"] * 137 + ["the end"]
    said = [chunk.text for chunk in engine.synthesize(chunks, "af_heart")]
    assert said == ["a a a a", "a a a a", "the end"]


def test_alternating_and_spaced_repeats_are_kept() -> None:
    engine = ToneEngine()
    chunks = ["yes", "no", "yes", "no", "yes", "yes", "maybe", "yes"]
    said = [chunk.text for chunk in engine.synthesize(chunks, "af_heart")]
    assert said == chunks


def test_very_long_numbers_are_summarised_and_ordinary_ones_kept() -> None:
    assert shorten_chunk("99999999999999999999 and so on.") == "a 20-digit number and so on."
    assert shorten_chunk("Build 123456789012 passed.") == "Build 123456789012 passed."
    assert shorten_chunk("x" * 10) == "xxx"
