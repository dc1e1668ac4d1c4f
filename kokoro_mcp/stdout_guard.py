"""Keep stdout clean for JSON-RPC: point fd 1 at stderr until the MCP transport takes it.

Libraries print at import or load time (mlx-audio prints while generating, native code writes
to its own C `stdout`). Over stdio, one stray byte before the first response glues onto it and
the client hangs. The guard works on the file descriptor, so Python prints, C `printf` and
child processes are all diverted, not just `sys.stdout`.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
from types import TracebackType

logger = logging.getLogger(__name__)

STDOUT_FD = 1
STDERR_FD = 2


def _flush_all() -> None:
    """Push buffered bytes out now, so they land where fd 1 points *at this moment*."""
    for stream in (sys.stdout, sys.__stdout__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    if os.name == "posix":
        # fflush(NULL) flushes every C stdio stream (native libraries' printf buffers).
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).fflush(None)


class StdoutGuard:
    """While installed, anything written to fd 1 goes to stderr; `release()` gives fd 1 back."""

    def __init__(self) -> None:
        self._saved_fd: int | None = None

    @property
    def active(self) -> bool:
        return self._saved_fd is not None

    @property
    def wire_fd(self) -> int | None:
        """The real stdout while guarded (for a command whose output is binary data)."""
        return self._saved_fd

    @classmethod
    def install(cls) -> StdoutGuard:
        guard = cls()
        guard.engage()
        return guard

    def engage(self) -> None:
        if self._saved_fd is not None:
            return
        try:
            saved = os.dup(STDOUT_FD)  # non-inheritable, so children never see the wire
        except OSError:
            logger.debug("fd 1 is not open; nothing to guard")
            return
        os.dup2(STDERR_FD, STDOUT_FD)
        self._saved_fd = saved
        _flush_all()  # after diverting: whatever was still buffered is noise, not protocol

    def release(self) -> None:
        """Flush what was written while guarded (to stderr), then point fd 1 at the wire again."""
        saved = self._saved_fd
        if saved is None:
            return
        _flush_all()
        os.dup2(saved, STDOUT_FD)
        os.close(saved)
        self._saved_fd = None

    def __enter__(self) -> StdoutGuard:
        self.engage()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
