"""split_chunks: a short first chunk, sentence-sized later ones, lazily, never inside a word."""

from __future__ import annotations

import itertools
import time
import tracemalloc
import types

import pytest

from kokoro_mcp.text import prepare_text, split_chunks
from kokoro_mcp.text.chunking import FIRST_CHUNK_WORDS, GROWTH, MAX_CHARS, MIN_CHARS

SUMMARY = (
    "I refactored the audio module so that the callback never allocates, and I added tests"
    " for the buffer, the keep-alive tone and the pause logic. Everything passes on Linux;"
    " macOS is next. The remaining work is the daemon, the command line client and the docs."
    " Dr. Smith reviewed the design on Tuesday, and she asked for two changes: a bounded"
    " queue and a clearer error when the model folder is missing. Both are done. The queue"
    " now holds at most eight utterances, and the error names the folder and the command"
    " that fixes it. Latency is down to about three hundred milliseconds for short phrases,"
    " which is roughly four times faster than before. I also removed the old thread pool,"
    " because one long-lived synthesis thread is simpler and avoids the cost of switching"
    " between sessions. Next, I will benchmark the rewritten graph on a machine without"
    " VNNI, and then write the release notes."
)

TEXTS = [
    SUMMARY,
    "Done.",
    "Build finished. All 128 tests pass.",
    "Hello, this is a test of the Kokoro speech engine.",
    "word " * 400,
    "A" * 700 + " and then a few ordinary words follow the very long one.",
    "Short. " * 100,
    "One clause, another clause; a third clause: and a fourth — then the end. " * 20,
    prepare_text(
        "## Changes\n\n1. Added `AudioBuffer.write()`\n2. Fixed the race in"
        " `Speaker._run_loop`\n\n```python\nprint(1)\n```\n\nAll 42 tests pass ✅\n" * 10
    ),
]


def _chunks(text: str, **kwargs: int) -> list[str]:
    return list(split_chunks(text, **kwargs))


@pytest.mark.parametrize("text", TEXTS)
def test_chunks_cover_the_text_word_for_word(text: str) -> None:
    # Same words in the same order: nothing lost, nothing split inside a word.
    chunks = _chunks(text)
    assert [w for chunk in chunks for w in chunk.split()] == text.split()
    assert all(chunk == chunk.strip() and chunk for chunk in chunks)


@pytest.mark.parametrize("text", TEXTS)
def test_no_chunk_is_over_max_chars_unless_it_is_one_word(text: str) -> None:
    for max_chars in (60, MAX_CHARS):
        for chunk in _chunks(text, max_chars=max_chars):
            assert len(chunk) <= max_chars or len(chunk.split()) == 1, chunk


@pytest.mark.parametrize("text", TEXTS)
def test_chunks_grow_at_most_geometrically(text: str) -> None:
    chunks = _chunks(text)
    longest = 0
    for previous, chunk in itertools.pairwise(chunks):
        longest = max(longest, len(previous))
        if len(chunk.split()) > 1:
            budget = max(MIN_CHARS, int(longest * GROWTH))
            assert len(chunk) <= budget + budget // 4, chunk  # a quarter more ends a sentence


def test_first_chunk_is_a_few_words_of_a_long_text() -> None:
    first = next(split_chunks(SUMMARY))
    assert first == "I refactored the audio module"
    assert 3 <= len(first.split()) <= FIRST_CHUNK_WORDS + 2


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # A clause end within the first eight words wins.
        ("I checked the logs, and the crash comes from the audio thread.", "I checked the logs,"),
        # A sentence end within eight words: the whole sentence.
        ("Tests pass. Now let me explain what changed in the buffer code.", "Tests pass."),
        ("The build finished and all tests pass now. Next steps follow.", None),
        # No boundary: cut at a word, but not after "of" or "the".
        ("Hello this is a test of the Kokoro speech engine today", "Hello this is a test"),
        # Just before a word that opens a clause or a phrase, when one is in reach.
        (
            "We need the output of the first stage before we continue",
            "We need the output of the first stage",
        ),
        ("The build finished and all of the tests passed.", "The build finished"),
        (
            "Please review the changes before you merge them into main.",
            "Please review the changes",
        ),
        # A comma after one word is too early for the first chunk.
        (
            "Sure, I will fix the failing test in the buffer module now.",
            "Sure, I will fix the failing test",
        ),
        ("Done.", "Done."),
        ("  Short text  ", "Short text"),
    ],
)
def test_first_chunk_ends_at_a_natural_place(text: str, first: str | None) -> None:
    expected = first if first is not None else text.split(". ")[0] + "."
    assert next(split_chunks(text)) == expected


