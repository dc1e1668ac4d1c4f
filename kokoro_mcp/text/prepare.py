"""`prepare_text`: what an agent wrote -> what a person should hear."""

from __future__ import annotations

import logging

from kokoro_mcp.text.characters import clean_characters
from kokoro_mcp.text.markdown import CodeBlockMode, iter_blocks, strip_inline
from kokoro_mcp.text.numbers import mark_numbers, say_numbers
from kokoro_mcp.text.symbols import (
    drop_marks,
    end_sentence,
    say_abbreviations,
    say_symbols,
    tidy_punctuation,
)
from kokoro_mcp.text.technical import say_technical, shorten_technical

logger = logging.getLogger(__name__)


def prepare_block(block: str, *, english: bool = True) -> str:
    """One markdown block (paragraph, heading, list item...) to one or more spoken sentences."""
    text = strip_inline(block)
    if english:
        text = say_abbreviations(text)
        text = say_technical(text)
        text = say_numbers(text)
        text = say_symbols(text)
    else:
        # "minus", "dot", "version" are English words: other languages get the markup
        # removed and the long tokens shortened, and their G2P reads the rest.
        text = mark_numbers(drop_marks(shorten_technical(text)))
    text = tidy_punctuation(text)
    if not any(ch.isalnum() for ch in text):
        return ""  # only marks left: nothing to say
    return end_sentence(text, keep_colon=True)


def prepare_text(
    text: str, *, code_blocks: CodeBlockMode = "placeholder", language: str = "en"
) -> str:
    """Turn markdown-ish agent output into plain, speakable sentences.

    Markup is removed, code blocks become a short spoken placeholder (or nothing with
    `code_blocks="skip"`), URLs/paths/identifiers/numbers become words, emoji and control
    characters go, and every block ends with sentence punctuation. Linear in len(text).

    `language` is the voice's language ("en-US", "es", ...; a voice's `VoiceInfo.language`).
    The spoken forms are English, so for other languages only markup, emoji and long
    technical tokens are removed, and code blocks are skipped silently.
    """
    if code_blocks not in ("placeholder", "skip"):
        raise ValueError(f"code_blocks must be 'placeholder' or 'skip', got {code_blocks!r}")
    english = language.lower().startswith("en")
    mode: CodeBlockMode = code_blocks if english else "skip"
    parts: list[str] = []
    for block in iter_blocks(clean_characters(text), mode):
        if not block:
            # A silent code block: "Run this:" no longer introduces anything.
            if parts and parts[-1].endswith(":"):
                parts[-1] = parts[-1][:-1] + "."
            continue
        spoken_block = prepare_block(block, english=english)
        if spoken_block:
            parts.append(spoken_block)
    spoken = " ".join(parts)
    # Only the very end must fall: a trailing "Here's the plan:" becomes a statement.
    return end_sentence(spoken) if spoken else ""
