"""Blended style tables, mixed once per blend and kept (bounded: callers choose the weights).

A Kokoro voice is a table of style vectors (one row per phoneme count); a blend is the
weighted sum of its voices' tables, row by row, which the model takes like any other voice.
Backends hold tables in their own array type (numpy, mx.array): anything with `*` by a float
and `+` works here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from kokoro_mcp.voice_blend import parse_voice

MAX_CACHED_BLENDS = 16  # ~0.5 MB each as float32
Table = TypeVar("Table", bound=Any)


class BlendCache(Generic[Table]):
    """Canonical blend -> mixed table; a single voice goes straight to `load`."""

    def __init__(self, entries: int = MAX_CACHED_BLENDS) -> None:
        self.entries = entries
        self._tables: OrderedDict[str, Table] = OrderedDict()
        self._lock = threading.Lock()
        self.mixed = 0  # how many blends were computed (a cache hit computes none)

    def table(self, voice: str, load: Callable[[str], Table]) -> Table:
        blend = parse_voice(voice)
        if not blend.is_blend:
            return load(blend.lead)
        key = blend.canonical
        with self._lock:
            cached = self._tables.get(key)
            if cached is not None:
                self._tables.move_to_end(key)
                return cached
        mixed: Table | None = None
        for name, weight in blend.parts:
            part = load(name) * weight
            mixed = part if mixed is None else mixed + part
        assert mixed is not None
        with self._lock:
            self.mixed += 1
            self._tables[key] = mixed
            if len(self._tables) > self.entries:
                self._tables.popitem(last=False)
        return mixed
