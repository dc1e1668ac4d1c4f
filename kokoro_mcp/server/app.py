"""Assemble the MCP server: tools with titles, annotations and descriptions, the voices
resource, the instructions, and a lifespan that runs the speech backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from mcp_types.methods import serialize_server_result
from pydantic import BaseModel

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
    client_name,
    has_links,
    tool_error,
    tool_listing,
    tool_result,
)
from kokoro_mcp.server.tools import SpeechTools


def build_server(settings: Settings, backend: SpeechBackend) -> MCPServer[Any]:
    """The MCP server over `backend`; its lifespan runs the backend."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        # Runs once the stdio transport owns fd 1, so anything the backend prints while
        # importing or loading is already diverted away from the protocol stream.
        async with backend.running():
            yield None

    async def start_speech_after_handshake(
        ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # Anything after `initialize` (normally notifications/initialized) releases the
        # background start, so importing the backend never competes with the handshake.
        if ctx.method == "initialize":
            backend.client_name = client_name(ctx.params) or backend.client_name
        else:
            backend.proceed()
        return await call_next(ctx)

    async def tools_from_catalog(
        ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # The catalog's schemas replace what the SDK would derive from the tools' signatures,
        # so this front and the proxy's list the same tools; a call to a tool this server
        # does not have gets the catalog's sentence, not the SDK's echo of the name.
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
