"""Audio faults with a real PulseAudio server: missing, killed, frozen, re-routed.

The `audio_server` fixture restarts/thaws the server and restores the default sink after each
test, so the other audio tests always find it running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest

from kokoro_mcp.audio.default_output import (
    CoreAudioDefaultOutput,
    DefaultOutputProbe,
    system_probe,
)
from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.errors import AudioDeviceError
from kokoro_mcp.say import speak_blocking
from kokoro_mcp.speaker import Speaker
from tests import pulse
from tests.waiting import wait_until

# Each kills, freezes or re-routes the sound server and waits for the Speaker to notice:
# a few seconds apiece, so the group is `slow`.
pytestmark = [pytest.mark.slow, pytest.mark.audio, pytest.mark.usefixtures("audio_server")]


@pytest.fixture
def speakers() -> Iterator[list[Speaker]]:
    made: list[Speaker] = []
    yield made
    for speaker in made:
        speaker.close()


def started(
    speakers: list[Speaker],
    engine: ToneEngine | None = None,
    default_probe: DefaultOutputProbe | None = None,
) -> Speaker:
    # Linux follows the default sink by itself ("system" picks no probe here); the tests that
    # exercise following the default the macOS way hand in the PulseAudio probe.
    speaker = Speaker(engine or ToneEngine(seconds_per_word=0.3), default_probe=default_probe)
    speakers.append(speaker)
    speaker.start()
    assert speaker.wait_ready(10)
    return speaker


def expected(engine: ToneEngine, text: str) -> np.ndarray:
    return np.concatenate([chunk.samples for chunk in engine.stream(text, "af_heart")])


def test_no_device_at_start_then_playback_begins_when_one_appears(
    speakers: list[Speaker],
) -> None:
    pulse.stop_server()
    speaker = started(speakers, ToneEngine(seconds_per_word=0.5))
    assert wait_until(lambda: speaker.status().audio.problem is not None, 5) is not None
    status = speaker.status()
    assert status.state == "error" and not status.audio.ok
    assert "no audio output device" in (status.audio.problem or "")
    assert "sound server" in (status.audio.hint or "") and "--output" in (status.audio.hint or "")
    utterance = speaker.speak("waiting for a device to appear")  # accepted, held
    time.sleep(0.5)
    assert utterance.state in ("synthesizing", "queued")
    pulse.start_server()
    with pulse.Capture() as cap:
        assert speaker.wait_audio(10), speaker.status().audio
        assert utterance.wait(15)
        cap.wait_played_out()
    assert utterance.state == "done"
    assert pulse.loud(cap.samples).sum() > 0.5 * 24_000  # most of its 2.5 s was heard
    status = speaker.status()
    assert status.audio.ok and status.audio.problem is None and status.state == "idle"


def test_server_killed_mid_utterance_is_detected_and_recovered(speakers: list[Speaker]) -> None:
    engine = ToneEngine(seconds_per_word=1.0)
    speaker = started(speakers, engine)
    assert speaker.wait_audio(10)
    speaker.speak("a long utterance that the crash cuts off")
    time.sleep(0.6)
    killed_at = time.monotonic()
    pulse.kill_server()
    noticed = wait_until(lambda: not speaker.status().audio.ok, 3)
    assert noticed is not None and time.monotonic() - killed_at < 1.0 + 0.3
    status = speaker.status()
    assert status.state == "error"
    assert "audio output lost" in (status.audio.problem or ""), status.audio
    assert status.audio.hint
    # the Speaker stays usable while the server is gone
    assert speaker.stop() == 1
    pulse.start_server()
    assert speaker.wait_audio(10), speaker.status().audio
    assert speaker.status().audio.reconnects >= 1
    text = "after the crash"
    with pulse.Capture() as cap:
        after = speaker.speak(text)
        assert after.wait(10)
        cap.wait_played_out()
    np.testing.assert_array_equal(pulse.span(cap.samples), pulse.span(expected(engine, text)))


def test_frozen_server_never_hangs_the_speaker(speakers: list[Speaker]) -> None:
    engine = ToneEngine(seconds_per_word=1.0)
    speaker = started(speakers, engine)
    assert speaker.wait_audio(10)
    speaker.speak("the server is about to freeze in the middle of this")
    time.sleep(0.5)
    pulse.freeze_server()
    try:
        noticed = wait_until(lambda: not speaker.status().audio.ok, 4)
        assert noticed is not None and noticed < 2.0 + 0.6  # the watchdog, plus its poll
        assert "stopped asking for audio" in (speaker.status().audio.problem or "")
        for call in (
            lambda: speaker.speak("still answering", mode="queue"),
            speaker.status,
            speaker.pause,
            speaker.resume,
            speaker.stop,
        ):
            began = time.monotonic()
            call()
            assert time.monotonic() - began < 0.2
        other = started(speakers, engine)  # a second Speaker, closed while the server is frozen
        began = time.monotonic()
        other.close(timeout=1.0)
        assert time.monotonic() - began < 2.0
    finally:
        pulse.resume_server()
    assert speaker.wait_audio(15), speaker.status().audio
    text = "thawed"
    with pulse.Capture() as cap:
        after = speaker.speak(text)
        assert after.wait(10)
        cap.wait_played_out()
    np.testing.assert_array_equal(pulse.span(cap.samples), pulse.span(expected(engine, text)))


def test_switching_the_default_sink_moves_playback(speakers: list[Speaker]) -> None:
    engine = ToneEngine(seconds_per_word=0.4)
    speaker = started(speakers, engine)
    assert speaker.wait_audio(10)
    with pulse.Capture(pulse.SINK) as before:
        assert speaker.speak("on the first sink").wait(10)
        before.wait_played_out()
    # Changing the default sink also moves recordings of "the default monitor", so the
    # captures for the second utterance start after the switch.
    pulse.set_default_sink(pulse.SINK2)
    time.sleep(0.3)
    with pulse.Capture(pulse.SINK) as first, pulse.Capture(pulse.SINK2) as second:
        assert speaker.speak("now on the second").wait(10)
        second.wait_played_out()
    want_first = pulse.span(expected(engine, "on the first sink"))
    want_second = pulse.span(expected(engine, "now on the second"))
    np.testing.assert_array_equal(pulse.span(before.samples), want_first)
    np.testing.assert_array_equal(pulse.span(second.samples), want_second)
    assert not first.samples.any(), "the second utterance also played on tts_sink"


@pytest.mark.parametrize("probe", [True, False], ids=["probe", "no-probe"])
def test_a_default_output_change_reopens_the_stream_where_a_probe_says_so(
    speakers: list[Speaker], probe: bool
) -> None:
    """What macOS needs (its streams stay on the device they were opened on), driven by
    PulseAudio's default sink name as the probe: the player sees the new default and reopens
    there; without a probe it leaves the stream alone (as Linux needs nothing)."""
    engine = ToneEngine(seconds_per_word=0.3)
    speaker = started(speakers, engine, pulse.default_sink if probe else None)
    assert speaker.wait_audio(10)
    reconnects = speaker.status().audio.reconnects
    pulse.set_default_sink(pulse.SINK2)
    moved = wait_until(lambda: speaker.status().audio.reconnects > reconnects, 4)
    if not probe:
        assert moved is None
        return
    assert moved is not None, "the player did not reopen on the new default"
    assert speaker.wait_audio(5)
    with pulse.Capture(pulse.SINK) as first, pulse.Capture(pulse.SINK2) as second:
        assert speaker.speak("now on the second").wait(10)
        second.wait_played_out()
    np.testing.assert_array_equal(
        pulse.span(second.samples), pulse.span(expected(engine, "now on the second"))
    )
    assert not first.samples.any()
    assert speaker.status().audio.ok


def without_silences(samples: np.ndarray, shortest: int = 24) -> np.ndarray:
    """`samples` with every run of at least `shortest` exact zeros taken out."""
    silent = samples == 0
    keep = np.ones(len(samples), dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= shortest:
            keep[start:end] = False
    return samples[keep]


def test_moving_to_a_new_default_mid_utterance_loses_no_audio(speakers: list[Speaker]) -> None:
    engine = ToneEngine(seconds_per_word=0.4)
    speaker = started(speakers, engine, pulse.default_sink)
    assert speaker.wait_audio(10)
    reconnects = speaker.status().audio.reconnects
    text = "one two three four five six seven eight"
    with pulse.Capture(pulse.SINK) as first, pulse.Capture(pulse.SINK2) as second:
        utterance = speaker.speak(text)
        assert wait_until(lambda: pulse.first_sound(first.samples) is not None, 5) is not None
        time.sleep(0.5)
        pulse.set_default_sink(pulse.SINK2)
        assert utterance.wait(15)
        second.wait_played_out()
    assert speaker.status().audio.reconnects == reconnects + 1
    # PulseAudio moves the running stream to the new default at once; the player reopens
    # there within a second, leaving a short silent gap. Without that gap, the new sink got
    # exactly the rest of the utterance: dropping what the old stream's device held (~50 ms)
    # or replaying any of it would break the equality.
    moved = without_silences(pulse.span(second.samples))
    whole = without_silences(pulse.span(expected(engine, text)))
    assert len(moved) > 0.3 * len(whole)
    assert len(pulse.span(second.samples)) - len(moved) >= 0.02 * engine.sample_rate  # the gap
    np.testing.assert_array_equal(moved, whole[-len(moved) :])


def test_speak_blocking_plays_to_the_end(speakers: list[Speaker]) -> None:
    engine = ToneEngine(seconds_per_word=0.2, words_per_chunk=2)
    text = "say it out loud now"
    with pulse.Capture() as cap:
        utterance = speak_blocking(engine, text)
        assert utterance.state == "done"
    # returns only after the last sample reached the sink
    np.testing.assert_array_equal(pulse.span(cap.samples), pulse.span(expected(engine, text)))


def test_speak_blocking_without_a_device_points_to_output() -> None:
    pulse.stop_server()
    began = time.monotonic()
    with pytest.raises(AudioDeviceError, match=r"no audio output.*--output"):
        speak_blocking(ToneEngine(), "nobody will hear this", audio_timeout=1.0)
    assert time.monotonic() - began < 4.0


@pytest.mark.skipif(sys.platform == "darwin", reason="tells what other systems do")
def test_other_systems_need_no_probe_and_coreaudio_says_it_is_missing() -> None:
    assert system_probe() is None  # ALSA's default follows the sound server's default sink
    with pytest.raises(OSError, match="CoreAudio"):
        CoreAudioDefaultOutput()
