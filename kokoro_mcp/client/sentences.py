"""Cut a growing text into pieces worth speaking now (for `kk` reading a live pipe).

An LLM's streamed answer or `tail -f` arrives a few bytes at a time. Speaking must start with
the first complete sentence, not at end of input, yet a piece should hold as much as has
arrived (prosody is better over whole sentences, and a file piped at once is one text).
So a piece is cut only when the writer pauses: at the last sentence end followed by
whitespace, or the last line end; after a longer pause, whatever is there. Never inside an
open code fence (its lines would be read as prose), and never more than `max_chars`.
"""

from __future__ import annotations

import re

from kokoro_mcp.limits import MAX_TEXT_CHARS

LINGER_SECONDS = 0.6  # a writer silent this long has finished its thought

_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s)|\n""")
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


class SentenceStream:
    """Feed text as it arrives; take the pieces that are ready."""

    def __init__(self, max_chars: int = MAX_TEXT_CHARS) -> None:
        self.max_chars = max_chars
        self._pending = ""

    @property
    def pending(self) -> str:
        return self._pending

    def feed(self, text: str) -> list[str]:
        """Add text; returns pieces only if the buffer outgrew `max_chars`."""
        self._pending += text
        pieces = []
        while len(self._pending) > self.max_chars:
            cut = self._last_boundary(self._pending[: self.max_chars]) or self.max_chars
            pieces.append(self._take(cut))
        return [piece for piece in pieces if piece.strip()]

    def ready(self, *, idle_seconds: float) -> list[str]:
        """The writer has paused this long: the pieces to speak now."""
        if not self._pending.strip():
            return []
        linger = idle_seconds >= LINGER_SECONDS
        cut = len(self._pending) if linger else self._last_boundary(self._pending)
        fences = list(_FENCE.finditer(self._pending[:cut]))
        if len(fences) % 2:  # the cut would split a code block: stop before it
            cut = fences[-1].start()
        if not cut:
            return []
        piece = self._take(cut)
        return [piece] if piece.strip() else []

    def finish(self) -> list[str]:
        """End of input: everything left."""
        piece, self._pending = self._pending, ""
        return [piece] if piece.strip() else []

    def _take(self, cut: int) -> str:
        piece, self._pending = self._pending[:cut], self._pending[cut:]
        return piece

    @staticmethod
    def _last_boundary(text: str) -> int:
        last = 0
        for match in _BOUNDARY.finditer(text):
            last = match.end()
        return last
