"""The FIFO between synthesis and the PortAudio callback.

Producers append `BufferedChunk`s; the callback drains them with `fill()`. Nothing here takes a
lock: the callback is the only consumer (deque.popleft and append are atomic in CPython), and
every field is written by exactly one side. A chunk is skipped, never played, once its
`PlaybackToken` is cancelled or older than `min_generation`, so stop/interrupt cannot leak a
stale sample even if the producer raced with them.

Two lanes: chunks of an urgent token (a `high` priority announcement) are taken before the
normal lane's, but only where a chunk ends, so they cut in between sentences, never inside
one; once an urgent utterance has begun, the callback stays with it until its end (waiting in
silence for a chunk still being synthesized) so two utterances never interleave.
"""

from __future__ import annotations

import collections
import math
import time

import numpy as np
import numpy.typing as npt

from kokoro_mcp.audio.keepalive import KeepAliveTone

FloatArray = npt.NDArray[np.float32]
_EMPTY: FloatArray = np.zeros(0, dtype=np.float32)


class PlaybackToken:
    """One utterance as the callback sees it: a generation, a cancel flag, progress counters.

    The owner writes `cancelled`; the callback writes the counters. Plain attributes on a slotted
    object so the callback only stores numbers.
    """

    __slots__ = (
        "cancelled",
        "chunks_finished",
        "closing",
        "deadline",
        "ended",
        "expired",
        "first_sample_at",
        "frames_played",
        "generation",
        "key",
        "urgent",
    )

    def __init__(
        self, key: int, generation: int, *, urgent: bool = False, deadline: float = math.inf
    ) -> None:
        self.key = key
        self.generation = generation
        self.urgent = urgent  # its chunks go to the urgent lane
        self.deadline = deadline  # time.monotonic() after which it must not start
        self.cancelled = False
        # Set by the owner: play out the chunk sounding now, then nothing more of it.
        self.closing = False
        self.frames_played = 0
        self.chunks_finished = 0
        self.first_sample_at: float | None = None  # time.monotonic() in the callback
        self.ended = False  # the end marker was reached (or a closing token's chunk ended)
        self.expired = False  # reached after its deadline, before a sample of it: skipped


class BufferedChunk:
    """Samples waiting to be played; `offset` advances in the callback."""

    __slots__ = ("end", "offset", "samples", "token")

    def __init__(self, samples: FloatArray, token: PlaybackToken, *, end: bool = False) -> None:
        self.samples = samples
        self.token = token
        self.end = end  # zero-length marker: the utterance has no more chunks
        self.offset = 0


