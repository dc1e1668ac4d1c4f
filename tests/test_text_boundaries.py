"""Chunk cuts fall on the source text's boundaries, never inside a phrase the text stage
made up ("staging dot example dot ‖ com", "December 3, ‖ 2027"), and later chunks don't
end on a weak word ("to the ‖ staging database")."""

from __future__ import annotations

import pytest

from kokoro_mcp.text import speakable_chunks, split_chunks
from kokoro_mcp.text.chunking import _WEAK_ENDINGS

# (what the agent wrote, a phrase that must come out whole in one chunk)
WHOLE_PHRASES = [
    (
        "Deploy the new build to staging.example.com and tell me when done.",
        "staging dot example dot com",
    ),
    ("The release is planned for 2027-12-03 at the latest, says the plan.", "December 3, 2027"),
    ("We ship on December 3, 2027 if the review goes well this week.", "December 3, 2027"),
    (
        "Send the full report to john.doe@example.com before the meeting.",
        "john dot doe at example dot com",
    ),
    ("Upgrade the parser to v2.3.1 before the next release goes out.", "version 2 point 3 point 1"),
    ("The standup moved to 9:30-10:30 on every weekday from now on.", "9 30 to 10 30"),
    ("Office hours are 9am-5pm for the whole support team this month.", "9 AM to 5 PM"),
    ("The window opens at 7:45 a.m. ET and closes again at noon today.", "7 45 AM Eastern Time"),
    ("The model needs 2.5GiB of memory on the small build machine.", "2.5 gibibytes"),
    ("Please call (555) 867-5309 about the outage in the east region.", "5 5 5, 8 6 7, 5 3 0 9"),
    ("It took 1 3/4 hours to rebuild all of the container images.", "1 and three quarters"),
    ("The report is due 4/15, so please send your numbers soon.", "April 15"),
    ("Latency went from 120ms to 80ms after we enabled the cache.", "120 milliseconds"),
    ("We now require Python 3.12 for the build and the test jobs.", "Python 3 12"),
    ("Read src/kokoro_mcp/text/markdown.py first and then the tests.", "markdown dot py"),
]


@pytest.mark.parametrize("first_chunk_words", [2, 3, 4, 6])
@pytest.mark.parametrize(("text", "phrase"), WHOLE_PHRASES)
def test_no_cut_inside_an_expanded_phrase(text: str, phrase: str, first_chunk_words: int) -> None:
    chunks = list(speakable_chunks(text, first_chunk_words=first_chunk_words, max_chars=40))
    assert any(phrase in chunk for chunk in chunks), chunks


def test_expansion_words_are_not_taken_for_phrase_boundaries() -> None:
    # Counted after expansion, "dot" and "to" looked like cut points inside the name.
    text = "Deploy to staging.example.com now, then verify that the health checks pass."
    assert next(speakable_chunks(text)) == "Deploy to staging dot example dot com now,"
    text = "Shipped 2027-12-03, with all the fixes that were planned for the final build."
    assert next(speakable_chunks(text)).startswith("Shipped December 3, 2027, with")


LATER = (
    "I moved every one of the remaining customer records from the old cluster over to the"
    " staging database and then checked the row counts one table at a time before I"
    " switched the traffic over to the new primary in the other region."
)


@pytest.mark.parametrize("max_chars", [40, 60, 80])
def test_later_chunks_do_not_end_on_a_weak_word(max_chars: int) -> None:
    chunks = list(split_chunks(LATER, max_chars=max_chars))
    for chunk in chunks[1:-1]:
        last = chunk.split()[-1].strip(".,;:").lower()
        assert last not in _WEAK_ENDINGS, chunks
    assert " ".join(chunks).split() == LATER.split()


def test_a_very_long_expansion_stays_cuttable() -> None:
    # Glue is for phrases, not for a 40-label host: chunks must still fit the model.
    host = ".".join(["node"] * 40) + ".example.com"
    chunks = list(speakable_chunks(f"Connect to {host} now.", max_chars=60))
    assert max(len(chunk) for chunk in chunks) <= 60 + 30, chunks
