"""Real speech through the Speaker: the Kokoro model, the null sink, a speech recognizer."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from kokoro_mcp.engine.base import AudioArray, Engine, VoiceInfo
from kokoro_mcp.speaker import Speaker
from tests import pulse
from tests.asr import transcribe, word_error_rate

pytest_plugins = ["tests.model_fixtures"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.model,
    pytest.mark.audio,
    pytest.mark.asr,
    pytest.mark.usefixtures("audio_server"),
]

TEXT = (
    "The build finished without errors. All forty two tests passed,"
    " and the coverage report is ready for you to review."
)


class RecordingEngine(Engine):
    """The real engine, keeping a copy of every chunk it synthesizes (to compare with what the
    sink received)."""

    name = "recording"

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.code_blocks = inner.code_blocks
        self.chunks: list[AudioArray] = []

    def load(self) -> None:
        self.inner.load()

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    def voices(self) -> Sequence[VoiceInfo]:
        return self.inner.voices()

    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        return self.inner.split_for_model(text, voice, first)

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        samples = self.inner.synthesize_chunk(text, voice, speed)
        self.chunks.append(np.array(samples, dtype=np.float32).reshape(-1))
        return samples


@pytest.fixture
def speaker(onnx_engine: Engine) -> Iterator[tuple[Speaker, RecordingEngine]]:
    engine = RecordingEngine(onnx_engine)
    speaker = Speaker(engine)
    speaker.start()
    assert speaker.wait_ready(60) and speaker.wait_audio(10), speaker.status()
    yield speaker, engine
    speaker.close()


def test_real_speech_is_intelligible_and_its_chunks_join_seamlessly(
    speaker: tuple[Speaker, RecordingEngine],
) -> None:
    sp, engine = speaker
    with pulse.Capture() as cap:
        utterance = sp.speak(TEXT)
        assert utterance.wait(60)
        cap.wait_played_out()
    assert utterance.state == "done", utterance.error
    assert utterance.chunks_total is not None and utterance.chunks_total >= 2
    assert len(engine.chunks) == utterance.chunks_total
    # Synthesis kept ahead of playback (with RTF ~0.3 on 2 idle cores; a machine loaded by
    # other work can push synthesis below real time, and then this rightly fails).
    audio = sp.status().audio
    load = os.getloadavg()[0]
    assert audio.underruns == 0, f"playback ran dry inside the utterance (load average {load})"
    assert audio.xruns == 0, f"the device reported underflows (load average {load})"
    # What reached the sink is exactly the synthesized chunks back to back: no gap, no click.
    played = pulse.span(cap.samples)
    np.testing.assert_array_equal(played, pulse.span(np.concatenate(engine.chunks)))
    heard = transcribe(played)
    assert word_error_rate(TEXT, heard) <= 0.25, heard
    assert utterance.time_to_first_audio is not None and utterance.time_to_first_audio < 3.0
