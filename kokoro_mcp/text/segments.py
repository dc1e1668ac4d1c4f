"""Cut raw text into pieces that parse as markdown on their own, lazily, in order.

A markdown parser looks at the whole document before it yields anything, and in Python it
takes ~3 s for 1 MB. Cutting first at blank lines outside code fences (where a block always
ends) lets the first sentence be spoken after parsing a few hundred bytes, whatever follows.
Only reference-style link definitions can reach across a cut; the inline pass reads an
unresolved `[text][ref]` as its text anyway.

Pieces grow from small to SEGMENT_CHARS, so a long reply is parsed in few calls. Where no
safe cut comes for a long while (a huge table, a megabyte on one line) the text is cut at
a line or a space anyway: the parser's cost must not grow with the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

FIRST_SEGMENT_CHARS = 256
SEGMENT_CHARS = 8_192
# Past this many times the target, cut at the next line boundary even where a block could
# go on (a huge table, a paragraph of a thousand lines): a piece of it read without
# context beats a wait that grows with the reply.
FORCED_CUT_FACTOR = 4
MIN_FORCED_CUT_CHARS = 4_096
LINE_CHARS = 16_384  # a longer line is cut at a sentence end, else a space

_FENCE = re.compile(r"[ \t]*(?:>[ \t]?)*(`{3,}|~{3,})")
_SENTENCE_GAP = re.compile(r"[.!?]\s+(?=\S)")
# A line that starts a new top-level block even without a blank line before it: a list
# item or a heading. Each is said on its own anyway, so a cut before one changes nothing.
_BLOCK_START = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]|#{1,6}[ \t]")


def _long_line_pieces(line: str) -> Iterator[str]:
    """A line over LINE_CHARS, in pieces cut after a sentence, else at a space."""
    start = 0
    while len(line) - start > LINE_CHARS:
        limit = start + LINE_CHARS
        cut = -1
        for match in _SENTENCE_GAP.finditer(line, limit - LINE_CHARS // 4, limit):
            cut = match.end()
        if cut == -1:
            cut = line.rfind(" ", start + 1, limit) + 1
        if cut <= start:
            cut = limit  # no space at all: a runaway token, shortened later
        yield line[start:cut]
        start = cut
    yield line[start:]


class Fences:
    """Tracks whether a line is inside a fenced code block, line by line."""

    def __init__(self) -> None:
        self.open = ""  # the open fence's marker, e.g. "```"

    def update(self, line: str) -> bool:
        """Feed the next line; True if it opens, closes or is inside a fence."""
        match = _FENCE.match(line)
        if self.open:
            marker = match.group(1) if match else ""
            if marker[:1] == self.open[0] and len(marker) >= len(self.open):
                self.open = ""
            return True
        if match:
            self.open = match.group(1)
            return True
        return False


def iter_segments(text: str) -> Iterator[str]:
    """Yield consecutive pieces of `text` that together are all of it, each cut where a
    markdown block ends (or forced, see the module doc)."""
    length = len(text)
    pos = 0
    start = 0
    target = FIRST_SEGMENT_CHARS
    fences = Fences()
    while pos < length:
        end = text.find("\n", pos)
        end = length if end == -1 else end + 1
        line = text[pos:end]
        if len(line) > LINE_CHARS and not fences.open:
            if pos > start:
                yield text[start:pos]
            yield from _long_line_pieces(line)
            pos = start = end
            continue
        if fences.update(line) or not _starts_block(text, end):
            pass  # never cut inside a fence, nor before what may continue a list item
        elif end - start >= target and (not line.strip() or _BLOCK_START.match(text, end)):
            yield text[start:end]
            start = end
            target = min(SEGMENT_CHARS, target * 2)
        elif end - start >= max(FORCED_CUT_FACTOR * target, MIN_FORCED_CUT_CHARS):
            yield text[start:end]
            start = end
        pos = end
    if start < length:
        yield text[start:]


def _starts_block(text: str, pos: int) -> bool:
    """True unless the line at `pos` is indented: it may continue a list item or be code."""
    return pos >= len(text) or text[pos] not in " \t"
