"""Tables as sentences: "Name: foo, size: 3 MB." per row, a status icon as its word."""

from __future__ import annotations

from collections.abc import Iterator

from kokoro_mcp.text.characters import drop_icons, say_icons

MAX_TABLE_ROWS = 8


def table_sentences(header: list[str], body: list[list[str]]) -> Iterator[str]:
    """One sentence per row (at most MAX_TABLE_ROWS), each cell named by its column."""
    # An icon heading a column names nothing ("✓"): its cells are said on their own.
    header = [" ".join(drop_icons(cell).split()) for cell in header]
    if not body:
        yield ", ".join(cell for cell in header if cell)
        return
    for row in body[:MAX_TABLE_ROWS]:
        parts = []
        for index, raw in enumerate(row):
            cell = say_icons(raw)
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
        yield f"And {hidden} more {'row' if hidden == 1 else 'rows'}"
