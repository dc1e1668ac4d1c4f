"""One long-lived thread for every MLX call, with stdout diverted to stderr while it works.

MLX streams are thread-local (mlx >= 0.31): arrays made on one thread's stream can't be used
from another. Whatever thread the Speaker loads or synthesizes on, the MlxEngine hands each
MLX call to this thread, so the model, voices and inference always share one stream.
mlx-audio prints while it works; stdout is the JSON-RPC wire in the server, so fd 1 points at
stderr for the duration of each call (fd level: Python prints and native printf alike).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from kokoro_mcp.stdout_guard import StdoutGuard

logger = logging.getLogger(__name__)

T = TypeVar("T")


class MlxThread:
    """Runs callables one at a time on a single dedicated thread and returns their result."""

    def __init__(self, name: str = "kokoro-mlx") -> None:
        self._ident: int | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name, initializer=self._remember_thread
        )

    def _remember_thread(self) -> None:
        self._ident = threading.get_ident()

    @property
    def ident(self) -> int | None:
        """The worker thread's id once it has run something (for checks and logs)."""
        return self._ident

    def run(self, function: Callable[[], T]) -> T:
        """Call `function()` on the MLX thread; exceptions propagate to the caller."""
        if threading.get_ident() == self._ident:
            return _quiet(function)  # already on the MLX thread: calling through would deadlock
        return self._executor.submit(_quiet, function).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _quiet(function: Callable[[], T]) -> T:
    with StdoutGuard():
        return function()
