"""Runaway tokens: minified JSON, UUID lists, hyphen chains, digit strings.

With no space in them they reach the model as one piece, and everything past its phoneme
limit would be lost without a word. They are summarised ("a JSON object with 3 keys",
"4 UUIDs") or shortened on purpose, and every cut is logged.
"""

from __future__ import annotations

import json
import logging
import re

from kokoro_mcp.text.rules import GLUE, glue

logger = logging.getLogger(__name__)

MAX_WORD_CHARS = 40  # longer tokens are shortened: ~100 phonemes even when spelled out
MIN_JSON_CHARS = 20  # shorter brackets are read as they are ("[1, 2]")
MAX_DIGITS = 15  # a longer digit string would be read as a number with dozens of words

_HEX = "[0-9a-fA-F]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_UUIDS = re.compile(rf"(?<![\w-]){_UUID}(?:[,;\s]\s?{_UUID})*(?![\w-])")
_DIGIT_RUN = re.compile(rf"(?<![\d.,])\d{{{MAX_DIGITS + 1},}}")
_LONG_TOKEN = re.compile(rf"[^\s{GLUE}]{{{MAX_WORD_CHARS + 1},}}")
_PIECES = re.compile(r"[^\W_]+")
_OPENERS = {"{": "}", "[": "]"}


def _bracket_spans(text: str) -> list[tuple[int, int]]:
    """Outermost balanced {...} / [...] spans, in one pass (a run of "[" stays linear)."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if char in _OPENERS:
            stack.append((_OPENERS[char], index))
        elif char in "}]":
            if stack and stack[-1][0] == char:
                _, start = stack.pop()
                if not stack:
                    spans.append((start, index + 1))
            else:
                stack.clear()  # unbalanced: whatever was open can't be JSON
    return spans


def _describe_json(source: str) -> str | None:
    try:
        value = json.loads(source)
    except (ValueError, RecursionError):  # deep nesting: not worth describing either
        return None
    if isinstance(value, dict):
        count = len(value)
        return f"a JSON object with {count} {'key' if count == 1 else 'keys'}"
    if isinstance(value, list):
        count = len(value)
        return f"a JSON list of {count} {'item' if count == 1 else 'items'}"
    return None


def summarize_json(text: str) -> str:
    """Each JSON object or list of MIN_JSON_CHARS or more: what it is, not what it holds."""
    if "{" not in text and "[" not in text:
        return text
    parts: list[str] = []
    pos = 0
    for start, end in _bracket_spans(text):
        if end - start < MIN_JSON_CHARS:
            continue
        said = _describe_json(text[start:end])
        if said is None:
            continue
        logger.info("read %d characters of JSON as %r", end - start, said)
        parts += [text[pos:start], said]
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _uuids(match: re.Match[str]) -> str:
    count = len(re.findall(_UUID, match.group()))
    if count == 1:
        return match.group()[:8]  # like a commit hash: the first characters identify it
    logger.info("read a list of %d UUIDs as their count", count)
    return glue(f"{count} UUIDs")


def _digit_run(match: re.Match[str]) -> str:
    digits = match.group()
    logger.info("read a %d-digit string by its length", len(digits))
    return glue(f"a {len(digits)}-digit number")


def shorten_runaways(text: str) -> str:
    """Before the other passes: JSON, UUID lists and very long digit strings summarised."""
    text = summarize_json(text)
    if "-" in text:
        text = _UUIDS.sub(_uuids, text)
    return _DIGIT_RUN.sub(_digit_run, text)


def _cap_token(match: re.Match[str], english: bool = True) -> str:
    token = match.group()
    pieces = _PIECES.findall(token)
    kept: list[str] = []
    for piece in pieces:
        if len(" ".join([*kept, piece])) > MAX_WORD_CHARS // 2:
            break
        kept.append(piece)
    if not kept:
        kept = [token[: MAX_WORD_CHARS // 2]]
    logger.info("shortened a %d-character token to its start %r", len(token), " ".join(kept))
    more = len(pieces) - len(kept)
    if not english:
        return " ".join(kept)  # no English words in another language's sentence
    if more > 1:
        return f"{' '.join(kept)} and {more} more parts"
    return " ".join(kept) + " and so on"


def cap_long_words(text: str, *, english: bool = True) -> str:
    """Last: any token still longer than MAX_WORD_CHARS keeps its first pieces (logged)."""
    if len(text) <= MAX_WORD_CHARS:
        return text
    return _LONG_TOKEN.sub(lambda match: _cap_token(match, english), text)
