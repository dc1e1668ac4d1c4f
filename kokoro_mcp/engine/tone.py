"""A genuine Engine that speaks in tones: fast, deterministic, for timing and queue tests.

Each chunk becomes a sine burst whose length follows the number of words and whose pitch
is chosen per chunk, so tests can tell chunks and utterances apart in captured audio.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np

from kokoro_mcp.engine.base import SAMPLE_RATE, AudioArray, Engine, VoiceInfo
from kokoro_mcp.engine.voices import describe_voice

TONE_VOICES = ("af_heart", "am_michael", "bf_emma", "bm_george")


class ToneEngine(Engine):
    """Sine bursts instead of speech. `seconds_per_word` and `latency` shape the timing."""

    name = "tone"

    def __init__(
        self,
        *,
        seconds_per_word: float = 0.2,
        latency: float = 0.0,
        amplitude: float = 0.3,
        words_per_chunk: int = 8,
        frequency: float | None = None,
    ) -> None:
        self.seconds_per_word = seconds_per_word
        self.latency = latency  # simulated inference time per chunk
        self.amplitude = amplitude
        self.words_per_chunk = words_per_chunk
        self.frequency = frequency
        self._loaded = threading.Event()

    def load(self) -> None:
        self._loaded.set()

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def voices(self) -> Sequence[VoiceInfo]:
        return [describe_voice(name) for name in TONE_VOICES]

    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        words = text.split()
        for start in range(0, len(words), self.words_per_chunk):
            yield " ".join(words[start : start + self.words_per_chunk])

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        if self.latency:
            time.sleep(self.latency)
        words = max(1, len(re.findall(r"\w+", text)))
        frames = int(SAMPLE_RATE * self.seconds_per_word * words / speed)
        frequency = self.frequency or 300.0 + (sum(map(ord, text)) % 40) * 10.0
        t = np.arange(frames, dtype=np.float32) / SAMPLE_RATE
        return (self.amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
