"""Assemble the MCP server: tools with titles, annotations and descriptions, the voices
resource, the instructions, and a lifespan that runs the speech backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from kokoro_mcp import __version__
from kokoro_mcp.config import Settings
from kokoro_mcp.server import texts
from kokoro_mcp.server.backends import SpeechBackend
from kokoro_mcp.server.tools import SpeechTools

SERVER_NAME = "kokoro-mcp"
VOICES_URI = "kokoro://voices"
MAX_CLIENT_NAME = 64


class ToolSpec(NamedTuple):
    name: str
    title: str
    description: Callable[[Settings], str]
    read_only: bool = False
    idempotent: bool = False


TOOLS = (
    ToolSpec("speak", "Speak aloud", lambda settings: texts.speak_description(settings.mode)),
    ToolSpec("pause", "Pause speech", lambda _: texts.PAUSE, idempotent=True),
    ToolSpec("resume", "Resume speech", lambda _: texts.RESUME, idempotent=True),
    ToolSpec("stop", "Stop speech", lambda _: texts.STOP, idempotent=True),
    ToolSpec("status", "Speech status", lambda _: texts.STATUS, read_only=True, idempotent=True),
    ToolSpec(
        "list_voices", "List voices", lambda _: texts.LIST_VOICES, read_only=True, idempotent=True
    ),
)


def _annotations(spec: ToolSpec) -> ToolAnnotations:
    # Nothing here deletes data or reaches beyond this machine.
    return ToolAnnotations(
        title=spec.title,
        read_only_hint=spec.read_only,
        destructive_hint=False,
        idempotent_hint=spec.idempotent,
        open_world_hint=False,
    )


def client_name(params: Any) -> str | None:
    """The MCP client's name from `initialize` (e.g. claude-ai), shown in the shared status."""
    info = params.get("clientInfo") if isinstance(params, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return "".join(ch for ch in name.strip() if ch.isprintable())[:MAX_CLIENT_NAME]


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

    app: MCPServer[Any] = MCPServer(
        name=SERVER_NAME,
        title="Kokoro speech",
        description="Local text-to-speech (Kokoro-82M) on the user's speakers.",
        instructions=texts.INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        middleware=[start_speech_after_handshake],
    )
    tools = SpeechTools(settings, backend)
    for spec in TOOLS:
        app.add_tool(
            getattr(tools, spec.name),
            name=spec.name,
            title=spec.title,
            description=spec.description(settings),
            annotations=_annotations(spec),
        )
    app.resource(
        VOICES_URI,
        name="voices",
        title="Voices",
        description=texts.VOICES_RESOURCE,
        mime_type="application/json",
    )(tools.voices_json)
    return app
