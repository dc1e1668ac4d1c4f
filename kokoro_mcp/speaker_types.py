"""What the Speaker hands out: utterance handles and status snapshots (no MCP in sight)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kokoro_mcp.audio import AudioStatus, PlaybackToken

logger = logging.getLogger(__name__)

Mode = Literal["interrupt", "queue"]
MODES: tuple[Mode, ...] = ("interrupt", "queue")
State = Literal["idle", "loading", "playing", "paused", "error"]
UtteranceState = Literal["queued", "synthesizing", "playing", "done", "stopped", "failed"]
FINAL_STATES: frozenset[str] = frozenset({"done", "stopped", "failed"})
PREVIEW_CHARS = 80
LOCAL_OWNER = "local"  # the owner of speech requested in-process (no daemon, `say`)


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The text on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class UtteranceInfo:
    id: int
    text: str  # a one-line preview, not the whole text
    voice: str
    speed: float
    chunks_played: int
    chunks_synthesized: int
    seconds_played: float
    seconds_synthesized: float
    done_synthesizing: bool
    state: str = "playing"
    client: str = LOCAL_OWNER  # who asked for it (an MCP client's name, "cli", ...)


@dataclass(frozen=True)
class SpeakerStatus:
    state: State
    engine_loaded: bool
    engine_error: str | None
    current: UtteranceInfo | None
    queue_length: int  # utterances waiting behind `current`
    last_time_to_first_audio: float | None
    recent_time_to_first_audio: tuple[float, ...]
    audio: AudioStatus
    paused: bool = False
    waiting: tuple[tuple[str, int], ...] = ()  # (client, utterances waiting), in queue order


Listener = Callable[["Utterance"], None]


class Utterance:
    """Handle for one `speak()` request. The Speaker's threads update it; anyone may read it,
    `wait()` for it, or listen to it."""

    def __init__(
        self,
        id: int,
        text: str,
        voice: str,
        speed: float,
        mode: Mode,
        *,
        speakable: str,
        generation: int,
        sample_rate: int,
        notify: Callable[[Utterance], None],
        owner: str = LOCAL_OWNER,
        client: str = LOCAL_OWNER,
    ) -> None:
        self.id = id
        self.owner = owner  # whose `interrupt` may replace it
        self.client = client  # shown in status
        self.text = text
        self.voice = voice
        self.speed = speed
        self.mode: Mode = mode
        self.speakable = speakable  # the prepared text the engine reads
        self.created_at = time.monotonic()
        self.state: UtteranceState = "queued"
        self.error: str | None = None
        self.chunks_synthesized = 0
        self.chunks_played = 0
        self.chunks_total: int | None = None
        self.frames_synthesized = 0
        self.time_to_first_audio: float | None = None
        self.token = PlaybackToken(id, generation)
        self._sample_rate = sample_rate
        self._notify = notify
        self._done = threading.Event()
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Utterance {self.id} {self.state} {preview(self.text, 30)!r}>"

    @property
    def generation(self) -> int:
        return self.token.generation

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def done_synthesizing(self) -> bool:
        return self.chunks_total is not None

    @property
    def seconds_synthesized(self) -> float:
        return self.frames_synthesized / self._sample_rate

    @property
    def seconds_played(self) -> float:
        return self.token.frames_played / self._sample_rate

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the utterance is done, stopped or failed; False on timeout."""
        return self._done.wait(timeout)

    def add_listener(self, fn: Listener) -> None:
        """Call `fn(self)` from a Speaker worker thread on every progress or state change
        (once more right away if it has already finished)."""
        with self._listeners_lock:
            self._listeners.append(fn)
        if self.finished:
            self._notify(self)

    def info(self) -> UtteranceInfo:
        return UtteranceInfo(
            id=self.id,
            text=preview(self.text),
            voice=self.voice,
            speed=self.speed,
            chunks_played=self.chunks_played,
            chunks_synthesized=self.chunks_synthesized,
            seconds_played=round(self.seconds_played, 3),
            seconds_synthesized=round(self.seconds_synthesized, 3),
            done_synthesizing=self.done_synthesizing,
            state=self.state,
            client=self.client,
        )

    # -- for the Speaker -----------------------------------------------------------------------

    def _finish(self, state: UtteranceState, error: str | None = None) -> None:
        """Enter a final state (the first one wins); the caller holds the Speaker's lock."""
        if self.finished:
            return
        self.state = state
        self.error = error
        if state != "done":
            self.token.cancelled = True
        self._done.set()

    def _fire(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(self)
            except Exception:
                logger.exception("utterance listener %r failed", fn)
