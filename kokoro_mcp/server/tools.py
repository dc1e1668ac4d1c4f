"""The MCP tools: thin async adapters from validated arguments to a SpeechBackend.

Arguments are checked before they get here, against kokoro_mcp/arguments.py (see app.py), which
also gives clients their schema; the signatures only tell the SDK how to pass them on.

They never block the event loop: waiting (for the model, or for playback with wait=true)
is an await, so `stop` or `status` are served while a `speak` is in flight.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from kokoro_mcp.config import Mode, Settings
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.results import ControlResult, SpeakResult, StatusResult, VoiceList
from kokoro_mcp.server.backends import Action, SpeechBackend

logger = logging.getLogger(__name__)


class SpeechTools:
    """One instance per server; each public coroutine is registered as a tool."""

    def __init__(self, settings: Settings, backend: SpeechBackend) -> None:
        self.settings = settings
        self.backend = backend

    async def speak(
        self,
        text: str,
        ctx: Context[Any, Any],
        voice: str | None = None,
        speed: float | None = None,
        mode: Mode | None = None,
        wait: bool = False,
    ) -> SpeakResult:
        async def progress(played: int, total: int | None, message: str) -> None:
            await ctx.report_progress(played, total, message)

        try:
            return await self.backend.speak(
                text,
                voice=voice or self.settings.voice,
                speed=self.settings.speed if speed is None else speed,
                mode=mode or self.settings.mode,
                wait=wait,
                progress=progress if wait else None,
            )
        except KokoroError as error:
            raise ToolError(str(error)) from None

    async def pause(self, ctx: Context[Any, Any]) -> ControlResult:
        return await self._control(ctx, "pause")

    async def resume(self, ctx: Context[Any, Any]) -> ControlResult:
        return await self._control(ctx, "resume")

    async def stop(self, ctx: Context[Any, Any]) -> ControlResult:
        return await self._control(ctx, "stop")

    async def _control(self, ctx: Context[Any, Any], action: Action) -> ControlResult:
        try:
            return await self.backend.control(action)
        except KokoroError as error:
            raise ToolError(str(error)) from None

    async def status(self, ctx: Context[Any, Any]) -> StatusResult:
        try:
            return await self.backend.status()
        except KokoroError as error:
            raise ToolError(str(error)) from None

    async def list_voices(self, ctx: Context[Any, Any]) -> VoiceList:
        return await self._voice_list()

    async def voices_json(self) -> str:
        """The voices resource body."""
        return (await self._voice_list()).model_dump_json(indent=2)

    async def _voice_list(self) -> VoiceList:
        try:
            return await self.backend.voices()
        except KokoroError as error:
            raise ToolError(str(error)) from None
