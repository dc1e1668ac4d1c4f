"""AudioBuffer and the keep-alive tone, driven the way the PortAudio callback drives them."""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np

from kokoro_mcp.audio import KEEP_ALIVE_HZ, AudioBuffer, KeepAliveTone, PlaybackToken

RATE = 24_000


def ramp(start: int, count: int) -> np.ndarray:
    return (np.arange(start, start + count, dtype=np.float32) + 1) / 100_000


def drain(buffer: AudioBuffer, frames: int, block: int = 256) -> np.ndarray:
    out = np.empty(frames, dtype=np.float32)
    for start in range(0, frames, block):
        buffer.fill(out[start : start + block])
    return out


def test_chunks_play_in_order_across_callback_boundaries_then_silence() -> None:
    buffer = AudioBuffer(RATE)
    token = PlaybackToken(1, 0)
    buffer.push(ramp(0, 1000), token)
    buffer.push(ramp(1000, 777), token)
    buffer.push_end(token)
    out = drain(buffer, 2560, block=300)
    np.testing.assert_array_equal(out[:1777], ramp(0, 1777))
    assert not out[1777:].any()
    assert token.ended and token.chunks_finished == 2 and token.frames_played == 1777
    assert token.first_sample_at is not None
    assert buffer.underruns == 0


def test_pause_holds_position_and_resume_loses_nothing() -> None:
    buffer = AudioBuffer(RATE)
    token = PlaybackToken(1, 0)
    buffer.push(ramp(0, 3000), token)
    first = drain(buffer, 1000)
    buffer.paused = True
    held = drain(buffer, 5000)
    buffer.paused = False
    rest = drain(buffer, 2000)
    assert not held.any()
    np.testing.assert_array_equal(np.concatenate([first, rest]), ramp(0, 3000))


def test_the_players_hold_is_not_the_users_pause() -> None:
    """The player holds the buffer while it moves devices; a pause made meanwhile stays."""
    buffer = AudioBuffer(RATE)
    buffer.push(ramp(0, 3000), PlaybackToken(1, 0))
    parts = [drain(buffer, 1000)]
    buffer.held = True
    buffer.paused = True
    silent = [drain(buffer, 4000)]
    buffer.held = False
    silent.append(drain(buffer, 1000))  # the end of the move does not resume the user
    buffer.paused = False
    parts.append(drain(buffer, 2000))
    assert not np.concatenate(silent).any()
    assert buffer.underruns == 0  # holding is not running dry
    np.testing.assert_array_equal(np.concatenate(parts), ramp(0, 3000))


def test_cancelled_and_older_generations_are_never_played() -> None:
    buffer = AudioBuffer(RATE)
    old, cancelled, live = PlaybackToken(1, 0), PlaybackToken(2, 1), PlaybackToken(3, 1)
    buffer.push(np.full(500, 0.5, np.float32), old)
    buffer.push(np.full(500, 0.7, np.float32), cancelled)
    buffer.push(ramp(0, 500), live)
    drain(buffer, 100)  # `old` is now in flight inside the callback
    buffer.min_generation = 1
    cancelled.cancelled = True
    out = drain(buffer, 1000)
    np.testing.assert_array_equal(out[:500], ramp(0, 500))
    assert not out[500:].any()
    assert cancelled.frames_played == 0


def test_clear_drops_queued_audio_and_raises_the_generation() -> None:
    buffer = AudioBuffer(RATE)
    token = PlaybackToken(1, 0)
    buffer.push(np.ones(5000, np.float32) * 0.3, token)
    drain(buffer, 256)  # one chunk in flight, not in the queue any more
    buffer.clear(min_generation=1)
    assert not buffer._queue
    assert not drain(buffer, 5000).any()


def test_underrun_counted_only_inside_an_unfinished_utterance() -> None:
    buffer = AudioBuffer(RATE)
    token = PlaybackToken(1, 0)
    drain(buffer, 1000)  # idle before anything was queued: not an underrun
    buffer.push(ramp(0, 500), token)
    drain(buffer, 2000)  # ran dry before the end marker: one underrun, however long
    assert buffer.underruns == 1
    buffer.push(ramp(0, 500), token)
    buffer.push_end(token)
    drain(buffer, 2000)  # finished cleanly: no new underrun
    assert buffer.underruns == 1


def test_keep_alive_fills_silence_with_a_continuous_inaudible_tone() -> None:
    buffer = AudioBuffer(RATE, keep_alive=True)
    out = drain(buffer, RATE, block=333)
    amplitude = float(np.max(np.abs(out)))
    assert 0.009 < amplitude <= 0.0101  # -40 dBFS
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * RATE / len(out) - KEEP_ALIVE_HZ) < 1.0
    # continuous across callback boundaries: same as one long tone
    reference = np.empty(RATE, np.float32)
    KeepAliveTone(RATE).fill(reference)
    np.testing.assert_allclose(out, reference, atol=1e-7)


def test_fill_allocates_no_sample_memory() -> None:
    buffer = AudioBuffer(RATE, keep_alive=True)
    token = PlaybackToken(1, 0)
    for _ in range(50):
        buffer.push(np.ones(4096, np.float32) * 0.2, token)
    out = np.empty(4096, dtype=np.float32)
    buffer.fill(out)  # warm up
    tracemalloc.start()
    try:
        for i in range(100):
            buffer.paused = i % 10 == 5
            buffer.fill(out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4096  # one block of samples would be 16 KiB


def test_producer_and_consumer_threads_keep_every_sample_in_order() -> None:
    buffer = AudioBuffer(RATE)
    token = PlaybackToken(1, 0)
    total = 200 * 480
    expected = ramp(0, total)

    def produce() -> None:
        for start in range(0, total, 480):
            buffer.push(expected[start : start + 480], token)
        buffer.push_end(token)

    producer = threading.Thread(target=produce)
    producer.start()
    got: list[np.ndarray] = []
    out = np.empty(256, dtype=np.float32)
    while not token.ended:
        buffer.fill(out)
        got.append(out.copy())
    producer.join()
    played = np.concatenate(got)
    np.testing.assert_array_equal(played[played != 0], expected)
