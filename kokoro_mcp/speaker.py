"""The Speaker: text in, sound out, with a queue, preemption, pause and stop.

It owns the engine, one synthesis thread (loads the model, runs every inference), a monitor
thread (turns what the audio callback did into utterance progress and listener calls) and the
Player (its audio thread owns the output stream). Nothing here knows about MCP.

Generations: `speak(mode="interrupt")` and `stop()` bump the generation and cancel every live
utterance's PlaybackToken; the buffer skips chunks of cancelled or older tokens and the
synthesis thread checks the same before pushing, so no stale chunk is ever played.

Manners (`priority`, `ttl`, `replace`): a high-priority utterance is synthesized before
anything else (the synthesis of a long normal one is suspended between chunks) and played in
the buffer's urgent lane, which cuts in where the sentence sounding now ends; the interrupted
utterance goes on with its next sentence afterwards. A low one is dropped when anything is
live. An utterance with a time to live is dropped if its first sample cannot be played by its
deadline (the callback itself refuses to start it late). A `replace` key drops older queued
utterances with that key; one already sounding ends with its current sentence.
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
    RECENT_DROPS,
    DropInfo,
    Mode,
    Priority,
    SpeakerStatus,
    State,
    Utterance,
    UtteranceInfo,
    check_manners,
    preview,
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
# The monitor drops an expired utterance whose audio is already buffered only this long after
# its deadline: the callback refuses to start it after the deadline, so the two never race.
EXPIRY_GRACE_SECONDS = 0.1


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
        self._drops: collections.deque[DropInfo] = collections.deque(maxlen=RECENT_DROPS)
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
        priority: Priority = "normal",
        ttl: float | None = None,
        replace: str | None = None,
        asked_at: float | None = None,
    ) -> Utterance:
        """Queue `text` for speaking and return its handle at once.

        `owner` is who asks (one MCP session, the command line...): `interrupt` replaces the
        owner's own current and queued speech and goes next: after the utterance already
        sounding if another owner's is, and after other owners' interrupting speech that was
        waiting first; `queue` speaks after everything queued. So speech from
        different owners never overlaps and never cuts each other off; `stop()` silences all.

        `priority="high"` goes ahead of all queued speech (after earlier high ones) and cuts
        in where the sentence sounding now ends; that utterance resumes afterwards.
        `priority="low"` is dropped (state "dropped", `reason` says why) if anything is
        playing or queued, and then changes nothing else. `ttl`: dropped unless it starts
        within that many seconds of `asked_at` (the request's `time.monotonic()`, default
        now: a caller that waited for the model passes when it was asked). `replace`: older
        utterances with the same key (anyone's) are dropped if queued and end with their
        current sentence if sounding; this one takes the earliest one's place in line.
        Raises InvalidInputError / QueueFullError / ModelError with a message that says what
        to change.
        """
        if mode not in MODES:
            raise InvalidInputError(f"mode must be 'interrupt' or 'queue', got {mode!r}")
        check_manners(priority, ttl, replace)
        voice = self.default_voice if voice is None else voice
        speed = validate_speed(self.default_speed if speed is None else speed)
        prepared = self._prepare(text, voice, code_blocks or self.code_blocks)
        if self._engine_error is not None:
            raise ModelError(f"the speech model failed to load: {self._engine_error}")
        with self._lock:
            if self._closed:
                raise KokoroError("the speaker is closed; start a new one")
            live = self._live_locked()
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
                priority=priority,
                ttl=ttl,
                replace=replace,
                asked_at=asked_at,
            )
            busy = [u for u in live if not u.token.ended]  # not one that has just played out
            if priority == "low" and busy:
                self._next_id += 1
                count = len(busy)
                self._drop_locked(
                    utterance,
                    f"low priority, and {count} other utterance{'s' if count != 1 else ''}"
                    f" {'were' if count != 1 else 'was'} playing or queued",
                )
                self._announce([utterance])
                return utterance
            if mode == "queue" and len(live) - 1 >= self.max_queue:
                raise QueueFullError(
                    f"the speech queue is full ({self.max_queue} utterances waiting); wait for"
                    " some to finish, call stop, or use mode 'interrupt' to replace them"
                )
            self._next_id += 1
            dropped: list[Utterance] = []
            others = [u for u in live if u.owner != owner]
            if mode == "interrupt" and not others:
                self._generation += 1
                dropped = self._drop_all_locked()
            elif mode == "interrupt":
                dropped = [u for u in live if u.owner == owner]
                for own in dropped:
                    own._finish("stopped")
                    self._forget_locked(own)
            utterance.token.generation = self._generation  # an interrupt may have bumped it
            place = self._replace_locked(utterance, dropped) if replace is not None else None
            # By rank (high, then interrupt, then queue), first come first served within one:
            # so an interrupt goes after what is being synthesized or played and after other
            # owners' interrupting speech already waiting, ahead of queued speech.
            ahead = 0
            while ahead < len(self._queue) and self._queue[ahead].rank <= utterance.rank:
                ahead += 1
            self._queue.insert(ahead if place is None else min(ahead, place), utterance)
            self._interrupt_synthesis_locked(dropped)
            self._work.notify_all()
        self._announce([*dropped, utterance])
        return utterance

    def _replace_locked(self, utterance: Utterance, dropped: list[Utterance]) -> int | None:
        """Retire the live utterances with `utterance`'s key (adding them to `dropped`) and
        return the queue position it takes over (None: its own rank decides)."""
        place: int | None = None
        for old in self._live_locked():
            if old.replace != utterance.replace or old.closing_reason is not None:
                continue  # another key, or already ending with its sentence
            why = f"replaced by utterance {utterance.id} (replace key {old.replace!r})"
            utterance.rank = min(utterance.rank, old.rank)
            if old in self._queue:
                if place is None:
                    place = self._queue.index(old)
                self._drop_locked(old, why)
            elif old.token.first_sample_at is None:
                self._drop_locked(old, why)  # synthesized ahead, not heard yet
            else:
                self._close_locked(old, f"cut at the end of a sentence: {why}")
            dropped.append(old)
            if place is None:  # it was under way: this one comes next within its rank
                place = 0
                while place < len(self._queue) and self._queue[place].rank < utterance.rank:
                    place += 1
        return place

    def _close_locked(self, utterance: Utterance, reason: str) -> None:
        """Let `utterance` finish the chunk sounding now, then end it with `reason`."""
        utterance.closing_reason = reason
        utterance.token.closing = True  # no further chunk of it starts (nor is synthesized)
        # Checked after setting the flag: if the callback is not inside one of its chunks,
        # it will never set `ended` for it, so it ends here.
        if self.buffer.sounding is not utterance.token:
            utterance._finish("stopped", reason=reason)
            self._forget_locked(utterance)
        self._note_drop_locked(utterance, reason)

    def _drop_locked(self, utterance: Utterance, reason: str) -> None:
        """`utterance` will never be heard: finished as dropped, with `reason`."""
        utterance._finish("dropped", reason=reason)
        self._forget_locked(utterance)
        self._note_drop_locked(utterance, reason)
        logger.info("utterance %d dropped: %s", utterance.id, reason)

    def _note_drop_locked(self, utterance: Utterance, reason: str) -> None:
        self._drops.append(
            DropInfo(
                utterance.id, utterance.client, preview(utterance.text), reason, time.monotonic()
            )
        )

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
            sounding = self._sounding_locked(live)
            behind = [u for u in live if u is not sounding]
            current = sounding.info() if sounding is not None else None
            waiting = _waiting_by_client(behind)
            queued = tuple(u.info() for u in behind)
            drops = tuple(self._drops)
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
            queued=queued,
            recent_drops=drops,
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

    def _sounding_locked(self, live: Sequence[Utterance]) -> Utterance | None:
        """The live utterance heard now (a high one cutting in is heard before the one it
        interrupted, which stays first in `_active`)."""
        token = self.buffer.last_played
        for utterance in live:
            if utterance.token is token and not token.ended:
                return utterance
        return live[0] if live else None

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
        return (
            token.cancelled
            or token.closing
            or token.expired
            or token.generation < self._generation
            or self._closed
        )

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
                taken = self._take_next_locked(urgent_only=False)
            if taken is not None:
                self._synthesize_taken(taken, then=None)

    def _take_next_locked(self, *, urgent_only: bool) -> Utterance | None:
        """The next utterance to synthesize (now synthesizing), skipping expired ones."""
        while self._queue:
            head = self._queue[0]
            if urgent_only and head.priority != "high":
                return None
            self._queue.popleft()
            if time.monotonic() > head.deadline:
                self._drop_locked(head, _expired_reason(head))
                self._events.put(head)
                continue
            head.state = "synthesizing"
            self._active.append(head)
            self._synthesizing = head
            return head
        return None

    def _serve_urgent(self, suspended: Utterance) -> None:
        """Synthesize waiting high-priority utterances now, `suspended` (a normal one between
        two of its chunks) continuing afterwards; so a long reply does not hold them up."""
        if suspended.priority == "high":
            return
        while True:
            with self._lock:
                if self._closed or not self._queue or self._queue[0].priority != "high":
                    return
                urgent = self._take_next_locked(urgent_only=True)
            if urgent is not None:
                self._synthesize_taken(urgent, then=suspended)

    def _synthesize_taken(self, taken: Utterance, *, then: Utterance | None) -> None:
        """Synthesize an utterance just taken from the queue; afterwards `then` (the one it
        cut in on, or None) is the one synthesizing."""
        self._events.put(taken)
        try:
            self._synthesize(taken)
        finally:
            with self._lock:
                self._synthesizing = then

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
                self._serve_urgent(utterance)
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
        lane = utterance.token.urgent  # the urgent lane is never held up by normal speech
        while not self._is_stale(utterance):
            with self._lock:
                ahead = sum(
                    u.frames_synthesized - u.token.frames_played
                    for u in self._active
                    if not u.finished and u.token.urgent == lane
                )
            if ahead < limit:
                return
            self._serve_urgent(utterance)
            time.sleep(0.05)

    # -- monitor thread --------------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        """Turn what the callback did into utterance progress; events only wake it sooner."""
        while True:
            with self._lock:
                busy = bool(self._active or self._queue)
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
                if token.expired and not utterance.finished:
                    self._drop_locked(utterance, _expired_reason(utterance))
                elif token.ended and not utterance.finished:
                    if utterance.closing_reason is not None:
                        utterance._finish("stopped", reason=utterance.closing_reason)
                    else:
                        utterance._finish("done")
                    self._active.remove(utterance)
            self._expire_locked(time.monotonic())

    def _expire_locked(self, now: float) -> None:
        """Drop what cannot start within its time to live: queued, or synthesizing with no
        audio buffered yet; buffered audio is refused by the callback and dropped here once
        that can no longer race with it starting."""
        for utterance in self._live_locked():
            if now <= utterance.deadline or utterance.token.first_sample_at is not None:
                continue
            buffered = utterance.chunks_synthesized > 0
            if not buffered or now > utterance.deadline + EXPIRY_GRACE_SECONDS:
                self._drop_locked(utterance, _expired_reason(utterance))
                self._interrupt_synthesis_locked([utterance])


def _expired_reason(utterance: Utterance) -> str:
    return f"its time to live ({utterance.ttl:g} s) ran out before it could start"


def _waiting_by_client(waiting: Sequence[Utterance]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for utterance in waiting:
        counts[utterance.client] = counts.get(utterance.client, 0) + 1
    return tuple(counts.items())
