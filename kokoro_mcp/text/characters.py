"""Character-level cleanup: line endings, control and format characters, emoji, odd spaces.

Runs first, on the raw text, so later stages only see printable text and `\\n` line breaks.
Letters of every script are kept: the G2P layer decides what it can say.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

# Terminal escape sequences (colors, cursor moves, titles) from pasted tool output.
_ANSI = re.compile(
    r"\x1b\[[0-?]{0,40}[ -/]{0,10}[@-~]|\x1b\][^\x07\x1b]{0,500}(?:\x07|\x1b\\)?|\x1b[@-_]"
)
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[\t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]")

# C0/C1 controls (but \n), format characters (soft hyphen, zero-width space, bidi marks,
# BOM, tag characters), surrogates, private use, variation selectors. ZWJ/ZWNJ (200C/200D)
# shape Arabic and Indic text, so they are only dropped where they glue emoji together.
_DROP = re.compile(
    "["
    "\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f\xad"
    "\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\ue000-\uf8ff\U000e0000-\U000e007f\U000f0000-\U0010ffff"
    "\u20e3\ufe00-\ufe0f"
    "]+"
)
_EMOJI = re.compile(
    "["
    "\u2300-\u23ff\u2460-\u24ff\u2500-\u25ff\u2600-\u27bf\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff"
    "]+"
)
_STRAY_JOINER = re.compile(r"(?<!\w)[\u200c\u200d]+|[\u200c\u200d]+(?!\w)")

# Status icons mean something in a table's cell ("✅" under "Status" is "passed"), so they
# survive the emoji pass as private-use placeholders; `say_icons` reads them in a cell and
# `drop_icons` removes them anywhere else, where they decorate a word ("✅ Done").
_ICON_WORDS = {
    "\ue001": "passed",
    "\ue002": "failed",
    "\ue003": "warning",
    "\ue004": "skipped",
    "\ue005": "pending",
    "\ue006": "in progress",
}
_ICON_CODES = {
    **dict.fromkeys("✅✔✓☑🟢🆗", "\ue001"),
    **dict.fromkeys("❌✖✗✘❎🔴⛔🚫", "\ue002"),
    **dict.fromkeys("⚠🟡🟠", "\ue003"),
    **dict.fromkeys("⏭➖", "\ue004"),
    **dict.fromkeys("⏳⌛🕒", "\ue005"),
    **dict.fromkeys("🚧🔄", "\ue006"),
}
_ICON = re.compile("[" + "".join(_ICON_CODES) + "]")
_PLACEHOLDER = re.compile("[" + "".join(_ICON_WORDS) + "]")


def clean_characters(text: str) -> str:
    """Normalize line breaks and spaces; drop control characters, format characters, emoji."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _SPACES.sub(" ", text)
    # A space, not nothing: emoji often stand in for a word ("✅Done").
    text = _DROP.sub("", text)
    text = _ICON.sub(lambda m: _ICON_CODES[m.group()], text)
    text = _EMOJI.sub(" ", text)
    return _STRAY_JOINER.sub("", text)


def is_cjk(char: str) -> bool:
    """Kana, CJK ideographs or Hangul: scripts written without spaces between words."""
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF


def say_icons(cell: str) -> str:
    """A table cell: an icon alone is its word ("passed"); beside words it is dropped."""
    if not _PLACEHOLDER.search(cell):
        return cell
    rest = _PLACEHOLDER.sub(" ", cell).strip()
    if any(ch.isalnum() for ch in rest):
        return " ".join(rest.split())
    return ", ".join(_ICON_WORDS[m.group()] for m in _PLACEHOLDER.finditer(cell))


def drop_icons(text: str) -> str:
    """Outside tables an icon decorates a word: a space, as for any emoji."""
    return _PLACEHOLDER.sub(" ", text) if _PLACEHOLDER.search(text) else text
