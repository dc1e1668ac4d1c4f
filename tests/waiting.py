"""Waiting in tests for a condition to hold, rather than sleeping for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_SECONDS = 0.01


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> float | None:
    """Seconds until `condition()` was true, or None if it never was within `timeout`."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start >= timeout:
            return None
        time.sleep(POLL_SECONDS)
