"""Stdio transport: the SDK's, plus a JSON-RPC error for every line that isn't a message.

The SDK drops an unparseable line silently, so a client that sent one waits forever. JSON-RPC
2.0 says to answer a parse error (-32700) or an invalid request (-32600) with id null; we do,
and keep serving.
"""

from __future__ import annotations

import contextvars
import logging
from types import TracebackType
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError
from typing_extensions import Self

logger = logging.getLogger(__name__)


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


class AnswerMalformed:
    """A read stream that answers transport-level garbage instead of passing it on."""

    def __init__(
        self,
        inner: ReadStream[SessionMessage | Exception],
        replies: WriteStream[SessionMessage],
    ) -> None:
        self._inner = inner
        self._replies = replies

    @property
    def last_context(self) -> contextvars.Context | None:
        # The server restores the sender's context from this (see the SDK's runner).
        context: contextvars.Context | None = getattr(self._inner, "last_context", None)
        return context

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            error = error_for(item)
            logger.warning("answered a malformed line on stdin: %s", error.message)
            await self._replies.send(
                SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error))
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
    """`app.run_stdio_async()`, with malformed lines answered rather than dropped."""
    # MCPServer has no public hook for its read stream; its low-level server does.
    server = app._lowlevel_server
    async with stdio_server() as (read_stream, write_stream):
        await server.run(
            AnswerMalformed(read_stream, write_stream),
            write_stream,
            server.create_initialization_options(),
        )
