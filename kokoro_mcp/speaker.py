"""The Speaker: text in, sound out, with a queue, preemption, pause and stop.

It owns the engine, one synthesis thread (loads the model, runs every inference), a monitor
thread (turns what the audio callback did into utterance progress and listener calls) and the
Player (its audio thread owns the output stream). Nothing here knows about MCP.

Generations: `speak(mode="interrupt")` and `stop()` bump the generation and cancel every live
utterance's PlaybackToken; the buffer skips chunks of cancelled or older tokens and the
synthesis thread checks the same before pushing, so no stale chunk is ever played.
"""

from __future__ import annotations

import collections
import itertools
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

from kokoro_mcp.audio import AudioBuffer, AudioStatus, Player
from kokoro_mcp.audio.default_output import DefaultOutputProbe
from kokoro_mcp.engine.base import Engine, VoiceInfo, validate_speed
from kokoro_mcp.engine.voices import supported_language_names
from kokoro_mcp.errors import (
    InvalidInputError,
    KokoroError,
    ModelError,
    QueueFullError,
    UnsupportedLanguageError,
)
from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY
from kokoro_mcp.speaker_types import (
    LOCAL_OWNER,
    MODES,
    Mode,
    SpeakerStatus,
    State,
    Utterance,
    UtteranceInfo,
)
from kokoro_mcp.text.markdown import CodeBlockMode

logger = logging.getLogger(__name__)

__all__ = [
    "Mode",
    "Speaker",
    "SpeakerStatus",
    "Utterance",
    "UtteranceInfo",
]

MAX_AHEAD_SECONDS = 15.0  # synthesized-but-unplayed audio the synthesis thread may build up
PROGRESS_POLL_SECONDS = 0.02
RECENT_TTFA = 20


