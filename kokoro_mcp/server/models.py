"""Structured tool results: each pydantic model becomes the tool's outputSchema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SpeakState = Literal["accepted", "finished", "stopped"]
PlayerState = Literal["idle", "loading", "playing", "paused", "error"]


class SpeakResult(BaseModel):
    """What `speak` did with the text."""

    state: SpeakState = Field(
        description="accepted: queued or playing (wait=false); finished: playback ended;"
        " stopped: ended early by stop, cancellation or newer speech"
    )
    id: int | None = Field(description="utterance id (null if stopped before it was queued)")
    voice: str
    speed: float
    mode: Literal["interrupt", "queue"]
    characters: int = Field(description="length of the text received")
    chunks: int | None = Field(
        default=None, description="audio chunks synthesized so far (all of them once finished)"
    )
    chunks_played: int | None = Field(default=None, description="audio chunks played")
    time_to_first_audio: float | None = Field(
        default=None, description="seconds from the request to the first audio, when known"
    )


class ControlResult(BaseModel):
    """Outcome of pause, resume or stop."""

    action: Literal["pause", "resume", "stop"]
    changed: bool = Field(description="false when there was nothing to act on")
    state: PlayerState = Field(description="player state after the action")
    dropped: int | None = Field(
        default=None, description="utterances stopped or removed from the queue (stop only)"
    )
    message: str


class ModelStatus(BaseModel):
    engine: str
    loaded: bool
    loading: bool
    error: str | None = None
    problem: str | None = Field(
        default=None,
        description="installed model files that differ from their manifest (checked in the"
        " background after loading), with the repair command; speech still works",
    )


class AudioState(BaseModel):
    device: str | None = Field(description="output device in use (null: system default)")
    ok: bool
    problem: str | None = None
    hint: str | None = Field(default=None, description="how to fix the problem")
    reconnects: int = 0
    latency: float | None = Field(
        default=None,
        description="seconds of audio queued at the device, as the device reports it"
        " (KOKORO_MCP_AUDIO_LATENCY asks for it)",
    )


class CurrentSpeech(BaseModel):
    id: int
    text: str = Field(description="start of the text being spoken")
    voice: str
    speed: float
    chunks_played: int
    chunks_synthesized: int
    seconds_played: float
    seconds_synthesized: float
    done_synthesizing: bool


class Defaults(BaseModel):
    voice: str
    speed: float
    mode: Literal["interrupt", "queue"]


class StatusResult(BaseModel):
    """The player, the model and the audio device, as of now."""

    state: PlayerState
    model: ModelStatus
    audio: AudioState | None = Field(description="null until the audio output has been opened")
    current: CurrentSpeech | None = None
    queue_length: int = 0
    last_time_to_first_audio: float | None = Field(
        default=None, description="seconds from request to first audio, latest utterance"
    )
    recent_time_to_first_audio: list[float] = Field(
        default_factory=list, description="seconds, recent utterances, oldest first"
    )
    defaults: Defaults


class Voice(BaseModel):
    name: str = Field(description="pass this as `voice` to speak")
    language: str = Field(description="language code, e.g. en-US")
    language_name: str
    gender: str
    supported: bool = Field(description="false when this install cannot speak its language")


class VoiceList(BaseModel):
    """The voices of the installed model."""

    default: str
    voices: list[Voice]
