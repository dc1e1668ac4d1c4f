"""The MCP tools: one dispatcher from a tool name and its raw arguments to a SpeechBackend call.

Both fronts call it (the SDK's in sdk_front.py, the proxy's own in proxy_front.py), so a tool
is added here and in the catalog, nowhere else. Arguments are checked against
kokoro_mcp/arguments.py first; a bad one raises InvalidInputError with the sentence to show.

Nothing here blocks the event loop: waiting (for the model, or for playback with wait=true)
is an await, so `stop` or `status` are served while a `speak` is in flight.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from pydantic import BaseModel

from kokoro_mcp.arguments import TOOL_ARGUMENTS, check_arguments, unknown_tool
from kokoro_mcp.config import Settings
from kokoro_mcp.results import VoiceList
from kokoro_mcp.server.backends import Action, Manners, SpeechBackend

# played chunks, total chunks (None until known), message
ReportProgress = Callable[[int, int | None, str], Awaitable[None]]


class SpeechTools:
    """One instance per server, over its backend and the client's settings."""

    def __init__(self, settings: Settings, backend: SpeechBackend) -> None:
        self.settings = settings
        self.backend = backend

    async def call(
        self, name: Any, arguments: Any, progress: ReportProgress | None = None
    ) -> BaseModel:
        """Run tool `name`; `progress` is told about each chunk played (speak with wait)."""
        if not isinstance(name, str) or name not in TOOL_ARGUMENTS:
            raise unknown_tool(name)
        checked = check_arguments(name, arguments)
        if name == "speak":
            return await self.backend.speak(
                checked["text"],
                voice=checked["voice"] or self.settings.voice,
                speed=self.settings.speed if checked["speed"] is None else checked["speed"],
                mode=checked["mode"] or self.settings.mode,
                wait=checked["wait"],
                progress=progress if checked["wait"] else None,
                manners=Manners(checked["priority"], checked["ttl"], checked["replace"]),
            )
        if name == "save_speech":
            return await self.backend.save_speech(
                checked["text"],
                file_name=checked["file_name"],
                voice=checked["voice"] or self.settings.voice,
                speed=self.settings.speed if checked["speed"] is None else checked["speed"],
                overwrite=checked["overwrite"],
            )
        if name in ("pause", "resume", "stop"):
            return await self.backend.control(cast(Action, name))
        if name == "status":
            return await self.backend.status()
        if name == "list_voices":
            return await self.voice_list()
        raise unknown_tool(name)

    async def voice_list(self) -> VoiceList:
        return await self.backend.voices()

    async def voices_json(self) -> str:
        """The voices resource body."""
        return (await self.voice_list()).model_dump_json(indent=2)
