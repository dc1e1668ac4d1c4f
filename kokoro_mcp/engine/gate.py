"""Who may run the model now: live speech first, rendering to files only when it can wait.

One engine serves both the Speaker (live speech, whose listener hears any delay as a gap) and
save_speech (a file, which no one hears being made). The model, G2P and their caches are used
by one thread at a time, one piece (about a sentence) per turn:

- live speech takes the next turn whenever it asks; it waits at most for the background piece
  already running (pieces are short: one sentence, at most one model call), and not even that
  at the start of an utterance: then the background piece is interrupted (where the backend
  can: ONNX Runtime) and computed again on a later turn;
- background work starts a piece only when no live request is waiting and its `spare` check
  says live speech can afford the wait: it is told the longest of the recent background turns,
  so the caller can demand more audio buffered ahead than such a turn takes.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from kokoro_mcp.errors import SynthesisInterrupted

POLL_SECONDS = 0.05
FIRST_TURN_GUESS = 1.0  # seconds a background turn is assumed to take before one was timed
# The longest of the last few turns: one piece slowed by a busy machine should not hold every
# later file back until all live speech is synthesized.
RECENT_TURNS = 8

# Given the longest background turn yet (seconds): may background work take a turn now?
SpareCheck = Callable[[float], bool]
CancelCheck = Callable[[], bool]


class EngineGate:
    """A lock with two priorities over one engine; see the module docstring."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._busy = False
        self._live_waiting = 0
        self.background_running = False
        self.longest_background = FIRST_TURN_GUESS  # of the last RECENT_TURNS turns
        self._recent: collections.deque[float] = collections.deque(maxlen=RECENT_TURNS)
        self.background_turns = 0
        self.background_deferrals = 0  # polls a background turn waited for live speech
        self.preemptions = 0  # background pieces abandoned for the start of live speech

    @contextlib.contextmanager
    def live(self, preempt: Callable[[], None] | None = None) -> Iterator[None]:
        """A turn for live speech: the next one free, ahead of any background work. With
        `preempt` (the start of an utterance, whose listener waits for the first sound), a
        background piece holding the engine is asked to give up at once (`preempt` only sets
        a flag: engine.interrupt); the background work redoes that piece later."""
        with self._condition:
            self._live_waiting += 1
            if preempt is not None and self.background_running:
                self.preemptions += 1
                preempt()
            try:
                while self._busy:
                    self._condition.wait()
            finally:
                self._live_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release()

    @contextlib.contextmanager
    def background(self, spare: SpareCheck, cancelled: CancelCheck) -> Iterator[None]:
        """A turn for work nobody is listening to; raises SynthesisInterrupted once
        `cancelled()` while waiting for it."""
        while True:
            if cancelled():
                raise SynthesisInterrupted("rendering cancelled")
            if spare(self.longest_background):
                with self._condition:
                    if not self._busy and not self._live_waiting:
                        self._busy = True
                        self.background_running = True
                        break
            self.background_deferrals += 1
            with self._condition:
                self._condition.wait(POLL_SECONDS)
        started = time.monotonic()
        try:
            yield
        finally:
            self.background_turns += 1
            self._recent.append(time.monotonic() - started)
            self.longest_background = max(self._recent)
            self.background_running = False
            self._release()

    def _release(self) -> None:
        with self._condition:
            self._busy = False
            self._condition.notify_all()