class AudioBuffer:
    """Thread-safe FIFO of float32 mono chunks, drained by `fill()` from the audio callback."""

    def __init__(self, sample_rate: int, *, keep_alive: bool = False) -> None:
        self.sample_rate = sample_rate
        self.keep_alive = keep_alive
        self.paused = False
        # The player holds playback (without touching the user's pause) while it moves to
        # another device, so the old one can play out what it already has.
        self.held = False
        self.min_generation = 0
        self.underruns = 0  # times the callback ran dry inside an utterance
        self.last_fill_at = 0.0  # monotonic time of the latest callback (watchdog)
        self.fills = 0
        self._queue: collections.deque[BufferedChunk] = collections.deque()
        self._urgent: collections.deque[BufferedChunk] = collections.deque()
        self._urgent_token: PlaybackToken | None = None  # the urgent utterance under way
        self._current: BufferedChunk | None = None
        self._starving = False
        self._last_token: PlaybackToken | None = None  # whose audio the callback played last
        self._tone = KeepAliveTone(sample_rate)

    # -- producer side ------------------------------------------------------------------------

    def push(self, samples: FloatArray, token: PlaybackToken) -> None:
        """Queue mono float32 samples for `token`'s utterance (the array must not change later)."""
        if samples.dtype != np.float32 or samples.ndim != 1:
            raise ValueError(f"expected 1-D float32 samples, got {samples.dtype} {samples.shape}")
        (self._urgent if token.urgent else self._queue).append(BufferedChunk(samples, token))

    def push_end(self, token: PlaybackToken) -> None:
        """Mark the end of `token`'s utterance; the callback sets `token.ended` on reaching it."""
        (self._urgent if token.urgent else self._queue).append(
            BufferedChunk(_EMPTY, token, end=True)
        )

    def clear(self, min_generation: int | None = None) -> None:
        """Drop everything queued; with `min_generation`, also anything older still in flight."""
        if min_generation is not None and min_generation > self.min_generation:
            self.min_generation = min_generation
        self._queue.clear()
        self._urgent.clear()

    @property
    def sounding(self) -> PlaybackToken | None:
        """The token whose chunk is part-way through playing (None between chunks)."""
        current = self._current
        return None if current is None else current.token

    @property
    def last_played(self) -> PlaybackToken | None:
        """The token the callback played samples of most recently."""
        return self._last_token

    # -- consumer side (PortAudio callback) --------------------------------------------------

    def fill(self, out: FloatArray) -> None:
        """Fill the 1-D view `out` completely: audio, then silence or keep-alive. Never raises
        on an empty or stale buffer, never blocks, never allocates sample memory."""
        self.last_fill_at = time.monotonic()
        self.fills += 1
        frames = out.shape[0]
        pos = 0
        if not self.paused and not self.held:
            pos = self._copy_audio(out, frames)
        if pos < frames:
            if self.keep_alive:
                self._tone.fill(out[pos:])
            else:
                out[pos:] = 0.0

    def _copy_audio(self, out: FloatArray, frames: int) -> int:
        pos = 0
        while pos < frames:
            chunk = self._current
            if chunk is None:
                chunk = self._next_chunk()
                if chunk is None:
                    break
                self._current = chunk
            token = chunk.token
            if token.cancelled or token.generation < self.min_generation or token.expired:
                self._current = None
                continue
            if chunk.offset == 0 and self._skips(token, chunk):
                self._current = None
                continue
            self._last_token = token
            samples = chunk.samples
            offset = chunk.offset
            take = min(frames - pos, samples.shape[0] - offset)
            out[pos : pos + take] = samples[offset : offset + take]
            if token.first_sample_at is None:
                token.first_sample_at = time.monotonic()
            chunk.offset = offset + take
            token.frames_played += take
            pos += take
            if chunk.offset >= samples.shape[0]:
                token.chunks_finished += 1
                if token.closing:
                    token.ended = True
                self._current = None
        self._note_starvation(pos, frames)
        return pos

    def _next_chunk(self) -> BufferedChunk | None:
        """At a chunk boundary: the urgent lane first; an urgent utterance under way is
        waited for (silence) rather than interleaved with normal speech."""
        under_way = self._urgent_token
        if under_way is not None and (
            under_way.ended
            or under_way.cancelled
            or under_way.expired
            or under_way.generation < self.min_generation
        ):
            self._urgent_token = under_way = None
        if self._urgent:
            chunk = self._urgent.popleft()
            self._urgent_token = chunk.token
            return chunk
        if under_way is None and self._queue:
            return self._queue.popleft()
        return None

    def _skips(self, token: PlaybackToken, chunk: BufferedChunk) -> bool:
        """Whether a chunk about to start is not played: an end marker, a closing token's
        next chunk, or the first chunk of a token past its deadline."""
        if chunk.end or token.closing:
            token.ended = True
            return True
        if token.first_sample_at is None and self.last_fill_at > token.deadline:
            token.expired = True
            return True
        return False

    def _note_starvation(self, pos: int, frames: int) -> None:
        """Count an underrun when an unfinished, live utterance had nothing more to play."""
        if pos == frames:
            self._starving = False
            return
        last = self._last_token
        starving = (
            last is not None
            and not last.ended
            and not last.cancelled
            and last.generation >= self.min_generation
            and last.first_sample_at is not None
        )
        if starving and not self._starving:
            self.underruns += 1
        self._starving = starving
