"""Speech requests, answered the same way for every caller and every transport.

The MCP tools (in-process with --no-daemon) and the daemon's socket both call this one object,
so results, errors and the shared-voice policy cannot drift between them. Waiting (for the model,
or for playback with wait=true) is an async poll: `stop` and `status` are served meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import anyio

from kokoro_mcp.config import CodeBlocks, Mode, Priority, Settings
from kokoro_mcp.daemon.host import SpeakerHost
from kokoro_mcp.errors import InvalidInputError, KokoroError
from kokoro_mcp.limits import MAX_TEXT_CHARS, validate_speed
from kokoro_mcp.results import (
    AudioState,
    ClientQueue,
    ControlResult,
    Defaults,
    DroppedSpeech,
    ModelStatus,
    PlayerState,
    QueuedSpeech,
    SaveResult,
    SpeakResult,
    StatusResult,
    Voice,
    VoiceList,
)
from kokoro_mcp.speaker_types import FINAL_STATES, LOCAL_OWNER, check_manners
from kokoro_mcp.speech_files import check_file_name, output_dir, prepare_folder, save_target
from kokoro_mcp.voice_blend import canonical_voice

if TYPE_CHECKING:
    from kokoro_mcp.speaker import Speaker, SpeakerStatus, Utterance

logger = logging.getLogger(__name__)

FOLLOW_POLL_SECONDS = 0.02
VOICES_WAIT_SECONDS = 30.0
QUEUED_FIELDS = set(QueuedSpeech.model_fields)  # what status shows of a waiting utterance

# played chunks, total chunks (None until known), message
Progress = Callable[[int, int | None, str], Awaitable[None]]


@dataclass(frozen=True)
class Caller:
    """Who is asking: `owner` decides whose speech an interrupt replaces, `client` is shown."""

    owner: str = LOCAL_OWNER
    client: str = LOCAL_OWNER


def check_text(text: str) -> None:
    """Reject text no one should hear, with a message that says what to send instead."""
    if not text.strip():
        raise InvalidInputError("text is empty: pass the words to say, e.g. text='Build finished.'")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
            " (about 20 minutes of speech). Speak a short summary of one to three"
            " sentences instead of a whole document."
        )


class SpeechService:
    """The request API over one SpeakerHost."""

    def __init__(self, settings: Settings, host: SpeakerHost) -> None:
        self.settings = settings
        self.host = host
        self._stops = 0  # bumped by every stop, so speaks still waiting for the model drop out
        self._waiting = 0  # speaks waiting for the model right now
        self._following = 0  # speaks with wait=true following playback right now
        self._rendering = 0  # save_speech requests in progress
        self._render_lock = anyio.Lock()
        self.last_request = time.monotonic()

    # -- speak -------------------------------------------------------------------------------

    async def speak(
        self,
        caller: Caller,
        text: str,
        *,
        voice: str,
        speed: float,
        mode: Mode,
        wait: bool = False,
        code_blocks: CodeBlocks | None = None,
        progress: Progress | None = None,
        priority: Priority = "normal",
        ttl: float | None = None,
        replace: str | None = None,
    ) -> SpeakResult:
        """Speak for `caller`; with `wait`, return when playback ends (cancelling the awaiting
        task stops the speech). A dropped utterance (low priority while busy, ttl, replace)
        answers with state "dropped" and the reason. Raises KokoroError with a message that
        says what to change."""
        asked_at = self.last_request = time.monotonic()
        check_text(text)
        check_manners(priority, ttl, replace)
        voice = canonical_voice(voice)  # a malformed blend fails before waiting for the model
        stops = self._stops
        self._waiting += 1
        try:
            speaker = await self.host.ready_speaker(self.settings.load_timeout)
        finally:
            self._waiting -= 1
        if self._stops != stops:
            # `stop` arrived while this request waited for the model: honour it.
            return SpeakResult(
                state="stopped", id=None, voice=voice, speed=speed, mode=mode,
                characters=len(text), priority=priority, ttl=ttl, replace=replace,
            )  # fmt: skip
        utterance = speaker.speak(
            text,
            voice=voice,
            speed=speed,
            mode=mode,
            owner=caller.owner,
            client=caller.client,
            code_blocks=code_blocks,
            priority=priority,
            ttl=ttl,
            replace=replace,
            asked_at=asked_at,  # the ttl includes any wait for the model
        )
        if utterance.state == "dropped":
            return _speak_result(utterance, "dropped")
        if not wait:
            return _speak_result(utterance, "accepted")
        self._following += 1
        try:
            return await _follow(utterance, speaker, progress)
        finally:
            self._following -= 1
            self.last_request = time.monotonic()

    # -- save_speech -------------------------------------------------------------------------

    async def save_speech(
        self,
        caller: Caller,
        text: str,
        *,
        file_name: str | None,
        voice: str,
        speed: float,
        overwrite: bool = False,
        code_blocks: CodeBlocks | None = None,
    ) -> SaveResult:
        """Render `text` to a WAV file in the speech folder, beside whatever is playing (see
        daemon/recorder.py). Name, folder and voice are checked before any synthesis;
        cancelling the awaiting task abandons the file."""
        from kokoro_mcp.daemon.recorder import live_can_spare, render_file

        self.last_request = time.monotonic()
        check_text(text)
        voice = canonical_voice(voice)
        speed = validate_speed(speed)
        name = check_file_name(file_name)
        folder = prepare_folder(output_dir(self.settings.output_dir))
        target = save_target(folder, name, overwrite)  # refused now: nothing rendered
        self._rendering += 1
        cancelled = threading.Event()
        try:
            speaker = await self.host.ready_speaker(self.settings.load_timeout)
            speaker.engine.check_voice(voice)
            async with self._render_lock:  # one file at a time: the CPU is live speech's too

                def render() -> float:
                    return render_file(
                        speaker.engine, text, target, voice=voice, speed=speed,
                        overwrite=overwrite, code_blocks=code_blocks or self.settings.code_blocks,
                        spare=live_can_spare(speaker), cancelled=cancelled,
                    )  # fmt: skip

                # Abandoned on cancellation: the flag stops the thread at its next piece.
                seconds = await anyio.to_thread.run_sync(render, abandon_on_cancel=True)
        finally:
            cancelled.set()
            self._rendering -= 1
            self.last_request = time.monotonic()
        assert target.path is not None
        logger.info("%s saved %s (%.1f s of audio)", caller.client, target.path, seconds)
        return SaveResult(
            path=str(target.path),
            uri=target.path.as_uri(),
            file_name=name,
            duration=round(seconds, 3),
            bytes=target.path.stat().st_size,
            characters=len(text),
            voice=voice,
            speed=speed,
            overwritten=target.mode is not None,
        )

    # -- pause / resume / stop ---------------------------------------------------------------

    async def pause(self) -> ControlResult:
        return self._hold_or_continue("pause")

    async def resume(self) -> ControlResult:
        return self._hold_or_continue("resume")

    def _hold_or_continue(self, action: Literal["pause", "resume"]) -> ControlResult:
        self.last_request = time.monotonic()
        speaker = self.host.speaker
        changed = False
        if speaker is not None:
            changed = speaker.pause() if action == "pause" else speaker.resume()
        message = {
            ("pause", True): "Paused; call resume to continue.",
            ("pause", False): "Nothing is playing.",
            ("resume", True): "Resumed.",
            ("resume", False): "Speech was not paused; nothing to resume.",
        }[action, changed]
        return ControlResult(action=action, changed=changed, state=self._state(), message=message)

    async def stop(self) -> ControlResult:
        self.last_request = time.monotonic()
        self._stops += 1
        speaker = self.host.speaker
        dropped = self._waiting + (speaker.stop() if speaker is not None else 0)
        message = (
            f"Stopped; {dropped} utterance{'s' if dropped != 1 else ''} dropped."
            if dropped
            else "Nothing was playing or queued."
        )
        return ControlResult(
            action="stop", changed=dropped > 0, state=self._state(), dropped=dropped,
            message=message,
        )  # fmt: skip

    def _state(self) -> PlayerState:
        speaker = self.host.speaker
        if speaker is None:
            return "error" if self.host.built else "loading"
        return speaker.status().state

    # -- status / voices ---------------------------------------------------------------------

    async def status(self, defaults: Defaults) -> StatusResult:
        speaker = self.host.speaker
        if speaker is None:
            return StatusResult(
                state="error" if self.host.built else "loading",
                model=ModelStatus(
                    engine=self.host.engine_name,
                    loaded=False,
                    loading=not self.host.built,
                    error=self.host.startup_error,
                    installing=self.host.installing,
                ),
                audio=None,
                defaults=defaults,
            )
        return status_result(speaker.status(), self.host.engine_name, defaults)

    async def voices(self, default_voice: str) -> VoiceList:
        infos = await self.host.voices(VOICES_WAIT_SECONDS)
        return VoiceList(
            default=default_voice,
            voices=[Voice.model_validate(info, from_attributes=True) for info in infos],
        )

    # -- lifetime ----------------------------------------------------------------------------

    def idle(self) -> bool:
        """Nothing to say, nothing sounding, nobody waiting for either."""
        if self._waiting or self._following or self._rendering:
            return False
        speaker = self.host.speaker
        if speaker is None:
            return self.host.built
        status = speaker.status()
        return status.current is None and status.state != "loading"


async def _follow(utterance: Utterance, speaker: Speaker, progress: Progress | None) -> SpeakResult:
    """Wait for playback to end, reporting each played chunk; cancellation stops it."""
    reported = 0
    try:
        while utterance.state not in FINAL_STATES:
            played = utterance.chunks_played
            if played > reported:
                reported = played
                await _report(progress, utterance, played)
            await anyio.sleep(FOLLOW_POLL_SECONDS)
    except anyio.get_cancelled_exc_class():
        speaker.cancel(utterance.id)
        logger.info("speak %d cancelled by its client; speech stopped", utterance.id)
        raise
    if utterance.chunks_played > reported:
        await _report(progress, utterance, utterance.chunks_played)
    if utterance.state == "failed":
        raise KokoroError(utterance.error or "speech failed; call status for details")
    ended = {"done": "finished", "dropped": "dropped"}.get(utterance.state, "stopped")
    return _speak_result(utterance, ended)  # type: ignore[arg-type]


async def _report(progress: Progress | None, utterance: Utterance, played: int) -> None:
    if progress is None:
        return
    total = utterance.chunks_total
    message = f"played chunk {played}" + (f" of {total}" if total is not None else "")
    try:
        await progress(played, total, message)
    except Exception as error:  # a client that went away must not fail the speech
        logger.debug("progress report failed: %r", error)


def _speak_result(
    utterance: Utterance, state: Literal["accepted", "finished", "stopped", "dropped"]
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
        priority=utterance.priority,
        ttl=utterance.ttl,
        replace=utterance.replace,
        reason=utterance.reason,
    )


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def status_result(status: SpeakerStatus, engine: str, defaults: Defaults) -> StatusResult:
    current = status.current
    audio = status.audio
    now = time.monotonic()
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
        current=current,  # the Speaker's own snapshot: preview and rounded figures
        queue_length=status.queue_length,
        last_time_to_first_audio=_round(status.last_time_to_first_audio),
        recent_time_to_first_audio=[round(t, 3) for t in status.recent_time_to_first_audio],
        defaults=defaults,
        waiting=[ClientQueue(client=name, waiting=count) for name, count in status.waiting],
        last_failure=status.last_failure,
        # Only the waiting part of each snapshot: its progress fields mean nothing yet.
        queued=[
            QueuedSpeech.model_validate(info.model_dump(include=QUEUED_FIELDS))
            for info in status.queued
        ],
        recent_drops=[
            DroppedSpeech(
                id=drop.id, client=drop.client, text=drop.text, reason=drop.reason,
                seconds_ago=round(now - drop.at, 1),
            )
            for drop in status.recent_drops
        ],
    )  # fmt: skip
