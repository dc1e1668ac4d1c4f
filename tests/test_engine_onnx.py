"""The real Kokoro model on ONNX Runtime, checked by ear (a speech recognizer)."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np
import pytest

from kokoro_mcp.engine.base import SAMPLE_RATE
from kokoro_mcp.engine.onnx import MAX_PHONEMES, OnnxEngine
from kokoro_mcp.errors import InvalidInputError, UnsupportedLanguageError
from tests.asr import transcribe, word_error_rate

pytest_plugins = ["tests.model_fixtures"]
pytestmark = [pytest.mark.model]

SENTENCES = [
    "The build finished and all of the tests passed.",
    "Please review the changes before you merge them into the main branch.",
    "I found three problems in the configuration file.",
    "Your meeting with the design team starts in ten minutes.",
]
VOICES = ["af_heart", "am_michael", "bf_emma", "bm_george"]


def speak(engine: OnnxEngine, text: str, voice: str = "af_heart", speed: float = 1.0) -> np.ndarray:
    chunks = [chunk.samples for chunk in engine.stream(text, voice, speed)]
    return np.concatenate(chunks)


@pytest.mark.slow
@pytest.mark.asr
@pytest.mark.parametrize("voice", VOICES)
def test_voices_are_intelligible(onnx_engine: OnnxEngine, voice: str) -> None:
    for index, sentence in enumerate(SENTENCES[:3]):
        heard = transcribe(speak(onnx_engine, sentence, voice))
        own = word_error_rate(sentence, heard)
        other = word_error_rate(SENTENCES[(index + 1) % len(SENTENCES)], heard)
        assert own <= 0.15, f"{voice}: {sentence!r} was heard as {heard!r}"
        assert other >= own + 0.5, f"{voice}: transcript {heard!r} is not clearly its own"


@pytest.mark.slow
def test_speed_changes_duration(onnx_engine: OnnxEngine) -> None:
    text = SENTENCES[1]
    normal = speak(onnx_engine, text, speed=1.0)
    fast = speak(onnx_engine, text, speed=1.5)
    slow = speak(onnx_engine, text, speed=0.75)
    assert len(fast) / len(normal) == pytest.approx(1 / 1.5, rel=0.15)
    assert len(slow) / len(normal) == pytest.approx(1 / 0.75, rel=0.15)


@pytest.mark.slow
@pytest.mark.asr
def test_chunked_paragraph_matches_whole_transcript(onnx_engine: OnnxEngine) -> None:
    paragraph = (
        "I updated the parser to handle empty files. "
        "The old version crashed when the input had no lines at all. "
        "Now it returns an empty list, and the caller shows a friendly message instead."
    )
    chunks = list(onnx_engine.stream(paragraph, "af_heart"))
    assert len(chunks) >= 3, "a paragraph should stream as several chunks"
    assert len(chunks[0].text.split()) <= 10, "the first chunk must be short"
    chunked = transcribe(np.concatenate([c.samples for c in chunks]))
    whole = transcribe(
        onnx_engine.synthesize_phonemes(
            onnx_engine.phonemize(paragraph, "af_heart")[:MAX_PHONEMES], "af_heart", 1.0
        )
    )
    assert word_error_rate(paragraph, chunked) <= 0.15, chunked
    assert word_error_rate(whole, chunked) <= 0.2, (whole, chunked)


def test_cancellation_between_chunks_stops_the_stream(onnx_engine: OnnxEngine) -> None:
    text = " ".join(SENTENCES * 5)
    produced = []
    for chunk in onnx_engine.stream(text, "af_heart", cancelled=lambda: len(produced) >= 2):
        produced.append(chunk)
    assert len(produced) == 2


@pytest.mark.slow
def test_one_megabyte_text_streams(onnx_engine: OnnxEngine) -> None:
    text = ("This sentence repeats to make a very long text for streaming. " * 16_500)[:1_000_000]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    stream = onnx_engine.stream(text, "af_heart")
    first = next(stream)
    second = next(stream)
    elapsed = time.perf_counter() - started
    stream.close()
    assert first.samples.size > 0 and second.samples.size > 0
    assert elapsed < 30, "the first chunks of a long text must not wait for the whole text"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert grown_mb < 200, f"memory grew {grown_mb:.0f} MB for two chunks"


def test_long_sentence_is_split_under_the_phoneme_limit(onnx_engine: OnnxEngine) -> None:
    sentence = "and then " + ", ".join(f"item number {n}" for n in range(1, 80)) + "."
    pieces = list(onnx_engine.split_for_model(sentence, "af_heart", first=False))
    assert len(pieces) > 1
    assert all(len(onnx_engine.phonemize(p, "af_heart")) <= MAX_PHONEMES for p in pieces)
    assert " ".join(pieces).split() == sentence.split()


def test_unknown_voice_lists_close_matches(onnx_engine: OnnxEngine) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown voice 'af_heartt'.*af_heart"):
        list(onnx_engine.stream("Hello.", "af_heartt"))


@pytest.mark.parametrize("speed", [float("nan"), float("inf"), 0.0, -1.0, 0.49, 2.01])
def test_bad_speed_is_refused(onnx_engine: OnnxEngine, speed: float) -> None:
    with pytest.raises(InvalidInputError, match=r"speed must be between 0\.5 and 2\.0"):
        list(onnx_engine.stream("Hello.", "af_heart", speed))


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01\x07", "🎉🚀✨"])
def test_text_with_nothing_to_say_is_refused(onnx_engine: OnnxEngine, text: str) -> None:
    with pytest.raises(InvalidInputError, match="nothing to say"):
        list(onnx_engine.stream(text, "af_heart"))


def test_unsupported_language_names_what_is_supported(onnx_engine: OnnxEngine) -> None:
    with pytest.raises(UnsupportedLanguageError, match=r"Japanese.*American English"):
        list(onnx_engine.stream("こんにちは", "jf_alpha"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "Deploy done \x07 with\x1b[31m color codes.",
        "Great job 🎉 the release is out 🚀.",
        "The word for hello is 你好 in Chinese.",
        "Hebrew text שלום sits inside English.",
    ],
)
def test_mixed_input_is_spoken(onnx_engine: OnnxEngine, text: str) -> None:
    audio = speak(onnx_engine, text)
    assert audio.size > SAMPLE_RATE // 2
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


def test_other_languages_speak_through_espeak(onnx_engine: OnnxEngine) -> None:
    audio = speak(onnx_engine, "Bonjour tout le monde.", "ff_siwis")
    assert audio.size > SAMPLE_RATE // 2


def test_short_phrases_are_cached(onnx_engine: OnnxEngine) -> None:
    first = onnx_engine.synthesize_chunk("Build finished.", "am_michael", 1.0)
    started = time.perf_counter()
    again = onnx_engine.synthesize_chunk("Build finished.", "am_michael", 1.0)
    assert again is first and time.perf_counter() - started < 0.01
    assert not again.flags.writeable


def test_model_dir_flag_points_anywhere(tmp_path: Path) -> None:
    from kokoro_mcp.errors import ModelError

    with pytest.raises(ModelError, match="does not exist"):
        OnnxEngine(tmp_path / "missing").voices()


@pytest.mark.slow
def test_interrupt_abandons_the_model_call_at_once(onnx_engine: OnnxEngine) -> None:
    import threading

    from kokoro_mcp.errors import SynthesisInterrupted

    long_piece = "and then " + ", ".join(f"item {n}" for n in range(1, 60)) + "."
    phonemes = onnx_engine.phonemize(long_piece, "af_heart")
    started = time.perf_counter()
    full = onnx_engine.synthesize_phonemes(phonemes, "af_heart", 1.0)
    full_seconds = time.perf_counter() - started
    assert full.size > 0

    timer = threading.Timer(0.1, onnx_engine.interrupt)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(SynthesisInterrupted):
        onnx_engine.synthesize_phonemes(phonemes, "af_heart", 1.0)
    interrupted_seconds = time.perf_counter() - started
    timer.join()
    assert interrupted_seconds < full_seconds / 2, (interrupted_seconds, full_seconds)
    # The engine is fine afterwards.
    assert onnx_engine.synthesize_phonemes(phonemes[:50], "af_heart", 1.0).size > 0


def test_voice_list_and_g2p_agree_on_supported_languages() -> None:
    from kokoro_mcp.engine.g2p import SUPPORTED_LETTERS
    from kokoro_mcp.engine.voices import SUPPORTED_LANGUAGE_LETTERS

    assert SUPPORTED_LETTERS == SUPPORTED_LANGUAGE_LETTERS
