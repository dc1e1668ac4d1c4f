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
import contextlib
import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
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

logger = logging.getLogger(__name__)

# Lines longer than this skip the extra checks (ids, surrogates): a request carrying the
# longest accepted text is ~120 KB even with every character escaped.
CHECKED_LINE_CHARS = 1_000_000
# Answered before `initialize` as the SDK does (ping is how clients probe a server).
EXEMPT_BEFORE_INITIALIZE = frozenset({"initialize", "ping"})

# An escape sequence in a JSON string: a surrogate pair, a single \\uD800-\\uDFFF, or any
# other backslash pair (consumed whole, so an escaped backslash never starts a match).
_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|\\.",
    re.DOTALL,
)
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]")


def error_for(problem: Exception) -> ErrorData:
    """The JSON-RPC error that tells a client what was wrong with its line."""
    if isinstance(problem, ValidationError):
        errors = problem.errors()
        if errors and errors[0].get("type") == "json_invalid":
            return ErrorData(
                code=PARSE_ERROR,
                message=f"Parse error: the line is not valid JSON ({errors[0].get('msg')}). Send"
                " one JSON-RPC 2.0 message per line.",
            )
    return ErrorData(
        code=INVALID_REQUEST,
        message="Invalid Request: the line is JSON but not a JSON-RPC 2.0 message. Send an"
        ' object with "jsonrpc": "2.0", a "method", "params" as an object and an "id" for'
        " requests.",
    )


def replace_lone_surrogates(line: str) -> tuple[str, int]:
    """`line` with every unpaired \\uD800-\\uDFFF escape turned into \\uFFFD; how many."""
    if not _SURROGATE_HINT.search(line):
        return line, 0
    replaced = 0

    def one(match: re.Match[str]) -> str:
        nonlocal replaced
        escape = match.group()
        if len(escape) == 6 and escape[1] == "u":  # a surrogate without its other half
            replaced += 1
            return "\\ufffd"
        return escape

    return _ESCAPE.sub(one, line), replaced


def bad_id_error(line: str) -> ErrorData | None:
    """-32600 for a request whose id JSON-RPC 2.0 does not allow, else None."""
    if '"id"' not in line:
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None  # the SDK reports the parse error
    if not isinstance(message, dict) or "id" not in message:
        return None
    request_id = message["id"]
    if request_id is None or isinstance(request_id, str):
        return None
    if isinstance(request_id, int) and not isinstance(request_id, bool):
        return None
    if isinstance(request_id, float) and request_id.is_integer():
        return None  # 1.0: the SDK reads it as 1
    kind = {dict: "an object", list: "an array", bool: "a boolean", float: "a fraction"}
    got = kind.get(type(request_id), type(request_id).__name__)
    return ErrorData(
        code=INVALID_REQUEST,
        message=f'Invalid Request: "id" must be a string or an integer (JSON-RPC 2.0), got'
        f" {got}; the request was not run. Resend it with a string or integer id.",
    )


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
            line, replaced = replace_lone_surrogates(line)
            if replaced:
                logger.warning(
                    "replaced %d unpaired surrogate escape(s) (a string cut mid-emoji?) with"
                    " U+FFFD",
                    replaced,
                )
            verdict = bad_id_error(line)
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
        return message.id, ErrorData(
            code=INVALID_REQUEST,
            message=f"Not initialized: this session has not been initialized yet, so"
            f" {message.method} cannot run. Send an initialize request first (then the"
            " notifications/initialized notification), as every MCP client does.",
        )

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


@contextlib.contextmanager
def claimed_stdin() -> Iterator[TextIO]:
    """The protocol's stdin as text, with fd 0 pointing at the null device meanwhile (a
    child process or a library reading stdin gets EOF, not protocol bytes)."""
    if sys.platform == "win32":
        wire = os.dup(0)
    else:
        import fcntl

        wire = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        yield open(wire, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    finally:
        # The reader thread may still be blocked on `wire`: put it back, never close it.
        os.dup2(wire, 0)


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
