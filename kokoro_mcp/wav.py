"""Stream audio chunks into a 16-bit mono WAV file without holding the whole utterance."""

from __future__ import annotations

import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kokoro_mcp.engine.base import SAMPLE_RATE, AudioArray


def to_pcm16(samples: AudioArray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def write_wav(path: Path, chunks: Iterable[AudioArray], rate: int = SAMPLE_RATE) -> float:
    """Write every chunk as it arrives; return the seconds written. Atomic: tmp + rename."""
    partial = path.with_name(f".{path.name}.partial")
    frames = 0
    try:
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            for samples in chunks:
                out.writeframes(to_pcm16(samples))
                frames += len(samples)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return frames / rate


def read_wav(path: Path) -> tuple[AudioArray, int]:
    """Read a 16-bit mono WAV as float32 samples and its rate (for tests and tools)."""
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            raise ValueError(f"{path} is not 16-bit mono")
        data = source.readframes(source.getnframes())
        rate = source.getframerate()
    return (np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0), rate
