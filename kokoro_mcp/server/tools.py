"""The MCP tools: thin async adapters from validated arguments to a SpeechBackend.

They never block the event loop: waiting (for the model, or for playback with wait=true)
is an await, so `stop` or `status` are served while a `speak` is in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kokoro_mcp.config import Settings
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.limits import MAX_SPEED, MIN_SPEED
from kokoro_mcp.results import ControlResult, SpeakResult, StatusResult, VoiceList
from kokoro_mcp.server import texts
from kokoro_mcp.server.backends import Action, SpeechBackend

logger = logging.getLogger(__name__)

SpeakMode = Literal["interrupt", "queue"]
SPEAK_ARGUMENTS = ("text", "voice", "speed", "mode", "wait")


def reject_unknown_arguments(ctx: Context[Any, Any], tool: str, allowed: Sequence[str]) -> None:
    """The SDK ignores extra arguments; a typo like `spead` must not pass silently."""
    params = ctx.request_context.params or {}
    arguments = params.get("arguments") or {}
    unknown = sorted(set(arguments) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "no arguments"
        raise ToolError(
            f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)};"
            f" {tool} accepts: {accepted}."
        )


class SpeechTools:
    """One instance per server; each public coroutine is registered as a tool."""

    def __init__(self, settings: Settings, backend: SpeechBackend) -> None:
        self.settings = settings
        self.backend = backend

    async def speak(
        self,
        text: Annotated[str, Field(description=texts.TEXT_ARG)],
        ctx: Context[Any, Any],
        voice: Annotated[str | None, Field(description=texts.VOICE_ARG)] = None,
        speed: Annotated[
            float | None, Field(ge=MIN_SPEED, le=MAX_SPEED, description=texts.SPEED_ARG)
        ] = None,
        mode: Annotated[SpeakMode | None, Field(description=texts.MODE_ARG)] = None,
        wait: Annotated[bool, Field(description=texts.WAIT_ARG)] = False,
    ) -> SpeakResult:
        reject_unknown_arguments(ctx, "speak", SPEAK_ARGUMENTS)

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
        reject_unknown_arguments(ctx, action, ())
        try:
            return await self.backend.control(action)
        except KokoroError as error:
            raise ToolError(str(error)) from None

    async def status(self, ctx: Context[Any, Any]) -> StatusResult:
        reject_unknown_arguments(ctx, "status", ())
        try:
            return await self.backend.status()
        except KokoroError as error:
            raise ToolError(str(error)) from None

    async def list_voices(self, ctx: Context[Any, Any]) -> VoiceList:
        reject_unknown_arguments(ctx, "list_voices", ())
        return await self._voice_list()

    async def voices_json(self) -> str:
        """The voices resource body."""
        return (await self._voice_list()).model_dump_json(indent=2)

    async def _voice_list(self) -> VoiceList:
        try:
            return await self.backend.voices()
        except KokoroError as error:
            raise ToolError(str(error)) from None
