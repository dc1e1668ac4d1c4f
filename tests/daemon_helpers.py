"""A private home for a speech daemon: its own runtime folder (socket, locks) and log folder.

Tests never share the user's daemon: each gets short-lived folders (short paths: a Unix socket
path must fit in ~100 bytes), and whatever daemon a test started there is stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import TracebackType


class DaemonHome:
    """XDG_RUNTIME_DIR and XDG_STATE_HOME for one test's daemon."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kkd", dir="/tmp"))
        self.runtime = self.root / "run"
        self.state = self.root / "state"
        self.runtime.mkdir(mode=0o700)
        self.state.mkdir(mode=0o700)

    def env(self) -> dict[str, str]:
        return {"XDG_RUNTIME_DIR": str(self.runtime), "XDG_STATE_HOME": str(self.state)}

    @property
    def folder(self) -> Path:
        return self.runtime / "kokoro-mcp"

    @property
    def socket(self) -> Path:
        return self.folder / "daemon.sock"

    @property
    def log_file(self) -> Path:
        return self.state / "kokoro-mcp" / "daemon.log"

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return "(no daemon log)"

    def pid(self) -> int | None:
        """The pid written by the daemon holding the lock (None if it never ran)."""
        try:
            return int((self.folder / "daemon.lock").read_text().strip())
        except (OSError, ValueError):
            return None

    def daemon_alive(self) -> bool:
        pid = self.pid()
        return pid is not None and _alive(pid)

    def stop_daemon(self, timeout: float = 5.0) -> None:
        pid = self.pid()
        deadline = time.monotonic() + timeout
        while pid is None and self.log_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # launched but not yet holding its lock: wait for it
            pid = self.pid()
        if pid is None or not _alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> DaemonHome:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_daemon()
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
