"""Find the daemon, or start it: exactly one, even when many clients start at once.

Clients take `launch.lock` while they check and start; the daemon holds `daemon.lock` for its
whole life, so a second daemon (say, one launched while an older one retires) waits its turn
and two daemons never play at once. A socket left by a killed daemon answers ECONNREFUSED;
the new daemon, holding `daemon.lock`, knows it is stale and replaces it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kokoro_mcp.ipc import lock
from kokoro_mcp.ipc.connection import Connection, DaemonNotRunning
from kokoro_mcp.ipc.paths import (
    ensure_runtime_dir,
    launch_lock_path,
    log_dir,
    log_path,
    socket_path,
)
from kokoro_mcp.ipc.protocol import PACKAGE_VERSION, DaemonError, DaemonGoneError, compatible

LAUNCH_TIMEOUT_ENV = "KOKORO_MCP_LAUNCH_TIMEOUT"
DEFAULT_LAUNCH_TIMEOUT = 60.0
POLL_SECONDS = 0.05
MAX_LOG_BYTES = 5 * 1024 * 1024  # rotated to daemon.log.1 at launch beyond this

Announce = Callable[[str], None]


def launch_timeout(environ: Mapping[str, str] | None = None) -> float:
    """KOKORO_MCP_LAUNCH_TIMEOUT in seconds (1..600), default 60."""
    raw = (os.environ if environ is None else environ).get(LAUNCH_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LAUNCH_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 600:  # also false for NaN
        raise DaemonError(
            f"{LAUNCH_TIMEOUT_ENV}={raw!r} is not usable; give seconds from 1 to 600 (default 60)"
        )
    return value


def connect(
    *,
    client: str,
    kind: str,
    settings: dict[str, Any] | None = None,
    daemon_args: Sequence[str] = (),
    launch: bool = True,
    timeout: float | None = None,
    announce: Announce | None = None,
) -> Connection:
    """A connection to a compatible daemon, starting one if needed (when `launch`).

    Raises DaemonNotRunning when there is none and `launch` is false; DaemonError, naming the
    log file, when one cannot be started within `timeout` (KOKORO_MCP_LAUNCH_TIMEOUT)."""
    path = socket_path()

    def attempt() -> Connection | None:
        connection = Connection.open(path, client=client, kind=kind, settings=settings)
        if compatible(connection.hello):
            return connection
        _retire(connection, announce)
        return None

    try:
        connection = attempt()
        if connection is not None:
            return connection
    except (DaemonNotRunning, DaemonGoneError):
        # Gone: a daemon dying right now resets connections still waiting in its listen queue
        # (reset, not refused). To a client that may start one, that is the same as none.
        if not launch:
            raise
    limit = launch_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    ensure_runtime_dir()
    with _locked(launch_lock_path(), deadline):
        with contextlib.suppress(DaemonNotRunning, DaemonGoneError):  # another may have started it
            connection = attempt()
            if connection is not None:
                return connection
        process = _spawn(daemon_args)
        if announce is not None:
            announce(f"starting the speech daemon (log: {log_path()})")
        while True:
            with contextlib.suppress(DaemonNotRunning, DaemonGoneError):
                connection = attempt()
                if connection is not None:
                    return connection
            code = process.poll()
            if code is not None:
                raise DaemonError(
                    f"the speech daemon exited while starting (code {code}): {_last_log_line()}"
                    f" Full log: {log_path()}"
                )
            if time.monotonic() >= deadline:
                raise DaemonError(
                    f"the speech daemon did not start within {limit:.0f} s"
                    f" ({LAUNCH_TIMEOUT_ENV}); see its log: {log_path()}"
                )
            time.sleep(POLL_SECONDS)


def _retire(connection: Connection, announce: Announce | None) -> None:
    """Ask a daemon from another release to leave once idle; a new one takes over after."""
    theirs = connection.hello.get("version")
    if announce is not None:
        announce(
            f"the running speech daemon is version {theirs}, this client {PACKAGE_VERSION};"
            " asking it to exit when idle and starting a new one"
        )
    try:
        connection.call("retire", timeout=5.0)
    except DaemonError:
        pass  # it is leaving anyway, or too old to understand: the lock keeps them apart
    finally:
        connection.close()


# -P (Python 3.11+): the client's working folder is not put on the daemon's path, so a folder
# holding a `kokoro_mcp` directory (a checkout) cannot stand in for the installed package.
SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []


def _spawn(daemon_args: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start `python -m kokoro_mcp daemon` detached: own session, stdio to the log file."""
    log = log_path()
    log_dir().mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if log.stat().st_size > MAX_LOG_BYTES:
            log.replace(log.with_name(log.name + ".1"))
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, *SAFE_PATH, "-m", "kokoro_mcp", "daemon", "--launched", *daemon_args],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            close_fds=True,
        )


def _last_log_line() -> str:
    try:
        with open(log_path(), "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 4096))
            lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line]
    except OSError:
        return "(no log written)."
    return lines[-1].strip() if lines else "(the log is empty)."


@contextlib.contextmanager
def _locked(path: Path, deadline: float) -> Iterator[None]:
    """The launch lock, waiting until `deadline` at most."""
    fd = lock.acquire(path, deadline)
    if fd is None:
        raise DaemonError(
            f"another client has been starting the daemon for too long ({path}); see {log_path()}"
        )
    try:
        yield
    finally:
        os.close(fd)  # releases the lock
