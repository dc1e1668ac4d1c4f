"""What the Speaker hands out: utterance handles and status snapshots (no MCP in sight).

Modes come from the settings and states from the result models, so each is named once."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kokoro_mcp.audio import AudioStatus, PlaybackToken
from kokoro_mcp.config import MODES, PRIORITIES, Mode, Priority
from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.limits import MAX_REPLACE_KEY_CHARS, MAX_TTL_SECONDS, MIN_TTL_SECONDS
from kokoro_mcp.results import PlayerState as State
from kokoro_mcp.results import UtteranceInfo, UtteranceState

logger = logging.getLogger(__name__)

__all__ = ["MODES", "PRIORITIES", "Mode", "Priority", "State", "UtteranceInfo", "UtteranceState"]
FINAL_STATES: frozenset[str] = frozenset({"done", "stopped", "failed", "dropped"})
RECENT_DROPS = 10
PREVIEW_CHARS = 80
LOCAL_OWNER = "local"  # the owner of speech requested in-process (no daemon, `say`)


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The text on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def check_manners(priority: object, ttl: object, replace: object) -> None:
    """InvalidInputError unless `priority`, `ttl` and `replace` are acceptable."""
    if priority not in PRIORITIES:
        raise InvalidInputError(f"priority must be 'low', 'normal' or 'high', got {priority!r}")
    if ttl is not None and (
        isinstance(ttl, bool)
        or not isinstance(ttl, (int, float))
        or not MIN_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS
    ):
        raise InvalidInputError(
            f"ttl must be a number of seconds from {MIN_TTL_SECONDS:g} to {MAX_TTL_SECONDS:g},"
            f" got {ttl!r}"
        )
    if replace is not None and (
        not isinstance(replace, str) or not replace.strip() or len(replace) > MAX_REPLACE_KEY_CHARS
    ):
        raise InvalidInputError(
            f"replace must be a non-empty key of at most {MAX_REPLACE_KEY_CHARS} characters,"
            f" got {replace!r:.80}"
        )


@dataclass(frozen=True)
class DropInfo:
    """An utterance that was never played (or cut short by a newer one with its key)."""

    id: int
    client: str
    text: str
    reason: str
    at: float  # time.monotonic() when it was dropped


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
    # The latest utterance that failed during synthesis ("utterance 3 failed: ..."), so a
    # caller that did not wait still learns what happened to its speech.
    last_failure: str | None = None
    # The installed model files differ from their manifest (found in the background after
    # loading), with the repair command; speech goes on regardless.
    model_problem: str | None = None
    queued: tuple[UtteranceInfo, ...] = ()  # what waits behind `current`, in play order
    recent_drops: tuple[DropInfo, ...] = ()  # oldest first


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
        prepared: Iterator[str],
        generation: int,
        sample_rate: int,
        owner: str = LOCAL_OWNER,
        client: str = LOCAL_OWNER,
        priority: Priority = "normal",
        ttl: float | None = None,
        replace: str | None = None,
        asked_at: float | None = None,
    ) -> None:
        self.id = id
        self.owner = owner  # whose `interrupt` may replace it
        self.client = client  # shown in status
        self.text = text
        self.voice = voice
        self.speed = speed
        self.mode: Mode = mode
        # Speakable chunks, prepared lazily as the synthesis thread pulls them.
        self.prepared = prepared
        self.created_at = time.monotonic()
        self.priority: Priority = priority
        self.ttl = ttl
        since = self.created_at if asked_at is None else asked_at
        self.deadline = math.inf if ttl is None else since + ttl
        self.replace = replace  # the topic key a newer announcement may replace it by
        # Queue rank: high, then interrupt, then queue (a replacement inherits a better one).
        self.rank = 0 if priority == "high" else (1 if mode == "interrupt" else 2)
        self.state: UtteranceState = "queued"
        self.error: str | None = None
        self.reason: str | None = None  # why it was stopped or dropped, when not by `stop`
        self.closing_reason: str | None = None  # it ends after the sentence sounding now
        self.chunks_synthesized = 0
        self.chunks_played = 0
        self.chunks_total: int | None = None
        self.frames_synthesized = 0
        self.time_to_first_audio: float | None = None
        self.token = PlaybackToken(
            id, generation, urgent=priority == "high", deadline=self.deadline
        )
        self._sample_rate = sample_rate
        self._done = threading.Event()

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
            priority=self.priority,
            replace=self.replace,
            ttl_left=None
            if self.ttl is None
            else round(max(0.0, self.deadline - time.monotonic()), 3),
        )

    # -- for the Speaker -----------------------------------------------------------------------

    def _finish(
        self, state: UtteranceState, error: str | None = None, *, reason: str | None = None
    ) -> None:
        """Enter a final state (the first one wins); the caller holds the Speaker's lock."""
        if self.finished:
            return
        self.state = state
        self.error = error
        self.reason = reason
        if state != "done":
            self.token.cancelled = True
        self._done.set()
