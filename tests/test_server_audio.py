"""Real clients, real audio: the SDK client over stdio drives the server while the private
PulseAudio null sink records what was really played.

Control tests (stop, cancel, pause/resume) use the tone engine, whose bursts make sound and
silence easy to tell apart; the speech test uses the real model and a speech recognizer.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import numpy as np
import pytest
from mcp import ClientSession

from tests import pulse
from tests.asr import transcribe, word_error_rate
from tests.mcp_helpers import TONE, connect, structured

# Each starts a server process (and with it the shared daemon) and plays real audio: a few
# seconds apiece, so the group is `slow`.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.mcp,
    pytest.mark.audio,
    pytest.mark.usefixtures("audio_server"),
]

LONG_TEXT = " ".join(["word"] * 40)  # 8 s of tone in 5 chunks


async def _ready(session: ClientSession, timeout: float = 120.0) -> None:
    status: dict[str, Any] = {}
    with anyio.move_on_after(timeout):
        while True:
            status = structured(await session.call_tool("status", {}))
            if status["state"] == "idle" and (status["audio"] or {}).get("ok"):
                return
            await anyio.sleep(0.05)
    raise AssertionError(f"server not ready after {timeout} s: {status}")


async def _until_sound(capture: pulse.Capture, timeout: float = 10.0) -> float:
    with anyio.fail_after(timeout):
        while (index := pulse.first_sound(capture.samples)) is None:
            await anyio.sleep(0.02)
    return capture.time_of(index)


def _last_sound_time(capture: pulse.Capture) -> float:
    loud = np.flatnonzero(np.abs(capture.samples) > 0.02)
    assert loud.size, "nothing was played"
    return capture.time_of(int(loud[-1]))


def test_stop_ends_a_waiting_speak_and_silences_the_sink() -> None:
    async def scenario() -> None:
        with pulse.Capture() as capture:
            async with connect(TONE) as session:
                await _ready(session)
                outcome: dict[str, Any] = {}

                async def speak() -> None:
                    result = await session.call_tool("speak", {"text": LONG_TEXT, "wait": True})
                    outcome.update(structured(result))
                    outcome["returned_at"] = time.monotonic()

                async with anyio.create_task_group() as group:
                    group.start_soon(speak)
                    await _until_sound(capture)
                    await anyio.sleep(0.5)
                    stopped_at = time.monotonic()
                    stop = structured(await session.call_tool("stop", {}))
                assert stop["changed"] is True and stop["dropped"] == 1
                assert outcome["state"] == "stopped"
                assert outcome["returned_at"] - stopped_at < 1.0
                await anyio.sleep(0.8)
                assert _last_sound_time(capture) - stopped_at < 0.5
                status = structured(await session.call_tool("status", {}))
                assert status["state"] == "idle" and status["current"] is None

    anyio.run(scenario)


def test_client_cancellation_stops_the_speech() -> None:
    async def scenario() -> None:
        with pulse.Capture() as capture:
            async with connect(TONE) as session:
                await _ready(session)
                cancelled_at = 0.0
                with anyio.move_on_after(30) as scope:
                    async with anyio.create_task_group() as group:

                        async def speak() -> None:
                            await session.call_tool("speak", {"text": LONG_TEXT, "wait": True})

                        group.start_soon(speak)
                        await _until_sound(capture)
                        await anyio.sleep(0.5)
                        cancelled_at = time.monotonic()
                        # Abandoning the request makes the SDK send notifications/cancelled.
                        group.cancel_scope.cancel()
                assert not scope.cancelled_caught
                await anyio.sleep(1.0)
                assert _last_sound_time(capture) - cancelled_at < 0.6
                status = structured(await session.call_tool("status", {}))
                assert status["state"] == "idle" and status["current"] is None
                # The server still serves speech afterwards.
                again = structured(
                    await session.call_tool("speak", {"text": "one two", "wait": True})
                )
                assert again["state"] == "finished"

    anyio.run(scenario)


def test_pause_holds_the_speech_and_resume_continues_it() -> None:
    async def scenario() -> None:
        with pulse.Capture() as capture:
            async with connect(TONE) as session:
                await _ready(session)
                text = " ".join(["word"] * 15)  # 3 s of tone
                accepted = structured(await session.call_tool("speak", {"text": text}))
                assert accepted["state"] == "accepted"
                await _until_sound(capture)
                await anyio.sleep(0.5)
                paused = structured(await session.call_tool("pause", {}))
                assert paused["changed"] is True and paused["state"] == "paused"
                again = structured(await session.call_tool("pause", {}))
                assert again["changed"] is False  # idempotent
                paused_at = time.monotonic()
                await anyio.sleep(1.5)
                status = structured(await session.call_tool("status", {}))
                assert status["state"] == "paused"
                played_while_paused = status["current"]["seconds_played"]
                resumed_at = time.monotonic()
                resumed = structured(await session.call_tool("resume", {}))
                assert resumed["changed"] is True
                assert not structured(await session.call_tool("resume", {}))["changed"]
                with anyio.fail_after(15):
                    while structured(await session.call_tool("status", {}))["state"] != "idle":
                        await anyio.sleep(0.1)
                await anyio.sleep(0.3)
                samples = capture.samples
        start = capture.index_at(paused_at + 0.4)
        end = capture.index_at(resumed_at)
        assert end - start > pulse.SAMPLE_RATE  # over a second of capture while paused
        assert pulse.first_sound(samples[start:end]) is None, "sound while paused"
        assert pulse.first_sound(samples, start=end) is not None, "no sound after resume"
        total = np.count_nonzero(np.abs(samples) > 0.02) / pulse.SAMPLE_RATE
        assert 2.5 < total < 3.5, f"{total:.2f} s of sound; expected the whole 3 s once"
        assert 0.3 < played_while_paused < 2.5

    anyio.run(scenario)


def test_queue_mode_plays_after_the_current_speech() -> None:
    async def scenario() -> None:
        with pulse.Capture():
            async with connect(TONE) as session:
                await _ready(session)
                first = structured(await session.call_tool("speak", {"text": "a b c d e"}))
                second = structured(
                    await session.call_tool(
                        "speak", {"text": "f g h", "mode": "queue", "wait": True}
                    )
                )
                assert second["state"] == "finished"
                assert first["state"] == "accepted"
                status = structured(await session.call_tool("status", {}))
                assert len(status["recent_time_to_first_audio"]) == 2  # both were played

    anyio.run(scenario)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.asr
def test_speech_reaches_the_sink_and_is_understood() -> None:
    sentence = "Hello, this is a test of the Kokoro speech engine."

    async def scenario() -> tuple[dict[str, Any], np.ndarray]:
        with pulse.Capture() as capture:
            async with connect(read_timeout=120) as session:
                await _ready(session)
                result = structured(
                    await session.call_tool("speak", {"text": sentence, "wait": True})
                )
                await anyio.sleep(0.3)
                return result, capture.samples

    result, samples = anyio.run(scenario)
    assert result["state"] == "finished"
    assert result["voice"] == "af_heart" and result["characters"] == len(sentence)
    assert result["time_to_first_audio"] is not None
    heard = transcribe(samples, pulse.SAMPLE_RATE)
    error = word_error_rate(sentence, heard)  # "Kokoro" may come back as "Kakoro"
    assert error <= 0.2, f"heard {heard!r} (WER {error:.2f})"


def test_audio_latency_setting_reaches_the_device() -> None:
    async def scenario() -> None:
        for asked in (0.02, 0.2):
            async with connect({**TONE, "KOKORO_MCP_AUDIO_LATENCY": str(asked)}) as session:
                await _ready(session)
                audio = structured(await session.call_tool("status", {}))["audio"]
                # PortAudio rounds to whole device periods: near, not equal.
                assert asked * 0.5 <= audio["latency"] <= asked * 2, audio

    anyio.run(scenario)
