"""`kokoro-mcp` (no command): serve MCP over stdio until stdin closes or a signal arrives.

Shutdown has one rule: the audio stops first, then the process leaves within a second. The
synthesis thread may be inside onnxruntime (loading or running the model) and cannot be
interrupted; letting the interpreter finalize around it aborts the process and a blocked stdin
read delays it. So once the audio is closed, the process ends with `os._exit`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, NoReturn

from kokoro_mcp.config import Settings
from kokoro_mcp.stdout_guard import StdoutGuard

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from kokoro_mcp.server.runtime import SpeakerHost

logger = logging.getLogger(__name__)

EXIT_OK = 0
CLOSE_TIMEOUT = 0.3  # seconds the Speaker gets to stop audio and close the device


def _quiet_sdk_logs() -> None:
    # The SDK logs every request at INFO; on stderr that buries our own messages.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("mcp", "mcp_types", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)


def exit_now(code: int) -> NoReturn:
    """Flush logs and stdio, then end the process without finalizing worker threads."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


async def _watch_signals(host: SpeakerHost) -> None:
    import anyio

    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            logger.info("%s received: stopping audio and exiting", signal.Signals(signum).name)
            host.close(timeout=CLOSE_TIMEOUT)
            exit_now(EXIT_OK)


async def _serve(app: MCPServer[Any], host: SpeakerHost, guard: StdoutGuard) -> int:
    import anyio

    from kokoro_mcp.server.transport import serve_stdio

    async with anyio.create_task_group() as group:
        if sys.platform != "win32":
            group.start_soon(_watch_signals, host)
        # Hand fd 1 back only now: the SDK's stdio transport takes it over at once and
        # points fd 1 at stderr again for the rest of the session.
        guard.release()
        await serve_stdio(app)
        logger.info("stdin closed: exiting")
        group.cancel_scope.cancel()
    return EXIT_OK


def run_server(settings: Settings, guard: StdoutGuard | None = None) -> int:
    """Serve MCP on stdin/stdout with `settings`; returns the exit code.

    Pass a `guard` installed earlier (before importing anything heavy) to cover those imports
    too; otherwise one is installed here."""
    guard = guard or StdoutGuard.install()
    host: SpeakerHost | None = None
    try:
        _quiet_sdk_logs()
        import anyio

        from kokoro_mcp.server.app import build_server
        from kokoro_mcp.server.runtime import SpeakerHost

        host = SpeakerHost(settings)
        app = build_server(settings, host)
        code = anyio.run(_serve, app, host, guard)
    finally:
        if host is not None:
            host.close(timeout=CLOSE_TIMEOUT)
        # The session is over and the SDK gave fd 1 back: divert it again, so output still
        # buffered somewhere cannot trail the last response on the wire.
        guard.engage()
    lingering = [t.name for t in threading.enumerate() if t.is_alive() and t.daemon]
    if lingering:
        logger.debug("leaving without waiting for %s", ", ".join(lingering))
        exit_now(code)
    return code
