"""Tables as sentences: "Name: foo, size: 3 MB." per row, a status icon as its word."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from kokoro_mcp.text.characters import drop_icons, say_icons

logger = logging.getLogger(__name__)

MAX_TABLE_ROWS = 8


def table_sentences(
    header: list[str], body: list[list[str]], english: bool = True
) -> Iterator[str]:
    """One sentence per row (at most MAX_TABLE_ROWS), each cell named by its column. Icons
    and "And 4 more rows" are English words: other languages drop the icons, and the cut
    rows are only logged."""
    # An icon heading a column names nothing ("✓"): its cells are said on their own.
    header = [" ".join(drop_icons(cell).split()) for cell in header]
    if not body:
        yield ", ".join(cell for cell in header if cell)
        return
    for row in body[:MAX_TABLE_ROWS]:
        parts = []
        for index, raw in enumerate(row):
            cell = say_icons(raw) if english else " ".join(drop_icons(raw).split())
            if not cell:
                continue
            name = header[index] if index < len(header) else ""
            if not any(ch.isalpha() for ch in name):
                name = ""  # "#" or "" columns: the value alone
            parts.append(f"{name}: {cell}" if name and name != cell else cell)
        if parts:
            yield ", ".join(parts)
    hidden = len(body) - MAX_TABLE_ROWS
    if hidden > 0:
        logger.info("read the first %d rows of a table of %d", MAX_TABLE_ROWS, len(body))
        if english:
            yield f"And {hidden} more {'row' if hidden == 1 else 'rows'}"
