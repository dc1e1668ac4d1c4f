"""Stdio transport: the SDK's, plus an answer for every line a client might send.

- The SDK drops an unparseable line silently, so a client that sent one waits forever.
  JSON-RPC 2.0 says to answer a parse error (-32700) or an invalid request (-32600) with
  id null; we do, and keep serving.
- A lone UTF-16 surrogate escape (`"\\ud83d"`: JavaScript clients cut strings mid-emoji) is
  legal JSON that the SDK's parser refuses, so the request itself went unanswered. Such escapes
  become U+FFFD before parsing: the request runs and the rest of the text is spoken.
- A request whose id is an object, an array, a boolean or a fraction is not a valid request;
  the SDK took it for a notification and never replied. It gets -32600 with id null.
- A served method called before `initialize` gets a message that says so, not the SDK's
  "Invalid request parameters".

Lines are read by our own reader (fd 0 diverted to the null device while serving, as the SDK
does, so child processes can't take protocol bytes); the SDK parses and dispatches them.
"""

from __future__ import annotations

import collections
import contextvars
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO, cast

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
)
from pydantic import ValidationError
from typing_extensions import Self

from kokoro_mcp.server.jsonrpc import (
    CHECKED_LINE_CHARS,
    EXEMPT_BEFORE_INITIALIZE,
    NOT_JSON,
    NOT_JSONRPC,
    bad_id_error,
    claimed_stdin,
    not_initialized,
    repaired,
)

logger = logging.getLogger(__name__)


def error_for(problem: Exception) -> ErrorData:
    """The JSON-RPC error that tells a client what was wrong with its line."""
    if isinstance(problem, ValidationError):
        errors = problem.errors()
        if errors and errors[0].get("type") == "json_invalid":
            return ErrorData(code=PARSE_ERROR, message=NOT_JSON.format(errors[0].get("msg")))
    return ErrorData(code=INVALID_REQUEST, message=NOT_JSONRPC)


class CheckedLines:
    """Reads protocol lines for the SDK, repairing lone surrogates and noting, per line, an
    error to answer instead of the SDK's reading (one entry per line, in order)."""

    def __init__(self, source: TextIO) -> None:
        self._source = source
        self.verdicts: collections.deque[ErrorData | None] = collections.deque()

    def readline(self, size: int = -1) -> str:
        line = self._source.readline(size)
        if not line:
            return line
        verdict = None
        if len(line) <= CHECKED_LINE_CHARS:
            line = repaired(line)
            problem = bad_id_error(line)
            verdict = None if problem is None else ErrorData(code=INVALID_REQUEST, message=problem)
        self.verdicts.append(verdict)
        return line

    def close(self) -> None:
        self._source.close()


class AnswerMalformed:
    """A read stream that answers transport-level garbage instead of passing it on."""

    def __init__(
        self,
        inner: ReadStream[SessionMessage | Exception],
        replies: WriteStream[SessionMessage],
        verdicts: collections.deque[ErrorData | None] | None = None,
        serves: Callable[[str], object] | None = None,
    ) -> None:
        self._inner = inner
        self._replies = replies
        self._verdicts = verdicts
        self._serves = serves  # method -> its handler (None: not served)
        self._initialize_seen = serves is None  # without a method table, leave it to the SDK

    @property
    def last_context(self) -> contextvars.Context | None:
        # The server restores the sender's context from this (see the SDK's runner).
        context: contextvars.Context | None = getattr(self._inner, "last_context", None)
        return context

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            verdict = self._verdicts.popleft() if self._verdicts else None
            if verdict is None and isinstance(item, Exception):
                verdict = error_for(item)
            if verdict is not None:
                await self._answer(None, verdict)
                continue
            assert isinstance(item, SessionMessage)
            early = self._before_initialize(item.message)
            if early is None:
                return item
            await self._answer(early[0], early[1])

    def _before_initialize(self, message: object) -> tuple[str | int, ErrorData] | None:
        if self._initialize_seen:
            return None
        if isinstance(message, JSONRPCNotification):
            if message.method == "notifications/initialized":
                self._initialize_seen = True  # a bare handshake opens the SDK's gate too
            return None
        if not isinstance(message, JSONRPCRequest):
            return None
        if message.method == "initialize":
            self._initialize_seen = True
            return None
        if message.method in EXEMPT_BEFORE_INITIALIZE or self._serves is None:
            return None
        if self._serves(message.method) is None:
            return None  # the SDK answers "Method not found"
        return message.id, ErrorData(code=INVALID_REQUEST, message=not_initialized(message.method))

    async def _answer(self, request_id: str | int | None, error: ErrorData) -> None:
        logger.warning("answered a malformed or early line on stdin: %s", error.message)
        await self._replies.send(
            SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error))
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


async def serve_stdio(app: MCPServer[Any]) -> None:
    """`app.run_stdio_async()`, with every line answered (see the module doc)."""
    # MCPServer has no public hook for its read stream; its low-level server does.
    server = app._lowlevel_server
    with claimed_stdin() as text:
        lines = CheckedLines(text)
        stdin = cast("anyio.AsyncFile[str]", anyio.wrap_file(cast(Any, lines)))
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):
            answering = AnswerMalformed(
                read_stream, write_stream, lines.verdicts, server.get_request_handler
            )
            await server.run(
                answering,
                write_stream,
                server.create_initialization_options(),
            )
