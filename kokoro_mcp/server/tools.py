"""The MCP tools: thin async adapters from validated arguments to the Speaker.

They never block the event loop: waiting (for the model, or for playback with wait=true)
is an async poll, so `stop` or `status` are served while a `speak` is in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kokoro_mcp.config import Settings
from kokoro_mcp.engine.base import MAX_SPEED, MIN_SPEED, VoiceInfo
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.server import texts
from kokoro_mcp.server.models import (
    AudioState,
    ControlResult,
    CurrentSpeech,
    Defaults,
    ModelStatus,
    PlayerState,
    SpeakResult,
    StatusResult,
    Voice,
    VoiceList,
)
from kokoro_mcp.server.runtime import SpeakerHost

if TYPE_CHECKING:
    from kokoro_mcp.speaker import Speaker, SpeakerStatus, Utterance

logger = logging.getLogger(__name__)

FOLLOW_POLL_SECONDS = 0.02
FINAL_STATES = frozenset({"done", "stopped", "failed"})
VOICES_WAIT_SECONDS = 30.0

SpeakMode = Literal["interrupt", "queue"]
SPEAK_ARGUMENTS = ("text", "voice", "speed", "mode", "wait")


def _voice_model(info: VoiceInfo) -> Voice:
    return Voice(
        name=info.name,
        language=info.language,
        language_name=info.language_name,
        gender=info.gender,
        supported=info.supported,
    )


def check_text(text: str) -> None:
    """Reject text no one should hear, with a message that says what to send instead."""
    if not text.strip():
        raise ToolError("text is empty: pass the words to say, e.g. text='Build finished.'")
    if len(text) > texts.MAX_TEXT_CHARS:
        raise ToolError(
            f"text is {len(text):,} characters; the limit is {texts.MAX_TEXT_CHARS:,}"
            " (about 20 minutes of speech). Speak a short summary of one to three"
            " sentences instead of a whole document."
        )


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

    def __init__(self, settings: Settings, host: SpeakerHost) -> None:
        self.settings = settings
        self.host = host
        self._stops = 0  # bumped by every stop, so speaks still waiting for the model drop out
        self._waiting = 0  # speaks waiting for the model right now

    # -- speak -------------------------------------------------------------------------------

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
        check_text(text)
        chosen_mode: SpeakMode = mode or self.settings.mode
        stops = self._stops
        self._waiting += 1
        try:
            speaker = await self._ready_speaker()
        finally:
            self._waiting -= 1
        if self._stops != stops:
            # `stop` arrived while this request waited for the model: honour it.
            return SpeakResult(
                state="stopped",
                id=None,
                voice=voice or self.settings.voice,
                speed=speed or self.settings.speed,
                mode=chosen_mode,
                characters=len(text),
            )
        try:
            utterance = speaker.speak(text, voice=voice, speed=speed, mode=chosen_mode)
        except KokoroError as error:
            raise ToolError(str(error)) from None
        if not wait:
            return self._speak_result(utterance, "accepted")
        return await self._follow(utterance, speaker, ctx)

    async def _follow(
        self, utterance: Utterance, speaker: Speaker, ctx: Context[Any, Any]
    ) -> SpeakResult:
        """Wait for playback to end, reporting each played chunk; cancellation stops it."""
        reported = 0
        try:
            while utterance.state not in FINAL_STATES:
                played = utterance.chunks_played
                if played > reported:
                    reported = played
                    await self._progress(ctx, utterance, played)
                await anyio.sleep(FOLLOW_POLL_SECONDS)
        except anyio.get_cancelled_exc_class():
            # The client cancelled the request (or the server is shutting down).
            speaker.cancel(utterance.id)
            logger.info("speak %d cancelled by the client; speech stopped", utterance.id)
            raise
        if utterance.chunks_played > reported:
            await self._progress(ctx, utterance, utterance.chunks_played)
        if utterance.state == "failed":
            raise ToolError(utterance.error or "speech failed; call status for details")
        return self._speak_result(utterance, "finished" if utterance.state == "done" else "stopped")

    @staticmethod
    async def _progress(ctx: Context[Any, Any], utterance: Utterance, played: int) -> None:
        total = utterance.chunks_total
        message = f"played chunk {played}" + (f" of {total}" if total is not None else "")
        try:
            await ctx.report_progress(played, total, message)
        except Exception as error:  # a client that went away must not fail the speech
            logger.debug("progress notification failed: %r", error)

    def _speak_result(
        self, utterance: Utterance, state: Literal["accepted", "finished", "stopped"]
    ) -> SpeakResult:
        finished = state != "accepted"
        return SpeakResult(
            state=state,
            id=utterance.id,
            voice=utterance.voice,
            speed=utterance.speed,
            mode=utterance.mode,
            characters=len(utterance.text),
            chunks=utterance.chunks_synthesized if finished else None,
            chunks_played=utterance.chunks_played if finished else None,
            time_to_first_audio=_round(utterance.time_to_first_audio),
        )

    async def _ready_speaker(self) -> Speaker:
        try:
            return await self.host.ready_speaker(self.settings.load_timeout)
        except KokoroError as error:
            raise ToolError(str(error)) from None

    # -- pause / resume / stop ---------------------------------------------------------------

    async def pause(self, ctx: Context[Any, Any]) -> ControlResult:
        reject_unknown_arguments(ctx, "pause", ())
        speaker = self.host.speaker
        changed = speaker.pause() if speaker is not None else False
        message = "Paused; call resume to continue." if changed else "Nothing is playing."
        return ControlResult(action="pause", changed=changed, state=self._state(), message=message)

    async def resume(self, ctx: Context[Any, Any]) -> ControlResult:
        reject_unknown_arguments(ctx, "resume", ())
        speaker = self.host.speaker
        changed = speaker.resume() if speaker is not None else False
        message = "Resumed." if changed else "Speech was not paused; nothing to resume."
        return ControlResult(action="resume", changed=changed, state=self._state(), message=message)

    async def stop(self, ctx: Context[Any, Any]) -> ControlResult:
        reject_unknown_arguments(ctx, "stop", ())
        self._stops += 1
        speaker = self.host.speaker
        dropped = self._waiting + (speaker.stop() if speaker is not None else 0)
        message = (
            f"Stopped; {dropped} utterance{'s' if dropped != 1 else ''} dropped."
            if dropped
            else "Nothing was playing or queued."
        )
        return ControlResult(
            action="stop",
            changed=dropped > 0,
            state=self._state(),
            dropped=dropped,
            message=message,
        )

    def _state(self) -> PlayerState:
        speaker = self.host.speaker
        if speaker is None:
            return "error" if self.host.built else "loading"
        return speaker.status().state

    # -- status / voices ---------------------------------------------------------------------

    async def status(self, ctx: Context[Any, Any]) -> StatusResult:
        reject_unknown_arguments(ctx, "status", ())
        speaker = self.host.speaker
        defaults = Defaults(
            voice=self.settings.voice, speed=self.settings.speed, mode=self.settings.mode
        )
        if speaker is None:
            error = self.host.startup_error
            return StatusResult(
                state="error" if self.host.built else "loading",
                model=ModelStatus(
                    engine=self.host.engine_name,
                    loaded=False,
                    loading=not self.host.built,
                    error=error,
                ),
                audio=None,
                defaults=defaults,
            )
        return _status_result(speaker.status(), self.host.engine_name, defaults)

    async def list_voices(self, ctx: Context[Any, Any]) -> VoiceList:
        reject_unknown_arguments(ctx, "list_voices", ())
        return await self._voice_list()

    async def voices_json(self) -> str:
        """The voices resource body."""
        return (await self._voice_list()).model_dump_json(indent=2)

    async def _voice_list(self) -> VoiceList:
        try:
            voices = await self.host.voices(VOICES_WAIT_SECONDS)
        except KokoroError as error:
            raise ToolError(str(error)) from None
        return VoiceList(default=self.settings.voice, voices=_voices(voices))


def _voices(infos: Sequence[VoiceInfo]) -> list[Voice]:
    return [_voice_model(info) for info in infos]


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _status_result(status: SpeakerStatus, engine: str, defaults: Defaults) -> StatusResult:
    current = status.current
    audio = status.audio
    return StatusResult(
        state=status.state,
        model=ModelStatus(
            engine=engine,
            loaded=status.engine_loaded,
            loading=not status.engine_loaded and status.engine_error is None,
            error=status.engine_error,
            problem=status.model_problem,
        ),
        audio=AudioState(
            device=None if audio.device is None else str(audio.device),
            ok=audio.ok,
            problem=audio.problem,
            hint=audio.hint,
            reconnects=audio.reconnects,
            latency=_round(audio.latency),
        ),
        # UtteranceInfo already carries the preview and the rounded figures.
        current=None
        if current is None
        else CurrentSpeech.model_validate(current, from_attributes=True),
        queue_length=status.queue_length,
        last_time_to_first_audio=_round(status.last_time_to_first_audio),
        recent_time_to_first_audio=[round(t, 3) for t in status.recent_time_to_first_audio],
        defaults=defaults,
    )
