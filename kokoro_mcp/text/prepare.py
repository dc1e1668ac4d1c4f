"""`prepare_text`: what an agent wrote -> what a person should hear; lazily, block by block."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from kokoro_mcp.text.characters import clean_characters, drop_icons
from kokoro_mcp.text.chunking import FIRST_CHUNK_WORDS, MAX_CHARS, split_chunks
from kokoro_mcp.text.code import CodeBlockMode
from kokoro_mcp.text.markdown import iter_blocks
from kokoro_mcp.text.numbers import mark_numbers, say_numbers
from kokoro_mcp.text.quantities import say_quantities
from kokoro_mcp.text.respell import respell
from kokoro_mcp.text.rules import tidy_glue, unglue
from kokoro_mcp.text.runaway import cap_long_words, shorten_runaways
from kokoro_mcp.text.segments import iter_segments
from kokoro_mcp.text.symbols import (
    drop_marks,
    end_sentence,
    say_abbreviations,
    say_symbols,
    tidy_punctuation,
)
from kokoro_mcp.text.technical import say_technical, shorten_technical

logger = logging.getLogger(__name__)


# A long block with this few letters is data, not prose (50 KB of "1.2.1.2." or of
# brackets): a hundred rule passes over it would cost ~1 s, and none would help a listener.
DATA_BLOCK_CHARS = 2_000
DATA_LETTER_SHARE = 0.4  # prose, even full of numbers, is over half letters
_LETTER = re.compile(r"[^\W\d_]")
_NOT_SAID = re.compile(r"[^\w\s.,;:!?'%$€£-]+|_+")


def _is_data(block: str) -> bool:
    if len(block) < DATA_BLOCK_CHARS:
        return False
    letters = len(_LETTER.findall(block))
    return letters < DATA_LETTER_SHARE * len(block)


def _say_data(block: str, english: bool) -> str:
    """A data block, cheaply: only words and numbers, long tokens shortened (logged)."""
    logger.info("read a %d-character block of data without the text rules", len(block))
    text = _NOT_SAID.sub(" ", block)
    text = cap_long_words(tidy_punctuation(text), english=english)
    if not any(ch.isalnum() for ch in text):
        return ""
    return end_sentence(text, keep_colon=True)


def prepare_block(block: str, *, english: bool = True) -> str:
    """One block (paragraph, heading, list item...) to one or more spoken sentences; the
    words of each expansion are glued (see rules.GLUE)."""
    text = drop_icons(block)
    if english:
        text = shorten_runaways(text)  # first: minified JSON is summarised, not read as data
    if _is_data(text):
        return _say_data(text, english)
    if english:
        text = say_abbreviations(text)
        text = say_quantities(text)
        text = say_technical(text)
        text = say_numbers(text)
        text = respell(say_symbols(text))
    else:
        # "minus", "dot", "version" are English words: other languages get the markup
        # removed and the long tokens shortened, and their G2P reads the rest.
        text = mark_numbers(drop_marks(shorten_technical(text)))
    text = cap_long_words(tidy_punctuation(tidy_glue(text)), english=english)
    if not any(ch.isalnum() for ch in text):
        return ""  # only marks left: nothing to say
    return end_sentence(text, keep_colon=True)


def _check_mode(code_blocks: str) -> None:
    if code_blocks not in ("placeholder", "skip"):
        raise ValueError(f"code_blocks must be 'placeholder' or 'skip', got {code_blocks!r}")


def iter_spoken_blocks(
    text: str, *, code_blocks: CodeBlockMode = "placeholder", language: str = "en"
) -> Iterator[str]:
    """Yield the spoken blocks of `text` as they are prepared: the first comes after
    parsing only the first few hundred characters, however long `text` is. Expansions are
    glued (rules.GLUE): `split_chunks` keeps them whole; `unglue` makes plain text."""
    _check_mode(code_blocks)
    english = language.lower().startswith("en")
    mode: CodeBlockMode = code_blocks if english else "skip"
    held = ""  # a block ending in ":" waits: a silent code block may follow it
    for segment in iter_segments(text):
        for block in iter_blocks(clean_characters(segment), mode, english=english):
            if not block:
                if held.endswith(":"):  # "Run this:" no longer introduces anything
                    held = held[:-1] + "."
                continue
            spoken = prepare_block(block, english=english)
            if not spoken:
                continue
            if held:
                yield held
            held = spoken
            if not held.endswith(":"):
                yield held
                held = ""
    if held:
        # Only the very end must fall: a trailing "Here's the plan:" becomes a statement.
        yield end_sentence(held)


def prepare_text(
    text: str, *, code_blocks: CodeBlockMode = "placeholder", language: str = "en"
) -> str:
    """Turn markdown-ish agent output into plain, speakable sentences.

    Markup is removed, code blocks become a short spoken placeholder (or nothing with
    `code_blocks="skip"`), diffs a summary, stack traces their error line, URLs, paths,
    identifiers, numbers and symbols become words, emoji and control characters go, and
    every block ends with sentence punctuation. Linear in len(text).

    `language` is the voice's language ("en-US", "es", ...; a voice's `VoiceInfo.language`).
    The spoken forms are English, so for other languages only markup, emoji and long
    technical tokens are removed, and code blocks are skipped silently.
    """
    return unglue(" ".join(iter_spoken_blocks(text, code_blocks=code_blocks, language=language)))


def speakable_chunks(
    text: str,
    *,
    code_blocks: CodeBlockMode = "placeholder",
    language: str = "en",
    first_chunk_words: int = FIRST_CHUNK_WORDS,
    max_chars: int = MAX_CHARS,
) -> Iterator[str]:
    """The chunks the engine synthesizes, prepared lazily: the first one costs the same for a
    sentence and for a megabyte. Exactly `split_chunks(prepare_text(text))`, except that no
    chunk cuts inside a phrase the preparation made up ("staging dot example dot com")."""
    _check_mode(code_blocks)  # now, not at the first next(): the caller's mistake, said early
    blocks = iter_spoken_blocks(text, code_blocks=code_blocks, language=language)
    return split_chunks(blocks, first_chunk_words=first_chunk_words, max_chars=max_chars)
