"""A blocking client connection to the daemon (for `kk`, hooks and the launcher)."""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import selectors
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from kokoro_mcp.ipc.protocol import (
    MAX_RESPONSE_BYTES,
    DaemonError,
    DaemonGoneError,
    Message,
    ProtocolError,
    decode,
    encode,
    error_from_wire,
    hello_request,
)

# The daemon isn't there: no socket file, or a stale one nobody listens on.
NOT_RUNNING_ERRNOS = frozenset({errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK})

EventHandler = Callable[[Message], None]


class DaemonNotRunning(DaemonError):
    """Nothing listens on the daemon's socket."""


class Connection:
    """One socket to the daemon, after `hello`. Requests may overlap; answers match by id."""

    def __init__(self, sock: socket.socket, hello: Message) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._ids = itertools.count(1)
        self.hello = hello  # the daemon's hello result: versions, pid, settings notes
        self.closing_reason: str | None = None  # set when the daemon said it is leaving

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        client: str,
        kind: str,
        settings: dict[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> Connection:
        """Connect and shake hands; DaemonNotRunning when nobody listens at `path`."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except OSError as error:
            sock.close()
            if error.errno in NOT_RUNNING_ERRNOS:
                raise DaemonNotRunning(f"no daemon is listening at {path}") from None
            raise DaemonError(f"cannot connect to the daemon at {path}: {error.strerror}") from None
        connection = cls(sock, {})
        try:
            connection._send(hello_request(client, kind, settings))
            connection.hello = connection._answer(0, timeout=timeout)
        except BaseException:
            connection.close()
            raise
        return connection

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()

    def detach(self) -> tuple[socket.socket, bytes]:
        """Hand the socket (and any bytes read past the hello) to an async owner."""
        leftover = bytes(self._buffer)
        self._buffer.clear()
        self._sock.settimeout(None)
        return self._sock, leftover

    # -- requests ----------------------------------------------------------------------------

    def send(self, op: str, **arguments: Any) -> int:
        """Send a request without waiting; returns its id."""
        request_id = next(self._ids)
        self._send({"id": request_id, "op": op, **arguments})
        return request_id

    def call(
        self,
        op: str,
        *,
        timeout: float | None = 30.0,
        on_event: EventHandler | None = None,
        **arguments: Any,
    ) -> Any:
        """Send a request and return its result (raising the daemon's error)."""
        return self._answer(self.send(op, **arguments), timeout=timeout, on_event=on_event)

    def _send(self, message: Message) -> None:
        try:
            self._sock.sendall(encode(message))
        except OSError as error:
            raise DaemonGoneError(f"the daemon closed the connection ({error.strerror})") from None

    def _answer(
        self, request_id: int, *, timeout: float | None, on_event: EventHandler | None = None
    ) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            message = self.read(remaining)
            if message is None:
                raise DaemonError(f"the daemon did not answer within {timeout:.0f} s")
            if message.get("id") != request_id:
                if on_event is not None:
                    on_event(message)
                continue
            if "event" in message:
                if on_event is not None:
                    on_event(message)
                continue
            if message.get("ok") is True:
                return message.get("result")
            raise error_from_wire(message.get("error"))

    # -- reading -----------------------------------------------------------------------------

    def read(self, timeout: float | None) -> Message | None:
        """The next message, or None when `timeout` passes first. A `closing` notice is
        remembered and reported as DaemonGoneError once the socket closes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                message = decode(line)
                if message.get("event") == "closing" and "id" not in message:
                    self.closing_reason = str(message.get("reason") or "closing")
                    continue
                return message
            if len(self._buffer) > MAX_RESPONSE_BYTES:
                raise ProtocolError("the daemon sent a line longer than the protocol allows")
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._wait_readable(remaining):
                return None
            try:
                data = self._sock.recv(65536)
            except OSError as error:
                raise DaemonGoneError(
                    f"the connection to the daemon broke ({error.strerror})"
                ) from None
            if not data:
                reason = self.closing_reason
                raise DaemonGoneError(
                    f"the daemon closed the connection ({reason})"
                    if reason
                    else "the speech daemon stopped unexpectedly"
                )
            self._buffer.extend(data)

    def _wait_readable(self, timeout: float | None) -> bool:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            return bool(selector.select(timeout))