class Speaker:
    """Speaks text through the default (or a chosen) output device. Thread-safe throughout;
    no public method waits for synthesis or for the audio device."""

    def __init__(
        self,
        engine: Engine,
        *,
        device: str | int | None = None,
        keep_alive: bool = False,
        max_queue: int = 16,
        default_voice: str = "af_heart",
        default_speed: float = 1.0,
        latency: float | str = DEFAULT_AUDIO_LATENCY,
        max_ahead_seconds: float = MAX_AHEAD_SECONDS,
        default_probe: DefaultOutputProbe | Literal["system"] | None = "system",
        code_blocks: CodeBlockMode = "placeholder",
        check_model_files: bool = True,
    ) -> None:
        if max_queue < 1:
            raise InvalidInputError(f"max_queue must be at least 1, got {max_queue}")
        self.engine = engine
        self.max_queue = max_queue
        self.default_voice = default_voice
        self.default_speed = validate_speed(default_speed)
        self.code_blocks: CodeBlockMode = code_blocks
        self.max_ahead_seconds = max_ahead_seconds
        # Hash the model files in the background once loaded (a long-lived speaker's
        # status reports damage); one-shot speech skips the work.
        self.check_model_files = check_model_files
        self.sample_rate = engine.sample_rate
        self.buffer = AudioBuffer(self.sample_rate, keep_alive=keep_alive)
        self.player = Player(
            self.buffer, device=device, latency=latency, default_probe=default_probe
        )
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the synthesis thread waits on it
        self._queue: collections.deque[Utterance] = collections.deque()  # not yet synthesizing
        self._active: list[Utterance] = []  # synthesizing or playing, in play order
        self._generation = 0
        self._next_id = 1
        self._paused = False
        self._closed = False
        self._started = False
        self._synthesizing: Utterance | None = None  # the one inside engine.stream() now
        self._engine_error: str | None = None
        self._last_failure: str | None = None
        self._ready = threading.Event()  # the engine finished loading (or failed to)
        self._recent_ttfa: collections.deque[float] = collections.deque(maxlen=RECENT_TTFA)
        self._events: queue.SimpleQueue[Utterance | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the audio, synthesis (loads the engine) and monitor threads; returns at once."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        self.player.start()
        for target, name in ((self._synthesis_loop, "synthesis"), (self._monitor_loop, "monitor")):
            thread = threading.Thread(target=target, name=f"kokoro-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_ready(self, timeout: float) -> bool:
        """True once the engine is loaded; False on timeout or if loading failed."""
        return self._ready.wait(timeout) and self._engine_error is None

    def wait_audio(self, timeout: float) -> bool:
        """True once the output stream is running; False if no device within `timeout`."""
        return self.player.wait_running(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or playing and synthesis has stopped working (a stopped
        utterance's chunk still being computed counts as working); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._live_locked() and self._synthesizing is None:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def close(self, timeout: float = 2.0) -> None:
        """Silence at once, stop the threads (waiting at most about `timeout`). Idempotent."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dropped = self._drop_all_locked()
            self._interrupt_synthesis_locked(dropped)  # so the thread can end within `timeout`
            self._work.notify_all()
        self._announce(dropped)
        self._events.put(None)
        self.player.close(timeout)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s did not stop within %.1f s; leaving it", thread.name, timeout)

    # -- requests --------------------------------------------------------------------------------

    def speak(
        self,
        text: str,
        voice: str | None = None,
        speed: float | None = None,
        mode: Mode = "interrupt",
        *,
        owner: str = LOCAL_OWNER,
        client: str | None = None,
        code_blocks: CodeBlockMode | None = None,
    ) -> Utterance:
        """Queue `text` for speaking and return its handle at once.

        `owner` is who asks (one MCP session, the command line...): `interrupt` replaces the
        owner's own current and queued speech and goes next: after the utterance already
        sounding if another owner's is, and after other owners' interrupting speech that was
        waiting first; `queue` speaks after everything queued. So speech from
        different owners never overlaps and never cuts each other off; `stop()` silences all.
        Raises InvalidInputError / QueueFullError / ModelError with a message that says what
        to change.
        """
        if mode not in MODES:
            raise InvalidInputError(f"mode must be 'interrupt' or 'queue', got {mode!r}")
        voice = self.default_voice if voice is None else voice
        speed = validate_speed(self.default_speed if speed is None else speed)
        prepared = self._prepare(text, voice, code_blocks or self.code_blocks)
        if self._engine_error is not None:
            raise ModelError(f"the speech model failed to load: {self._engine_error}")
        with self._lock:
            if self._closed:
                raise KokoroError("the speaker is closed; start a new one")
            live = self._live_locked()
            if mode == "queue" and len(live) - 1 >= self.max_queue:
                raise QueueFullError(
                    f"the speech queue is full ({self.max_queue} utterances waiting); wait for"
                    " some to finish, call stop, or use mode 'interrupt' to replace them"
                )
            dropped: list[Utterance] = []
            others = [u for u in live if u.owner != owner]
            if mode == "interrupt" and not others:
                self._generation += 1
                dropped = self._drop_all_locked()
            elif mode == "interrupt":
                dropped = [u for u in live if u.owner == owner]
                for utterance in dropped:
                    utterance._finish("stopped")
                    self._forget_locked(utterance)
            utterance = Utterance(
                self._next_id,
                text,
                voice,
                speed,
                mode,
                prepared=prepared,
                generation=self._generation,
                sample_rate=self.sample_rate,
                owner=owner,
                client=client or owner,
            )
            self._next_id += 1
            if mode == "interrupt":
                # After what is being synthesized or played and after other owners' interrupting
                # speech already waiting (first come, first served), ahead of queued speech.
                ahead = 0
                while ahead < len(self._queue) and self._queue[ahead].mode == "interrupt":
                    ahead += 1
                self._queue.insert(ahead, utterance)
            else:
                self._queue.append(utterance)
            self._interrupt_synthesis_locked(dropped)
            self._work.notify_all()
        self._announce([*dropped, utterance])
        return utterance

    def cancel(self, utterance_id: int) -> bool:
        """Stop one utterance, queued or playing; True if it was live."""
        with self._lock:
            target = next((u for u in self._live_locked() if u.id == utterance_id), None)
            if target is None:
                return False
            target._finish("stopped")
            self._forget_locked(target)
            if not self._live_locked():
                self._set_paused_locked(False)
            self._interrupt_synthesis_locked([target])
        self._announce([target])
        return True

    def stop(self) -> int:
        """Drop the playing and all queued speech at once; returns how many were dropped."""
        with self._lock:
            self._generation += 1
            dropped = self._drop_all_locked()
            self._interrupt_synthesis_locked(dropped)
        self._announce(dropped)
        return len(dropped)

    def pause(self) -> bool:
        """Hold playback inside the callback (no sample lost); True if it was playing."""
        with self._lock:
            if self._paused or not self._live_locked():
                return False
            self._set_paused_locked(True)
            return True

    def resume(self) -> bool:
        """Continue exactly where `pause()` held; True if it was paused."""
        with self._lock:
            if not self._paused:
                return False
            self._set_paused_locked(False)
            return True

    # -- reports ---------------------------------------------------------------------------------

    def status(self) -> SpeakerStatus:
        audio = self.player.status()
        with self._lock:
            live = self._live_locked()
            current = live[0].info() if live else None
            waiting = _waiting_by_client(live[1:])
            recent = tuple(round(value, 4) for value in self._recent_ttfa)
            paused = self._paused
            last_failure = self._last_failure
        loaded = self.engine.loaded and self._engine_error is None
        return SpeakerStatus(
            state=self._state(loaded, audio, paused, current),
            engine_loaded=loaded,
            engine_error=self._engine_error,
            current=current,
            queue_length=max(0, len(live) - 1),
            waiting=waiting,
            last_time_to_first_audio=recent[-1] if recent else None,
            recent_time_to_first_audio=recent,
            audio=audio,
            paused=paused,
            last_failure=last_failure,
            model_problem=self.engine.model_problem,
        )

    def voices(self) -> Sequence[VoiceInfo]:
        return self.engine.voices()

    def _state(
        self, loaded: bool, audio: AudioStatus, paused: bool, current: UtteranceInfo | None
    ) -> State:
        if self._engine_error is not None:
            return "error"
        if not loaded:
            return "loading"
        if audio.problem is not None:
            return "error"
        if paused:
            return "paused"
        return "playing" if current is not None else "idle"

    # -- internals shared by the public methods (caller holds self._lock) -----------------------

    def _prepare(self, text: str, voice: str, code_blocks: CodeBlockMode) -> Iterator[str]:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError("text is empty: pass the sentences to speak")
        info = self.engine.check_voice(voice)
        if not info.supported:
            raise UnsupportedLanguageError(
                f"voice {voice!r} speaks {info.language_name}, which this install cannot"
                f" pronounce; use a voice for {supported_language_names()}, e.g. af_heart"
            )
        from kokoro_mcp.text import speakable_chunks

        # The Speaker owns preparation: only the first chunk is prepared here (its cost does not
        # grow with the text); the synthesis thread pulls the rest as it speaks.
        chunks = speakable_chunks(text, code_blocks=code_blocks, language=info.language)
        first = next(chunks, None)
        if first is None:
            raise InvalidInputError(
                "nothing to say: the text is empty once markup and unspeakable characters are"
                " removed. Pass plain sentences."
            )
        return itertools.chain([first], chunks)

    def _live_locked(self) -> list[Utterance]:
        return [*self._active, *self._queue]

    def _drop_all_locked(self) -> list[Utterance]:
        dropped = self._live_locked()
        for utterance in dropped:
            utterance._finish("stopped")
        self._active.clear()
        self._queue.clear()
        self.buffer.clear(self._generation)
        self._set_paused_locked(False)
        return dropped

    def _forget_locked(self, utterance: Utterance) -> None:
        if utterance in self._active:
            self._active.remove(utterance)
        if utterance in self._queue:
            self._queue.remove(utterance)

    def _set_paused_locked(self, paused: bool) -> None:
        self._paused = paused
        self.buffer.paused = paused

    def _is_stale(self, utterance: Utterance) -> bool:
        token = utterance.token
        return token.cancelled or token.generation < self._generation or self._closed

    def _interrupt_synthesis_locked(self, dropped: Sequence[Utterance]) -> None:
        """If a dropped utterance is being synthesized right now, ask the engine to abandon the
        chunk in progress (a long chunk takes seconds; the next speech would wait for it).

        Called under the lock, so the synthesis thread cannot have moved on to the next
        utterance meanwhile; `interrupt()` only flags the running model call and returns.
        Engines that cannot interrupt finish the chunk, which is then never played."""
        if self._synthesizing is not None and self._synthesizing in dropped:
            try:
                self.engine.interrupt()
            except Exception:
                logger.exception("engine.interrupt() failed")

    def _announce(self, utterances: Sequence[Utterance]) -> None:
        for utterance in utterances:
            self._events.put(utterance)

    # -- synthesis thread --------------------------------------------------------------------------

    def _synthesis_loop(self) -> None:
        try:
            self.engine.load()
        except Exception as exc:
            message = str(exc) if isinstance(exc, KokoroError) else f"{type(exc).__name__}: {exc}"
            logger.error("engine failed to load: %s", message)
            with self._lock:
                self._engine_error = message
                failed = self._live_locked()
                for utterance in failed:
                    utterance._finish("failed", f"the speech model failed to load: {message}")
                self._queue.clear()
            self._ready.set()
            self._announce(failed)
            return
        self._ready.set()
        if self.check_model_files:
            self.engine.check_files_in_background()
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._work.wait()
                if self._closed:
                    return
                utterance = self._queue.popleft()
                utterance.state = "synthesizing"
                self._active.append(utterance)
                self._synthesizing = utterance
            self._events.put(utterance)
            try:
                self._synthesize(utterance)
            finally:
                with self._lock:
                    self._synthesizing = None

    def _synthesize(self, utterance: Utterance) -> None:
        def stale() -> bool:
            return self._is_stale(utterance)

        try:
            chunks = self.engine.synthesize(
                utterance.prepared, utterance.voice, utterance.speed, cancelled=stale
            )
            for chunk in chunks:
                samples = np.ascontiguousarray(chunk.samples, dtype=np.float32).reshape(-1)
                self._wait_for_room(utterance)
                with self._lock:
                    if stale():
                        return
                    self.buffer.push(samples, utterance.token)
                    utterance.chunks_synthesized += 1
                    utterance.frames_synthesized += samples.shape[0]
                self._events.put(utterance)
            with self._lock:
                if stale():
                    return
                self.buffer.push_end(utterance.token)
                utterance.chunks_total = utterance.chunks_synthesized
            self._events.put(utterance)
        except Exception as exc:
            if stale():  # dropped meanwhile: an interrupted engine may raise; nobody waits
                logger.debug("synthesis of stopped utterance %d ended: %r", utterance.id, exc)
                return
            if isinstance(exc, KokoroError):
                message = str(exc)
            else:
                logger.exception("synthesis failed for utterance %d", utterance.id)
                message = f"synthesis failed ({type(exc).__name__}: {exc})"
            with self._lock:
                utterance._finish("failed", message)
                self._forget_locked(utterance)
                self._last_failure = f"utterance {utterance.id} failed: {message}"
            self._events.put(utterance)

    def _wait_for_room(self, utterance: Utterance) -> None:
        """Keep at most `max_ahead_seconds` of unplayed audio buffered (bounded memory)."""
        limit = int(self.max_ahead_seconds * self.sample_rate)
        while not self._is_stale(utterance):
            with self._lock:
                ahead = sum(
                    u.frames_synthesized - u.token.frames_played
                    for u in self._active
                    if not u.finished
                )
            if ahead < limit:
                return
            time.sleep(0.05)

    # -- monitor thread --------------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        """Turn what the callback did into utterance progress; events only wake it sooner."""
        while True:
            with self._lock:
                busy = bool(self._active)
            try:
                item = self._events.get(timeout=PROGRESS_POLL_SECONDS if busy else 1.0)
                while item is not None:
                    item = self._events.get_nowait()
                return  # None: the Speaker is closing
            except queue.Empty:
                pass
            self._track_playback()

    def _track_playback(self) -> None:
        """Copy what the callback did (tokens) into the utterances; finish those played out."""
        with self._lock:
            for utterance in list(self._active):
                token = utterance.token
                if token.first_sample_at is not None and utterance.time_to_first_audio is None:
                    ttfa = token.first_sample_at - utterance.created_at
                    utterance.time_to_first_audio = ttfa
                    self._recent_ttfa.append(ttfa)
                if token.first_sample_at is not None and utterance.state == "synthesizing":
                    utterance.state = "playing"
                utterance.chunks_played = token.chunks_finished
                if token.ended and not utterance.finished:
                    utterance._finish("done")
                    self._active.remove(utterance)


def _waiting_by_client(waiting: Sequence[Utterance]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for utterance in waiting:
        counts[utterance.client] = counts.get(utterance.client, 0) + 1
    return tuple(counts.items())
