"""Abbreviations, symbols and punctuation: the last pass before text reaches the G2P.

Punctuation is kept (Kokoro uses it for prosody) but tidied: one mark where an agent wrote
"!!!" or "?!", one ellipsis character, no space before a comma, and every block ends with
a sentence mark.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

_ABBREVIATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[Ee]\.\s?g\.(?:,(?=\s))?"), "for example,"),
    (re.compile(r"\b[Ii]\.\s?e\.(?:,(?=\s))?"), "that is,"),
    (re.compile(r"\b[Aa]\.k\.a\.?(?!\w)"), "also known as"),
    (re.compile(r"\b[Vv]s\.?(?=\s)"), "versus"),
    (re.compile(r"\b[Aa]pprox\.?(?=\s)"), "approximately"),
    (re.compile(r"\b[Cc]f\.(?=\s)"), "compare"),
    (re.compile(r"\b[Ii]ncl\.(?=\s)"), "including"),
    (re.compile(r"\b[Ww]/o(?=\s)"), "without"),
    (re.compile(r"\b[Ww]/(?=\s)"), "with"),
    (re.compile(r"\bN[Oo]\.\s?(?=\d)"), "number "),
    (re.compile(r"\bTL;\s?DR\b", re.IGNORECASE), "TL DR"),
    (re.compile(r"\bC#(?!\w)"), "C sharp"),
    (re.compile(r"\bF#(?!\w)"), "F sharp"),
    (re.compile(r"\bC\+\+(?!\w)"), "C plus plus"),
]
# "etc." keeps its period only where it ends the sentence.
_ETC = re.compile(r"\betc\.(?=(\s+[A-Z]|\s*$)?)")

_SYMBOLS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\s?(?:<->|<=>|↔|⇔)\s?"), " and "),
    (re.compile(r"\s?(?:-->|->|→|⟶|=>|⇒|⟹|➜|➔)\s?"), " to "),
    (re.compile(r"\s?(?:<-|←)\s?"), " from "),
    (re.compile(r"\s?(?:===|==)\s?"), " equals "),
    (re.compile(r"\s?(?:!==|!=|≠)\s?"), " is not equal to "),
    (re.compile(r"\s?(?:<=|≤)\s?"), " is at most "),
    (re.compile(r"\s?(?:>=|≥)\s?"), " is at least "),
    (re.compile(r"\s?&&\s?"), " and "),
    (re.compile(r"\s?\|\|\s?"), " or "),
    (re.compile(r"\s?±\s?"), " plus or minus "),
    (re.compile(r"\s?=\s?"), " equals "),
    (re.compile(r"(?<=\s)<(?=\s)|(?<=\w)<(?=\w)"), " less than "),
    (re.compile(r"(?<=\s)>(?=\s)|(?<=\w)>(?=\w)"), " greater than "),
    (re.compile(r"\s?&\s?"), " and "),
    (re.compile(r"(?<=[\w)])\s?\+\s?(?=[\w(])|(?<=\s)\+(?=\s)"), " plus "),
    (re.compile(r"(?<=[\w)])\s?\+"), " plus"),
    (re.compile(r"(?<=[\d)])\s?[*×]\s?(?=[\d(])|(?<=\s)[*×](?=\s)"), " times "),
    (re.compile(r"\s?÷\s?"), " divided by "),
    (re.compile(r"(?<!\w)@(?=\w)"), "at "),
    (re.compile(r"::"), " "),
    (re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|<\s*>"), ""),
    # Leftover marks with no spoken form.
    (re.compile(r"[\[\]{}<>|\\^*#_~`]+|\$(?![\d.])"), " "),
    (re.compile(r"(?<=\s)/(?=\s)|/"), " "),
]

_DASH = re.compile(r"\s+(?:-{1,3}|–|—)\s+|(?<=\w)—(?=\w)|(?<=\w)--(?=\w)")
_ELLIPSIS = re.compile(r"\.{3,}|…+|(?:\.\s){2,}\.")
_REPEATED = [
    (re.compile(r"[!?]*\?[!?]*"), "?"),
    (re.compile(r"!{2,}"), "!"),
    (re.compile(r",{2,}"), ","),
    (re.compile(r";{2,}"), ";"),
    (re.compile(r":{2,}"), ":"),
    (re.compile(r"(?<!\.)\.\.(?!\.)"), "."),
]
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[,.!?;:…)\]])")
_SPACE_AFTER_OPEN = re.compile(r"(?<=[(\[])\s+")
_STACKED_PUNCT = re.compile(r"([,;:—])(?:\s*[,;:—])+|[,;:—]\s*(?=[.!?…])|([.!?])[.,;:]+")
_EMPTY_PARENS = re.compile(r"\(\s*[,.;:]?\s*\)")
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_MARKS = ".!?…。！？"
_CLOSERS = "\"')]”’»"


def say_abbreviations(text: str) -> str:
    """Expand the abbreviations that would confuse sentence splitting or the G2P."""
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return _ETC.sub(lambda m: "et cetera." if m.group(1) is not None else "et cetera", text)


def say_symbols(text: str) -> str:
    """Operators and arrows to words; marks with no spoken form to spaces."""
    text = _DASH.sub(" — ", text)
    for pattern, replacement in _SYMBOLS:
        text = pattern.sub(replacement, text)
    return text


def tidy_punctuation(text: str) -> str:
    """One mark where there were many; no stray spaces around marks; collapsed spaces."""
    text = _ELLIPSIS.sub("…", text)
    for pattern, replacement in _REPEATED:
        text = pattern.sub(replacement, text)
    text = _WHITESPACE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub("", text)
    text = _SPACE_AFTER_OPEN.sub("", text)
    text = _EMPTY_PARENS.sub("", text)
    text = _STACKED_PUNCT.sub(lambda m: m.group(1) or m.group(2) or "", text)
    return _WHITESPACE.sub(" ", text).strip(" ,;:—")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF


def end_sentence(text: str) -> str:
    """Make sure a block ends with a sentence mark, so the model's prosody falls."""
    core = text.rstrip(_CLOSERS)
    if not core:
        return text
    if core[-1] in _SENTENCE_MARKS:
        return text
    if core[-1] in ",;:—-":
        return core[:-1].rstrip() + "." + text[len(core) :]
    mark = "。" if _is_cjk(core[-1]) else "."
    return core + mark + text[len(core) :]
