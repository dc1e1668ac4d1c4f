"""What speech requests return, the same through MCP, the daemon's socket and `kk --json`.

Each model is also an MCP tool's outputSchema; the daemon sends them as JSON and the MCP proxy
validates them back into these classes, so both ways of running give identical results.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kokoro_mcp.config import Mode, Priority

SpeakState = Literal["accepted", "finished", "stopped", "dropped"]
PlayerState = Literal["idle", "loading", "playing", "paused", "error"]
# dropped: never played (low priority while busy, time to live over, replaced by key)
UtteranceState = Literal[
    "queued", "synthesizing", "playing", "done", "stopped", "failed", "dropped"
]


class SpeakResult(BaseModel):
    """What `speak` did with the text."""

    state: SpeakState = Field(
        description="accepted: queued or playing (wait=false); finished: playback ended;"
        " stopped: ended early by stop, cancellation or newer speech; dropped: never played"
        " (low priority while other speech played, ttl ran out, or replaced by a newer one"
        " with the same replace key; `reason` says which)"
    )
    id: int | None = Field(description="utterance id (null if stopped before it was queued)")
    voice: str
    speed: float
    mode: Mode
    characters: int = Field(description="length of the text received")
    chunks: int | None = Field(
        default=None, description="audio chunks synthesized so far (all of them once finished)"
    )
    chunks_played: int | None = Field(default=None, description="audio chunks played")
    time_to_first_audio: float | None = Field(
        default=None, description="seconds from the request to the first audio, when known"
    )
    priority: Priority = "normal"
    ttl: float | None = Field(default=None, description="seconds it had to start (null: no limit)")
    replace: str | None = Field(default=None, description="its replace key, if any")
    reason: str | None = Field(
        default=None, description="why it was dropped or stopped early, when not by stop"
    )


class SaveResult(BaseModel):
    """The WAV file save_speech wrote (the content also carries it as a resource link)."""

    path: str = Field(description="absolute path of the WAV file")
    uri: str = Field(description="the file as a file:// URI")
    file_name: str = Field(description="its name inside the speech folder")
    duration: float = Field(description="seconds of audio")
    bytes: int = Field(description="size of the file")
    characters: int = Field(description="length of the text received")
    voice: str
    speed: float
    overwritten: bool = Field(description="true when an existing file was replaced")


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
    installing: bool = Field(
        default=False,
        description="a first run is assembling the model from package registries (once)",
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


class QueuedSpeech(BaseModel):
    """An utterance waiting its turn: whose it is, what it says, and its manners."""

    model_config = ConfigDict(frozen=True)

    id: int
    client: str = Field(description="who asked for it: an MCP client's name, or cli")
    text: str = Field(description="start of the text, on one line")
    priority: Priority = "normal"
    replace: str | None = Field(default=None, description="its replace key, if any")
    ttl_left: float | None = Field(
        default=None, description="seconds left for it to start before it is dropped"
    )


# The Speaker builds these snapshots itself, so this is the one description of an utterance's
# progress: no copy of it on the way to a result.
class UtteranceInfo(QueuedSpeech):
    """An utterance: what is said, for whom, and how far it got."""

    voice: str
    speed: float
    state: UtteranceState = "playing"
    chunks_played: int
    chunks_synthesized: int
    seconds_played: float
    seconds_synthesized: float
    done_synthesizing: bool


class DroppedSpeech(BaseModel):
    id: int
    client: str
    text: str = Field(description="start of the text")
    reason: str
    seconds_ago: float


class ClientQueue(BaseModel):
    client: str
    waiting: int = Field(description="utterances of this client queued behind the current one")


class DaemonInfo(BaseModel):
    """The shared speech daemon that every agent on this machine talks to."""

    pid: int
    version: str
    uptime: float = Field(description="seconds since the daemon started")
    clients: list[str] = Field(description="clients connected now")
    socket: str
    log: str | None = Field(description="where the daemon logs (null: its stderr)")
    idle_exit_minutes: float = Field(description="exits after this long unused (0: never)")
    notes: list[str] = Field(
        default_factory=list,
        description="settings this client asked for that the running daemon does not use",
    )


class Defaults(BaseModel):
    voice: str
    speed: float
    mode: Mode


class StatusResult(BaseModel):
    """The player, the model and the audio device, as of now."""

    state: PlayerState
    model: ModelStatus
    audio: AudioState | None = Field(description="null until the audio output has been opened")
    current: UtteranceInfo | None = None
    queue_length: int = 0
    last_time_to_first_audio: float | None = Field(
        default=None, description="seconds from request to first audio, latest utterance"
    )
    recent_time_to_first_audio: list[float] = Field(
        default_factory=list, description="seconds, recent utterances, oldest first"
    )
    defaults: Defaults
    waiting: list[ClientQueue] = Field(
        default_factory=list, description="queued speech per client, in play order"
    )
    daemon: DaemonInfo | None = Field(
        default=None, description="the shared daemon (null when running without one)"
    )
    last_failure: str | None = Field(
        default=None,
        description="the latest utterance that failed while being synthesized, and why",
    )
    queued: list[QueuedSpeech] = Field(
        default_factory=list, description="speech waiting behind the current one, in play order"
    )
    recent_drops: list[DroppedSpeech] = Field(
        default_factory=list,
        description="recent speech that was dropped or cut short by priority, ttl or replace,"
        " oldest first",
    )


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
