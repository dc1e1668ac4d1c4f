"""The Speaker with a tone engine, heard through a real PulseAudio null sink.

Every assertion is on what the sink's monitor captured. The null sink passes float32 through
unchanged, so "what played" can be compared with what the engine made sample for sample:
silence is exact zeros, and a sine burst has no exact zero except its first sample.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.errors import InvalidInputError, QueueFullError
from kokoro_mcp.speaker import Speaker, Utterance
from tests import pulse

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_server")]

RATE = 24_000
# Single-chunk texts with clearly different ToneEngine pitches.
LOW, MID, HIGH = "apple", "banana split", "cherry"

MakeSpeaker = Callable[..., Speaker]
ACTIONS = ("speak", "queue", "stop", "pause", "resume", "cancel", "status")


@pytest.fixture
def make_speaker() -> Iterator[MakeSpeaker]:
    speakers: list[Speaker] = []

    def make(engine: ToneEngine | None = None, **options: object) -> Speaker:
        speaker = Speaker(engine or ToneEngine(), **options)  # type: ignore[arg-type]
        speakers.append(speaker)
        speaker.start()
        assert speaker.wait_ready(10)
        assert speaker.wait_audio(10), speaker.status().audio
        return speaker

    yield make
    for speaker in speakers:
        speaker.close()


def expected(engine: ToneEngine, text: str) -> np.ndarray:
    return np.concatenate([chunk.samples for chunk in engine.stream(text, "af_heart")])


def pitch(engine: ToneEngine, text: str) -> float:
    return pulse.dominant_frequency(expected(engine, text)[:2400])


def assert_pitches(heard: list[float], wanted: list[float]) -> None:
    assert len(heard) == len(wanted), (heard, wanted)
    for got, want in zip(heard, wanted, strict=True):
        assert abs(got - want) < 15, (heard, wanted)


def test_utterance_plays_exactly_and_reports_progress(make_speaker: MakeSpeaker) -> None:
    engine = ToneEngine(seconds_per_word=0.1, words_per_chunk=3, latency=0.05)
    speaker = make_speaker(engine)
    text = "one two three four five six seven eight nine ten eleven"
    seen: set[int] = set()
    with pulse.Capture() as cap:
        utterance = speaker.speak(text)
        watcher = threading.Thread(
            target=lambda: [
                (seen.add(utterance.chunks_played), time.sleep(0.005))
                for _ in iter(lambda: utterance.finished, True)
            ]
        )
        watcher.start()
        time.sleep(0.4)
        status = speaker.status()
        assert status.state == "playing"
        assert status.current is not None and status.current.id == utterance.id
        assert status.current.seconds_played > 0
        assert utterance.wait(10)
        cap.wait_played_out()
    # Seamless: the chunks joined with no gap and no lost or extra sample.
    np.testing.assert_array_equal(pulse.span(cap.samples), pulse.span(expected(engine, text)))
    assert utterance.state == "done" and utterance.chunks_total == 4
    assert utterance.chunks_played == 4 and utterance.chunks_synthesized == 4
    assert utterance.time_to_first_audio is not None and utterance.time_to_first_audio < 1.0
    watcher.join(5)
    assert {1, 2, 3} <= seen, f"progress was not reported chunk by chunk: {seen}"
    status = speaker.status()
    assert status.state == "idle" and status.current is None and status.queue_length == 0
    assert status.last_time_to_first_audio == pytest.approx(utterance.time_to_first_audio, abs=1e-3)
    assert status.audio.ok and status.audio.underruns == 0


def test_queue_appends_and_plays_in_order(make_speaker: MakeSpeaker) -> None:
    engine = ToneEngine(seconds_per_word=0.3)
    speaker = make_speaker(engine)
    with pulse.Capture() as cap:
        first = speaker.speak(LOW)
        second = speaker.speak(MID, mode="queue")
        third = speaker.speak(HIGH, mode="queue")
        assert speaker.status().queue_length == 2
        assert third.wait(10)
        cap.wait_played_out()
    assert [u.state for u in (first, second, third)] == ["done"] * 3
    heard = pulse.frequency_sequence(cap.samples)
    assert_pitches(heard, [pitch(engine, LOW), pitch(engine, MID), pitch(engine, HIGH)])
    # Queued speech follows without a gap: it was synthesized while the previous one played.
    want = np.concatenate([expected(engine, t) for t in (LOW, MID, HIGH)])
    np.testing.assert_array_equal(pulse.span(cap.samples), pulse.span(want))


@pytest.mark.slow
def test_interrupt_preempts_and_drops_the_queue(make_speaker: MakeSpeaker) -> None:
    engine = ToneEngine(seconds_per_word=1.0)
    speaker = make_speaker(engine)
    with pulse.Capture() as cap:
        long_one = speaker.speak(LOW + " and more words here")
        queued = speaker.speak(MID, mode="queue")
        time.sleep(0.8)
        interrupting = speaker.speak(HIGH, mode="interrupt")
        assert interrupting.wait(10)
        cap.wait_played_out()
    assert long_one.state == "stopped" and queued.state == "stopped"
    heard = pulse.frequency_sequence(cap.samples)
    assert_pitches(heard, [pitch(engine, LOW + " and more words here"), pitch(engine, HIGH)])
    tail = pulse.nonzero(expected(engine, HIGH))
    np.testing.assert_array_equal(pulse.nonzero(cap.samples)[-len(tail) :], tail)


@pytest.mark.slow
def test_stop_silences_within_300_ms_and_drops_the_queue(make_speaker: MakeSpeaker) -> None:
    speaker = make_speaker(ToneEngine(seconds_per_word=1.0))
    with pulse.Capture() as cap:
        playing = speaker.speak("a long tone of several words")
        queued = [speaker.speak(LOW, mode="queue"), speaker.speak(MID, mode="queue")]
        time.sleep(0.8)
        stopped_at = time.monotonic()
        assert speaker.stop() == 3
        time.sleep(1.0)
        samples = cap.samples
        last_sound = int(np.flatnonzero(pulse.loud(samples))[-1])
        silence_after = cap.time_of(last_sound) - stopped_at
    assert silence_after < 0.3, f"sound went on {silence_after * 1000:.0f} ms after stop()"
    assert [u.state for u in (playing, *queued)] == ["stopped"] * 3
    assert all(u.wait(0) for u in (playing, *queued))
    status = speaker.status()
    assert status.state == "idle" and status.queue_length == 0
    assert speaker.stop() == 0


@pytest.mark.slow
def test_pause_leaves_a_gap_of_the_paused_length_and_resume_loses_nothing(
    make_speaker: MakeSpeaker,
) -> None:
    engine = ToneEngine(seconds_per_word=0.25, words_per_chunk=2)
    speaker = make_speaker(engine)
    text = "one two three four five six seven eight"
    with pulse.Capture() as cap:
        utterance = speaker.speak(text)
        time.sleep(0.7)
        assert speaker.pause()
        assert not speaker.pause()
        assert speaker.status().state == "paused"
        time.sleep(0.8)
        assert speaker.resume()
        assert not speaker.resume()
        assert utterance.wait(10)
        cap.wait_played_out()
    samples = cap.samples
    sound = np.flatnonzero(samples)
    inner_gaps = np.diff(sound)
    longest = int(inner_gaps.max()) / RATE
    assert 0.65 < longest < 0.95, f"paused 0.8 s, gap at the sink {longest:.3f} s"
    np.testing.assert_array_equal(pulse.nonzero(samples), pulse.nonzero(expected(engine, text)))


def test_cancel_skips_one_queued_utterance(make_speaker: MakeSpeaker) -> None:
    engine = ToneEngine(seconds_per_word=0.3)
    speaker = make_speaker(engine)
    with pulse.Capture() as cap:
        speaker.speak(LOW)
        skipped = speaker.speak(MID, mode="queue")
        last = speaker.speak(HIGH, mode="queue")
        assert speaker.cancel(skipped.id)
        assert not speaker.cancel(skipped.id)
        assert last.wait(10)
        cap.wait_played_out()
    assert skipped.state == "stopped"
    assert_pitches(pulse.frequency_sequence(cap.samples), [pitch(engine, LOW), pitch(engine, HIGH)])


def test_keep_alive_tone_fills_the_silence(make_speaker: MakeSpeaker) -> None:
    speaker = make_speaker(keep_alive=True)
    with pulse.Capture() as cap:
        time.sleep(1.2)
    samples = cap.samples[-RATE:]
    assert 0.008 < float(np.max(np.abs(samples))) <= 0.0101
    assert abs(pulse.dominant_frequency(samples) - 10.0) < 2.0
    assert speaker.status().state == "idle"


def test_bad_input_is_refused_at_once(make_speaker: MakeSpeaker) -> None:
    speaker = make_speaker()
    for bad in ("", "   \n"):
        with pytest.raises(InvalidInputError, match="empty"):
            speaker.speak(bad)
    with pytest.raises(InvalidInputError, match="unknown voice"):
        speaker.speak("hello", voice="af_hart")
    with pytest.raises(InvalidInputError, match="speed"):
        speaker.speak("hello", speed=9)
    with pytest.raises(InvalidInputError, match="mode"):
        speaker.speak("hello", mode="later")  # type: ignore[arg-type]
    assert speaker.status().current is None


def test_queue_is_bounded(make_speaker: MakeSpeaker) -> None:
    speaker = make_speaker(ToneEngine(seconds_per_word=1.0), max_queue=2)
    speaker.speak(LOW)
    speaker.speak(MID, mode="queue")
    speaker.speak(HIGH, mode="queue")
    with pytest.raises(QueueFullError, match="queue is full"):
        speaker.speak("one more", mode="queue")
    assert speaker.status().queue_length == 2
    speaker.speak("replaces everything")  # interrupt is never refused
    assert speaker.status().queue_length == 0


@pytest.mark.slow
@pytest.mark.parametrize("manners", [False, True], ids=["plain", "with-manners"])
def test_concurrent_calls_never_deadlock_or_play_stale_audio(
    make_speaker: MakeSpeaker, manners: bool
) -> None:
    """With manners, speech also comes with random priorities, short ttls and replace keys:
    the urgent lane, deadlines and closing must hold up under the same hammering."""
    engine = ToneEngine(seconds_per_word=0.05, words_per_chunk=2, latency=0.01)
    speaker = make_speaker(engine, max_queue=4)
    errors: list[BaseException] = []
    handles: list[Utterance] = []
    deadline = time.monotonic() + 3.0

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while time.monotonic() < deadline:
                action = rng.choice(
                    ["speak", "queue", "stop", "pause", "resume", "cancel", "status"]
                )
                if action in ("speak", "queue"):
                    words = " ".join(rng.choice(["alpha", "beta", "gamma"]) for _ in range(5))
                    mode = "interrupt" if action == "speak" else "queue"
                    extra: dict[str, Any] = {}
                    if manners:
                        extra = {
                            "priority": rng.choice(["low", "normal", "high"]),
                            "ttl": rng.choice([None, 0.1, 0.3]),
                            "replace": rng.choice([None, "k1", "k2"]),
                            "owner": rng.choice(["a", "b"]),
                        }
                    with contextlib.suppress(QueueFullError):
                        handles.append(speaker.speak(words, mode=mode, **extra))
                elif action == "cancel" and handles:
                    speaker.cancel(rng.choice(handles).id)
                elif action == "status":
                    speaker.status()
                else:
                    getattr(speaker, action)()
                time.sleep(rng.random() * 0.02)
        except BaseException as exc:
            errors.append(exc)

    with pulse.Capture() as cap:
        threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert not any(thread.is_alive() for thread in threads), "a call deadlocked"
        assert not errors, errors
        stopped_at = time.monotonic()
        speaker.stop()
        assert all(u.wait(2) for u in handles), "an utterance never finished after stop()"
        time.sleep(0.8)
        quiet_from = cap.index_at(stopped_at + 0.3)
        final_from = cap.frames
        final_text = "delta epsilon"
        final = speaker.speak(final_text)
        assert final.wait(10)
        cap.wait_played_out()
    samples = cap.samples
    assert not samples[quiet_from:final_from].any(), "audio played 300 ms after stop()"
    np.testing.assert_array_equal(
        pulse.span(samples[final_from:]), pulse.span(expected(engine, final_text))
    )
    assert speaker.status().state == "idle"


def test_wait_idle_waits_for_playback_and_synthesis(make_speaker: MakeSpeaker) -> None:
    speaker = make_speaker(ToneEngine(seconds_per_word=0.2, latency=0.4, words_per_chunk=1))
    assert speaker.wait_idle(0)
    speaker.speak("one two three")
    assert not speaker.wait_idle(0.2)
    speaker.stop()
    # The chunk being computed when stop() came still finishes (engines can't be interrupted
    # mid-chunk), and wait_idle covers it; none of it is played.
    assert speaker.wait_idle(2)
    assert speaker.status().state == "idle"


class InterruptibleToneEngine(ToneEngine):
    """A tone engine whose chunks take `latency` seconds unless `interrupt()` cuts them short,
    as a backend that can abort a model run would."""

    def __init__(self, **options: float) -> None:
        super().__init__(**options)
        self._interrupted = threading.Event()
        self.interrupts = 0

    def interrupt(self) -> None:
        self.interrupts += 1
        self._interrupted.set()

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> np.ndarray:
        self._interrupted.clear()
        if "slow" in text and self._interrupted.wait(self.latency):
            raise RuntimeError("interrupted")
        return ToneEngine(seconds_per_word=self.seconds_per_word).synthesize_chunk(
            text, voice, speed
        )


def test_interrupt_abandons_the_chunk_being_synthesized(make_speaker: MakeSpeaker) -> None:
    engine = InterruptibleToneEngine(seconds_per_word=0.2, latency=3.0, words_per_chunk=3)
    speaker = make_speaker(engine)
    first = speaker.speak("slow slow slow slow slow slow")
    time.sleep(0.5)  # inside the first 3-second chunk
    second = speaker.speak("quick quick")
    assert engine.interrupts == 1
    assert second.wait(10)
    assert first.state == "stopped" and first.chunks_synthesized == 0
    assert second.state == "done" and second.error is None
    # without interrupt() the new speech would have waited ~2.5 s for the old chunk
    assert second.time_to_first_audio is not None and second.time_to_first_audio < 1.0
    assert speaker.stop() == 0 and engine.interrupts == 1  # nothing was being synthesized


@pytest.mark.slow
def test_owners_never_cut_each_other_off_and_an_interrupt_replaces_only_its_owners_speech(
    make_speaker: MakeSpeaker,
) -> None:
    """Agent A speaks; agent B interrupts (waits for A's utterance instead of cutting it);
    A interrupts itself (its queued speech is replaced, B's stays); stop silences everyone."""
    engine = ToneEngine(seconds_per_word=0.5)
    speaker = make_speaker(engine)
    first_a = "apple pie today"  # 1.5 s
    queued_a, b_text, new_a = MID, HIGH, "damson"
    with pulse.Capture() as cap:
        a1 = speaker.speak(first_a, owner="a", client="agent-a")
        a2 = speaker.speak(queued_a, mode="queue", owner="a", client="agent-a")
        time.sleep(0.4)
        b1 = speaker.speak(b_text, owner="b", client="agent-b")
        status = speaker.status()
        assert status.current is not None and status.current.client == "agent-a"
        assert dict(status.waiting) == {"agent-b": 1, "agent-a": 1}
        a3 = speaker.speak(new_a, owner="a", client="agent-a")  # replaces a1 and a2 only
        assert b1.wait(10) and a3.wait(10)
        time.sleep(0.3)
    assert (a1.state, a2.state, b1.state, a3.state) == ("stopped", "stopped", "done", "done")
    heard = pulse.frequency_sequence(cap.samples)
    assert_pitches(heard, [pitch(engine, first_a), pitch(engine, b_text), pitch(engine, new_a)])
    # b1 and a3 were heard whole; a1 was cut by its own owner's interrupt.
    tail = np.concatenate([pulse.nonzero(expected(engine, t)) for t in (b_text, new_a)])
    np.testing.assert_array_equal(pulse.nonzero(cap.samples)[-len(tail) :], tail)

    with pulse.Capture() as cap:
        speaker.speak(LOW + " and more", owner="a")
        speaker.speak(MID, mode="queue", owner="b")
        time.sleep(0.4)
        assert speaker.stop() == 2
        time.sleep(0.4)
        assert not pulse.loud(cap.samples[-int(0.2 * RATE) :]).any()
