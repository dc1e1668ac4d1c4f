"""The SDK front: the MCP SDK's server over the speech backend, for the all-in-one process
(`--no-daemon`), where the model's memory dwarfs the SDK's. (The daemon's thin proxies answer
MCP with their own front, proxy_front.py, which a test holds to this one's answers.)

Assembly: tools, titles, annotations and schemas from the catalog, the voices resource, the
instructions, and a lifespan that runs the backend. Arguments are checked by
kokoro_mcp/arguments.py, not by the SDK's lax coercion.

Stdio: the SDK's transport, plus an answer for every line a client might send.

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
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TextIO, cast

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    CallToolResult,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
)
from mcp_types.methods import serialize_server_result
from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from kokoro_mcp import __version__
from kokoro_mcp.arguments import TOOL_ARGUMENTS, unknown_tool
from kokoro_mcp.config import Settings
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.server import texts
from kokoro_mcp.server.backends import SpeechBackend
from kokoro_mcp.server.catalog import (
    SERVER_DESCRIPTION,
    SERVER_NAME,
    SERVER_TITLE,
    TOOLS,
    VOICES_MIME,
    VOICES_URI,
    ToolSpec,
    call_params_problem,
    client_name,
    has_links,
    tool_error,
    tool_listing,
    tool_result,
)
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
from kokoro_mcp.server.tools import SpeechTools

SDK_ERROR_PREFIX = "Error executing tool "


def build_server(settings: Settings, backend: SpeechBackend) -> MCPServer[Any]:
    """The MCP server over `backend`; its lifespan runs the backend."""

    sessions: list[Any] = []  # the client's session, once it has sent a request

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        # Runs once the stdio transport owns fd 1, so anything the backend prints while
        # importing or loading is already diverted away from the protocol stream.
        notices, pending = anyio.create_memory_object_stream[str](max_buffer_size=64)
        backend.on_log = lambda message: _offer(notices, message)
        async with backend.running(), anyio.create_task_group() as group:
            group.start_soon(_forward_log_messages, pending, sessions)
            yield None
            group.cancel_scope.cancel()

    handshake: list[bool] = []  # non-empty once `initialize` arrived

    async def start_speech_after_handshake(
        ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # Anything after `initialize` (normally notifications/initialized) releases the
        # background start, so importing the backend never competes with the handshake (and
        # a ping before it does not connect under a name the client has not given yet).
        sessions[:] = [ctx.session]
        if ctx.method == "initialize":
            backend.client_name = client_name(ctx.params) or backend.client_name
            handshake.append(True)
        elif handshake:
            backend.proceed()
        return await call_next(ctx)

    async def tools_from_catalog(
        ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # The catalog's schemas replace what the SDK would derive from the tools' signatures,
        # so this front and the proxy's list the same tools; a call to a tool this server
        # does not have gets the catalog's sentence, not the SDK's echo of the name.
        if ctx.method == "tools/call":
            problem = call_params_problem(ctx.params)
            if problem is not None:
                raise MCPError(code=INVALID_PARAMS, message=problem)
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            if name not in TOOL_ARGUMENTS:
                # Shaped for the session's protocol version, as the SDK shapes its own results.
                error = CallToolResult.model_validate(tool_error(str(unknown_tool(name))))
                return serialize_server_result(
                    "tools/call", ctx.protocol_version, error.model_dump(by_alias=True)
                )
        result = await call_next(ctx)
        if ctx.method == "tools/list" and isinstance(result, dict):
            result["tools"] = tool_listing(settings)
        if ctx.method == "tools/call" and isinstance(result, dict) and result.get("isError"):
            _unwrap_error(result)
        return result

    app: MCPServer[Any] = MCPServer(
        name=SERVER_NAME,
        title=SERVER_TITLE,
        description=SERVER_DESCRIPTION,
        instructions=texts.INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        middleware=[start_speech_after_handshake, tools_from_catalog],
    )
    tools = SpeechTools(settings, backend)
    for spec in TOOLS:
        app.add_tool(_sdk_tool(tools, spec), name=spec.name, title=spec.title)
    app.resource(
        VOICES_URI,
        name="voices",
        title="Voices",
        description=texts.VOICES_RESOURCE,
        mime_type=VOICES_MIME,
    )(tools.voices_json)
    return app


def _offer(notices: MemoryObjectSendStream[str], message: str) -> None:
    with contextlib.suppress(anyio.WouldBlock, anyio.BrokenResourceError):
        notices.send_nowait(message)  # a log line is worth less than a stalled loop


async def _forward_log_messages(
    pending: MemoryObjectReceiveStream[str], sessions: list[Any]
) -> None:
    """What the backend announces (a first run's install steps), as MCP log messages to the
    client, as the proxy's front sends them."""
    async for message in pending:
        if sessions:
            with contextlib.suppress(Exception):  # a client that went away misses nothing
                await sessions[0].send_log_message("info", message, "kokoro-mcp")


def _unwrap_error(result: dict[str, Any]) -> None:
    """Drop the SDK's "Error executing tool X: " from a tool error: our messages are whole
    sentences already, and the proxy's front sends them as they are."""
    for block in result.get("content") or ():
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, str) and text.startswith(SDK_ERROR_PREFIX):
            block["text"] = text.split(": ", 1)[1] if ": " in text else text


def _sdk_tool(tools: SpeechTools, spec: ToolSpec) -> Callable[..., Awaitable[BaseModel]]:
    """The function the SDK registers for `spec`: it takes only the context and reads the raw
    arguments from the request, so the catalog's strict checks, not the SDK's lax coercion,
    decide what is accepted."""

    async def run(ctx: Context[Any, Any]) -> BaseModel:
        params = ctx.request_context.params or {}

        async def progress(played: int, total: int | None, message: str) -> None:
            await ctx.report_progress(played, total, message)

        try:
            result = await tools.call(spec.name, params.get("arguments"), progress)
        except KokoroError as error:
            raise ToolError(str(error)) from None
        if has_links(result):
            # Content beyond the text mirror (a saved file's resource link): the catalog's own
            # result, as the proxy front sends it; the SDK still checks it against the schema.
            return CallToolResult.model_validate(tool_result(result))
        return result

    # The SDK reads the result's type from the annotation (output schema, structured result).
    run.__annotations__ = {"ctx": Context[Any, Any], "return": spec.result}
    run.__name__ = spec.name
    return run


# -- stdio ---------------------------------------------------------------------------------

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
