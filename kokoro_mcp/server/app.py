"""Assemble the MCP server: tools with titles, annotations and descriptions, the voices
resource, the instructions, and a lifespan that starts and stops the Speaker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from kokoro_mcp import __version__
from kokoro_mcp.config import Settings
from kokoro_mcp.server import texts
from kokoro_mcp.server.runtime import SpeakerHost
from kokoro_mcp.server.tools import SpeechTools

SERVER_NAME = "kokoro-mcp"
VOICES_URI = "kokoro://voices"


def _annotations(
    title: str, *, read_only: bool = False, idempotent: bool = False
) -> ToolAnnotations:
    # Nothing here deletes data or reaches beyond this machine.
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=False,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def build_server(settings: Settings, host: SpeakerHost) -> MCPServer[Any]:
    """The MCP server over `host`; starting it (lifespan) starts the Speaker in the background."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        # Runs once the stdio transport owns fd 1, so anything the backend prints while
        # importing or loading is already diverted away from the protocol stream.
        host.start()
        try:
            yield None
        finally:
            host.close()

    async def start_speech_after_handshake(
        ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # Anything after `initialize` (normally notifications/initialized) releases the
        # background start, so importing the backend never competes with the handshake.
        if ctx.method != "initialize":
            host.proceed()
        return await call_next(ctx)

    app: MCPServer[Any] = MCPServer(
        name=SERVER_NAME,
        title="Kokoro speech",
        description="Local text-to-speech (Kokoro-82M) on the user's speakers.",
        instructions=texts.INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        middleware=[start_speech_after_handshake],
    )
    tools = SpeechTools(settings, host)
    app.add_tool(
        tools.speak,
        name="speak",
        title="Speak aloud",
        description=texts.speak_description(settings.mode),
        annotations=_annotations("Speak aloud"),
    )
    app.add_tool(
        tools.pause,
        name="pause",
        title="Pause speech",
        description=texts.PAUSE,
        annotations=_annotations("Pause speech", idempotent=True),
    )
    app.add_tool(
        tools.resume,
        name="resume",
        title="Resume speech",
        description=texts.RESUME,
        annotations=_annotations("Resume speech", idempotent=True),
    )
    app.add_tool(
        tools.stop,
        name="stop",
        title="Stop speech",
        description=texts.STOP,
        annotations=_annotations("Stop speech", idempotent=True),
    )
    app.add_tool(
        tools.status,
        name="status",
        title="Speech status",
        description=texts.STATUS,
        annotations=_annotations("Speech status", read_only=True, idempotent=True),
    )
    app.add_tool(
        tools.list_voices,
        name="list_voices",
        title="List voices",
        description=texts.LIST_VOICES,
        annotations=_annotations("List voices", read_only=True, idempotent=True),
    )
    app.resource(
        VOICES_URI,
        name="voices",
        title="Voices",
        description=texts.VOICES_RESOURCE,
        mime_type="application/json",
    )(tools.voices_json)
    return app
