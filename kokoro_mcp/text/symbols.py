"""Abbreviations, symbols and punctuation: the last pass before text reaches the G2P.

Punctuation is kept (Kokoro uses it for prosody) but tidied: one mark where an agent wrote
"!!!" or "?!", one ellipsis character, no space before a comma, and every block ends with
a sentence mark.
"""

from __future__ import annotations

import logging
import re

from kokoro_mcp.text.characters import is_cjk
from kokoro_mcp.text.rules import Rule, apply_rules

logger = logging.getLogger(__name__)

_ABBREVIATION_TABLE = [
    (r"\+/-|\+-(?=\d)", "plus or minus "),
    (r"\b[Ee]\.\s?g\.(?:,(?=\s))?", "for example,"),
    (r"\b[Ii]\.\s?e\.(?:,(?=\s))?", "that is,"),
    (r"\b[Aa]\.k\.a\.?(?!\w)", "also known as"),
    (r"\b[Vv]s\.?(?=\s)", "versus"),
    (r"\b[Aa]pprox\.?(?=\s)", "approximately"),
    (r"\b[Cc]f\.(?=\s)", "compare"),
    (r"\b[Ii]ncl\.(?=\s)", "including"),
    (r"\b[Ww]/o(?=\s)", "without"),
    (r"\b[Ww]/(?=\s)", "with"),
    (r"\bN[Oo]\.\s?(?=\d)", "number "),
    (r"\bTL;\s?DR\b", "T L D R"),
    (r"\b24/7(?!\d)", "24 7"),
    (r"\bC#(?!\w)", "C sharp"),
    (r"\bF#(?!\w)", "F sharp"),
    (r"\bC\+\+(?!\w)", "C plus plus"),
    (r"\bYoY\b", "year over year"),
    (r"\bMoM\b", "month over month"),
    (r"\bQoQ\b", "quarter over quarter"),
]
# One pass for all of them: group `a<i>` matched -> replacement i.
_ABBREVIATION = re.compile(
    "|".join(f"(?P<a{i}>{p})" for i, (p, _) in enumerate(_ABBREVIATION_TABLE))
)
# "etc." keeps its period only where it ends the sentence.
_ETC = re.compile(r"\betc\.(?=(\s+[A-Z]|\s*$)?)")

_OPERATOR_WORDS = {
    "<->": " and ",
    "<=>": " and ",
    "↔": " and ",
    "⇔": " and ",
    "-->": " to ",
    "->": " to ",
    "→": " to ",
    "⟶": " to ",
    "=>": " to ",
    "⇒": " to ",
    "⟹": " to ",
    "➜": " to ",
    "➔": " to ",
    "<-": " from ",
    "←": " from ",
    "===": " equals ",
    "+=": " plus equals ",
    "-=": " minus equals ",
    "*=": " times equals ",
    "++": " plus plus ",
    "==": " equals ",
    "!==": " is not equal to ",
    "!=": " is not equal to ",
    "≠": " is not equal to ",
    "<=": " at most ",
    "≤": " at most ",
    ">=": " at least ",
    "≥": " at least ",
    "&&": " and ",
    "||": " or ",
    "±": " plus or minus ",
    "=": " equals ",
    "&": " and ",
    "÷": " divided by ",
    "↑": " up ",
    "↓": " down ",
    "•": ", ",
    "·": ", ",
    "‰": " per mille ",
    "©": " copyright ",
}
# Longest first, so "<=>" wins over "<=" and "===" over "==".
_OPERATOR = re.compile(
    r"\s?("
    + "|".join(re.escape(op) for op in sorted(_OPERATOR_WORDS, key=len, reverse=True))
    + r")\s?"
)


def _say_operator(match: re.Match[str]) -> str:
    words = _OPERATOR_WORDS[match.group(1)]
    # "a ≥ b" compares: "a is at least b"; "bump to >=1.18" is a bound: "at least 1.18".
    spaced = match.group()[:1].isspace() and match.group()[-1:].isspace()
    return f" is{words}" if spaced and words in (" at least ", " at most ") else words


def _say_flag(match: re.Match[str]) -> str:
    """Command-line flags as a person reads them: "-v" -> "dash v"."""
    return "dash dash " if match.group() == "--" else "dash "


_GENERIC = re.compile(r"(?<=\w)<([A-Za-z_][\w, .]{0,60}?)>")
# Marks with no spoken form ("$" only where no amount follows).
_MARKS = re.compile(r"[\[\]{}<>|\\^*#_~`]+|\$(?![\d.])")