def test_first_chunk_words_can_be_tuned() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    assert next(split_chunks(text, first_chunk_words=3)) == "one two three"
    assert next(split_chunks(text, first_chunk_words=10)) == " ".join(text.split()[:10])


def test_later_chunks_end_at_sentence_ends_once_the_ramp_is_done() -> None:
    # Every SUMMARY sentence fits in 160 characters: once the budget has grown that far,
    # no chunk needs to cut a sentence.
    chunks = _chunks(SUMMARY, max_chars=160)
    ramped = next(i for i, chunk in enumerate(chunks) if len(chunk) > 120)
    for chunk in chunks[ramped:]:
        assert chunk[-1] in ".!?", chunk
    assert max(len(c) for c in chunks) <= 160
    assert max(len(c) for c in _chunks(SUMMARY)) <= MAX_CHARS


def test_clause_boundary_used_when_a_sentence_is_too_long() -> None:
    sentence = ", ".join(f"clause number {i} has some words" for i in range(30)) + "."
    chunks = _chunks(sentence)
    for chunk in chunks[1:-1]:
        assert chunk.endswith(","), chunk


def test_abbreviations_and_initials_are_not_sentence_ends() -> None:
    text = (
        "We asked Dr. Smith and Mr. J. Jones about it. They agreed on everything we showed"
        " them yesterday in the lab, including the numbers."
    )
    for chunk in _chunks(text, first_chunk_words=2, max_chars=48):
        assert not chunk.endswith(("Dr.", "Mr.", "J.")), chunk


def test_an_initial_is_not_a_sentence_end() -> None:
    text = "Hi. We met the team and J. Smith at the lab to talk about the plan."
    assert next(split_chunks(text)) == "Hi."
    text = "Hi. We met the team and Dr. Smith at the lab to talk about the plan."
    assert next(split_chunks(text)) == "Hi."


def test_cjk_text_is_cut_at_its_own_punctuation() -> None:
    text = "你好，世界。这是第二句话，很长很长。" * 20
    chunks = _chunks(text)
    assert chunks[0] == "你好，世界。"
    assert "".join(chunks) == text
    assert all(chunk[-1] in "。，" for chunk in chunks)


def test_empty_and_blank_text_give_no_chunks() -> None:
    assert _chunks("") == []
    assert _chunks(" \n\t ") == []


@pytest.mark.parametrize(
    "kwargs",
    [{"first_chunk_words": 0}, {"max_chars": 0}, {"growth": 0.5}],
)
def test_bad_settings_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        next(split_chunks("some text", **kwargs))  # type: ignore[arg-type]


def _megabyte_of_sentences() -> str:
    text = SUMMARY + " "
    return (text * (1_000_000 // len(text) + 1))[:1_000_000]


def test_first_chunk_of_a_megabyte_comes_without_scanning_it() -> None:
    text = _megabyte_of_sentences()
    chunks = split_chunks(text)
    assert isinstance(chunks, types.GeneratorType)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        first = next(chunks)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first == "I refactored the audio module"
    assert elapsed < 0.05, f"first chunk took {elapsed * 1000:.1f} ms"
    # Holding all chunks would take over a megabyte; the generator holds one.
    assert peak < 64_000, f"peak {peak} bytes while producing the first chunk"


def test_first_chunk_of_a_megabyte_without_spaces_is_still_quick() -> None:
    started = time.perf_counter()
    first = next(split_chunks("x" * 1_000_000))
    assert time.perf_counter() - started < 0.5
    assert len(first) == 1_000_000  # one "word": emitted whole, never cut inside


def test_whole_megabyte_chunks_in_reasonable_time() -> None:
    text = _megabyte_of_sentences()
    started = time.perf_counter()
    count = 0
    total = 0
    for chunk in split_chunks(text):
        count += 1
        total += len(chunk.split())
    assert time.perf_counter() - started < 5.0
    assert total == len(text.split())
    assert count > 1_000_000 // MAX_CHARS


def test_last_sentence_is_not_split_off_its_final_word() -> None:
    """The text's end is a sentence end too: no lone "case." chunk."""
    text = "Your pull request looks good, but please add a test for the empty input case."
    assert list(split_chunks(text)) == [
        "Your pull request looks good,",
        "but please add a test for the empty input case.",
    ]
