"""`kokoro-mcp` (no command): serve MCP over stdio until stdin closes or a signal arrives.

By default the tools talk to the shared per-user daemon (started on demand); with --no-daemon
(KOKORO_MCP_DAEMON=0) the model and audio live in this process. Shutdown has one rule: any
audio this process owns stops first, then the process leaves within a second (see
kokoro_mcp/shutdown.py for why it ends with `os._exit`). The daemon's speech belongs to every
client, so a proxy leaving does not silence it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Literal

from kokoro_mcp.config import Settings
from kokoro_mcp.exit_codes import EXIT_OK
from kokoro_mcp.shutdown import exit_now
from kokoro_mcp.stdout_guard import STDOUT_FD, StdoutGuard

if TYPE_CHECKING:
    from kokoro_mcp.server.backends import SpeechBackend

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT = 0.3  # seconds the Speaker gets to stop audio and close the device


def _quiet_sdk_logs() -> None:
    # The SDK logs every request at INFO; on stderr that buries our own messages.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("mcp", "mcp_types", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)


async def _watch_signals(backend: SpeechBackend) -> None:
    import anyio

    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            logger.info("%s received: stopping audio and exiting", signal.Signals(signum).name)
            backend.close(CLOSE_TIMEOUT)
            exit_now(EXIT_OK)


async def _serve_sdk(settings: Settings, backend: SpeechBackend, guard: StdoutGuard) -> int:
    """The SDK's server, for the all-in-one process (--no-daemon)."""
    import anyio

    from kokoro_mcp.server.sdk_front import build_server, serve_stdio

    app = build_server(settings, backend)
    async with anyio.create_task_group() as group:
        if sys.platform != "win32":
            group.start_soon(_watch_signals, backend)
        # Hand fd 1 back only now: the SDK's stdio transport takes it over at once and
        # points fd 1 at stderr again for the rest of the session.
        guard.release()
        await serve_stdio(app)
        logger.info("stdin closed: exiting")
        group.cancel_scope.cancel()
    return EXIT_OK


async def _serve_proxy(settings: Settings, backend: SpeechBackend, guard: StdoutGuard) -> int:
    """The proxy's own small front (see proxy_front.py for why not the SDK's)."""
    import anyio

    from kokoro_mcp.server.proxy_front import serve_proxy
    from kokoro_mcp.server.tools import SpeechTools

    # fd 1 stays diverted to stderr for the whole session: only the front writes to the wire.
    wire = guard.wire_fd if guard.wire_fd is not None else STDOUT_FD
    async with anyio.create_task_group() as group:
        if sys.platform != "win32":
            group.start_soon(_watch_signals, backend)
        async with backend.running():
            await serve_proxy(SpeechTools(settings, backend), backend, wire)
        logger.info("stdin closed: exiting")
        group.cancel_scope.cancel()
    return EXIT_OK


def make_backend(settings: Settings) -> SpeechBackend:
    from kokoro_mcp.server.backends import DaemonBackend, LocalBackend

    return DaemonBackend(settings) if settings.daemon else LocalBackend(settings)


def run_server(
    settings: Settings,
    guard: StdoutGuard | None = None,
    backend: SpeechBackend | None = None,
    front: Literal["proxy", "sdk"] | None = None,
) -> int:
    """Serve MCP on stdin/stdout with `settings`; returns the exit code.

    Pass a `guard` installed earlier (before importing anything heavy) to cover those imports
    too; otherwise one is installed here. The front is the proxy's own when the daemon serves
    speech, the SDK's otherwise; `front` picks one (the tests compare the two)."""
    guard = guard or StdoutGuard.install()
    try:
        _quiet_sdk_logs()
        import anyio

        backend = backend or make_backend(settings)
        front = front or ("proxy" if settings.daemon else "sdk")
        serve = _serve_proxy if front == "proxy" else _serve_sdk
        code = anyio.run(serve, settings, backend, guard)
    finally:
        if backend is not None:
            backend.close(CLOSE_TIMEOUT)
        # The session is over and the SDK gave fd 1 back: divert it again, so output still
        # buffered somewhere cannot trail the last response on the wire.
        guard.engage()
    lingering = [t.name for t in threading.enumerate() if t.is_alive() and t.daemon]
    if lingering:
        logger.debug("leaving without waiting for %s", ", ".join(lingering))
        exit_now(code)
    return code