_SYMBOLS: list[Rule] = [
    (tuple(_OPERATOR_WORDS), _OPERATOR, _say_operator),
    # Generics: "Promise<User>" -> "Promise of User", "Map<K, V>" -> "Map of K, V".
    # Twice on purpose: no brackets may stand inside, so the first pass says the innermost
    # generic and the second the one around it ("Map<K, List<V>>" -> "Map of K, List of V").
    (("<",), _GENERIC, r" of \1"),
    (("<",), _GENERIC, r" of \1"),
    (("<",), re.compile(r"(?<=\s)<(?=\s)|(?<=\w)<(?=\w)"), " less than "),
    ((">",), re.compile(r"(?<=\s)>(?=\s)|(?<=\w)>(?=\w)"), " greater than "),
    (("+",), re.compile(r"(?<=[\w)])\s?\+\s?(?=[\w(])|(?<=\s)\+(?=\s)"), " plus "),
    (("+",), re.compile(r"(?<=[\w)])\s?\+"), " plus"),
    (("*", "×"), re.compile(r"(?<=[\d)])\s?[*×]\s?(?=[\d(])|(?<=\s)[*×](?=\s)"), " times "),
    (("@",), re.compile(r"(?<!\w)@(?=\w)|(?<=\s)@(?=\s)"), "at "),
    ((":",), re.compile(r"(?<=[A-Za-z0-9]):(?=[A-Za-z0-9])"), " "),
    (("#",), re.compile(r"(?<![\w&])#(?=\d)"), "number "),
    (("-",), re.compile(r"(?<!\S)--?(?=[A-Za-z])"), _say_flag),
    (("O(",), re.compile(r"\bO\(([^()\n]{1,30})\)"), r"O of \1"),  # big-O: "O(n log n)"
    (("(s)",), re.compile(r"(?<=\w)\(s\)"), "s"),  # "file(s)"
    (("(",), re.compile(r"(?<=\w)\((?=\S)"), " ("),
    (("§",), re.compile(r"§\s?"), "section "),
    (("¶",), re.compile(r"¶\s?"), "paragraph "),
    (("::",), re.compile(r"::"), " "),
    (("()", "[", "{", "<"), re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|<\s*>"), ""),
    (tuple("[]{}<>|\\^*#_~`$"), _MARKS, " "),
    (("/",), re.compile(r"/"), " "),
    (("«", "»"), re.compile(r"[«»]"), '"'),
]

_DASHES = ("-", "–", "—")
_DASH = re.compile(r"\s+(?:-{1,3}|–|—)\s+|(?<=\w)—(?=\w)|(?<=\w)--(?=\w)")
_ELLIPSIS = re.compile(r"\.{3,}|…+|(?:\.\s){2,}\.")
_REPEATED = re.compile(r"[!?]*\?[!?]*|[!,;:]{2,}|(?<!\.)\.\.(?!\.)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[,.!?;:…)\]])")
_SPACE_AFTER_OPEN = re.compile(r"(?<=[(\[])\s+")
_GLUED_ELLIPSIS = re.compile(r"…(?=\w)")
_STACKED_PUNCT = re.compile(r"([,;:—])(?:\s*[,;:—])+|[,;:—]\s*(?=[.!?…])|([.!?])[.,;:]+")
_EMPTY_PARENS = re.compile(r"\(\s*[,.;:]?\s*\)")
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_MARKS = ".!?…。！？"
_CLOSERS = "\"')]”’»"

_TIDY: list[Rule] = [
    ((".", "…"), _ELLIPSIS, "…"),
    (tuple("!?,;:."), _REPEATED, lambda m: "?" if "?" in m.group() else m.group()[0]),
    ((" ", "\n"), _WHITESPACE, " "),
    ((" ",), _SPACE_BEFORE_PUNCT, ""),
    ((" ",), _SPACE_AFTER_OPEN, ""),
    (("(",), _EMPTY_PARENS, ""),
    (("…",), _GLUED_ELLIPSIS, "… "),
    (tuple(",;:—"), _STACKED_PUNCT, lambda m: m.group(1) or m.group(2) or ""),
    (("  ",), _WHITESPACE, " "),
]


def say_abbreviations(text: str) -> str:
    """Expand the abbreviations that would confuse sentence splitting or the G2P."""
    text = _ABBREVIATION.sub(lambda m: _ABBREVIATION_TABLE[int(str(m.lastgroup)[1:])][1], text)
    if "etc." in text:
        text = _ETC.sub(lambda m: "et cetera." if m.group(1) is not None else "et cetera", text)
    return text


def drop_marks(text: str) -> str:
    """Language-neutral: marks with no spoken form become spaces; no words are added."""
    return _MARKS.sub(" ", text)


def say_symbols(text: str) -> str:
    """Operators and arrows to words; marks with no spoken form to spaces."""
    if any(dash in text for dash in _DASHES):
        text = _DASH.sub(" — ", text)
    return apply_rules(text, _SYMBOLS)


def tidy_punctuation(text: str) -> str:
    """One mark where there were many; no stray spaces around marks; collapsed spaces."""
    return apply_rules(text, _TIDY).strip().lstrip(",;:— ")


def end_sentence(text: str, *, keep_colon: bool = False) -> str:
    """Make sure a block ends with a sentence mark, so the model's prosody falls.

    With `keep_colon`, a block that introduces what follows ("Here's the plan:") keeps its
    colon: the pause without a final fall is what a reader does before a list.
    """
    core = text.rstrip(_CLOSERS)
    if not core:
        return text
    if core[-1] in _SENTENCE_MARKS or (keep_colon and core[-1] == ":" and core == text):
        return text
    if core[-1] in ",;:—-" and core == text:
        return core[:-1].rstrip() + "."
    return text + ("。" if is_cjk(core[-1]) else ".")
