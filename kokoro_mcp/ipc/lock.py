"""An exclusive `flock` on a file, waited for up to a deadline (the launch and daemon locks)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

POLL_SECONDS = 0.05


def acquire(path: Path, deadline: float) -> int | None:
    """The open file descriptor holding the lock (closing it releases the lock), or None when
    another process still holds it at `deadline` (time.monotonic())."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(POLL_SECONDS)


def holder(path: Path) -> int | None:
    """The pid a lock holder wrote into the file, if any."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
