"""`kokoro-mcp daemon`: the one speech process per user.

It holds `daemon.lock` for its whole life (so a second daemon waits or refuses), replaces a
socket left by a killed daemon, serves the socket, and leaves (audio silenced first, within a
second) on SIGTERM/SIGINT, `kk kill`, after `idle_minutes` with no request and no sound, once
idle after a newer client asked it to retire, or when its socket is deleted (say, the runtime
folder was cleaned at logout), since no client could reach it any more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

import anyio
import anyio.from_thread
import anyio.lowlevel

from kokoro_mcp.config import Settings
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.exit_codes import EXIT_OK
from kokoro_mcp.ipc import lock
from kokoro_mcp.ipc.paths import daemon_lock_path, ensure_runtime_dir, log_path, socket_path
from kokoro_mcp.shutdown import exit_now

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT = 0.3  # seconds the Speaker gets to stop audio and close the device


class DaemonRunningError(KokoroError):
    """Another daemon holds the lock."""


def run_daemon(
    settings: Settings, *, idle_minutes: float, launched: bool, lock_timeout: float = 60.0
) -> int:
    """Serve until told to leave; returns (or exits with) the exit code."""
    ensure_runtime_dir()
    lock_fd = _take_lock(daemon_lock_path(), wait=lock_timeout if launched else 0.0)
    path = socket_path()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # we hold the lock, so any socket here is a dead daemon's
    logger.info(
        "kokoro-mcp daemon %s (pid %d) serving %s; idle exit %s",
        _version(), os.getpid(), path,
        f"after {idle_minutes:g} min" if idle_minutes > 0 else "off",
    )  # fmt: skip
    try:
        anyio.run(_serve, settings, path, idle_minutes, launched)
    finally:
        _unlink_if_ours(path)
        os.close(lock_fd)
    exit_now(EXIT_OK)


def _version() -> str:
    from kokoro_mcp import __version__

    return __version__


def _take_lock(path: Path, *, wait: float) -> int:
    fd = lock.acquire(path, time.monotonic() + wait)
    if fd is None:
        pid = lock.holder(path)
        running = f" (pid {pid})" if pid else ""
        raise DaemonRunningError(
            f"a kokoro-mcp daemon is already running{running}; `kk kill` stops it"
        )
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


_socket_inode: int | None = None


def _socket_is_ours(path: Path) -> bool:
    try:
        return path.stat().st_ino == _socket_inode
    except OSError:
        return False


def _unlink_if_ours(path: Path) -> None:
    """Remove the socket only if it is still the one this process bound."""
    if _socket_is_ours(path):
        with contextlib.suppress(OSError):
            path.unlink()


async def _serve(settings: Settings, path: Path, idle_minutes: float, launched: bool) -> None:
    global _socket_inode
    from kokoro_mcp.daemon.host import SpeakerHost
    from kokoro_mcp.daemon.listener import DaemonListener
    from kokoro_mcp.daemon.service import SpeechService

    socket_listener = await anyio.create_unix_listener(path, mode=0o600)
    _socket_inode = path.stat().st_ino
    host = SpeakerHost(settings)
    host.start()
    service = SpeechService(settings, host)
    leave = anyio.Event()
    reason = ["exit"]
    retiring = anyio.Event()

    def shutdown(why: str = "exit requested") -> None:
        reason[0] = why
        leave.set()

    def retire() -> None:
        if not retiring.is_set():
            retiring.set()
            _unlink_if_ours(path)  # new clients start a new daemon, which waits for our lock

    listener = DaemonListener(
        service,
        settings,
        socket_path=str(path),
        log_path=str(log_path()) if launched else None,
        idle_minutes=idle_minutes,
        on_retire=retire,
        on_shutdown=shutdown,
    )
    loop = anyio.lowlevel.current_token()
    host.on_install_step = lambda step: anyio.from_thread.run(
        listener.broadcast_install_step, step, token=loop
    )
    host.proceed()  # nothing to wait for: load the model now

    async def accept() -> None:
        async with socket_listener:
            await socket_listener.serve(listener.handle)

    async def watch_idle() -> None:
        while not leave.is_set():
            await anyio.sleep(1.0 if idle_minutes <= 0 or idle_minutes * 60 > 20 else 0.25)
            quiet = time.monotonic() - service.last_request
            if not retiring.is_set() and not _socket_is_ours(path):
                shutdown("its socket was removed: no client can reach it")
            elif retiring.is_set() and service.idle():
                shutdown("retired: a newer kokoro-mcp took over")
            elif idle_minutes > 0 and quiet >= idle_minutes * 60 and service.idle():
                shutdown(f"idle for {idle_minutes:g} min")

    async def watch_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async for signum in signals:
                shutdown(f"{signal.Signals(signum).name} received")
                return

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(accept)
            group.start_soon(watch_idle)
            if sys.platform != "win32":
                group.start_soon(watch_signals)
            await leave.wait()
            logger.info("leaving: %s", reason[0])
            host.close(timeout=CLOSE_TIMEOUT)  # silence first
            _unlink_if_ours(path)
            await listener.broadcast_closing(reason[0])
            group.cancel_scope.cancel()
    finally:
        host.close(timeout=CLOSE_TIMEOUT)
