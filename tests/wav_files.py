"""Reading the WAV files kokoro-mcp writes, for checks in tests."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt


def read_wav(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """A 16-bit mono WAV as float32 samples, and its rate."""
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            raise ValueError(f"{path} is not 16-bit mono")
        data = source.readframes(source.getnframes())
        rate = source.getframerate()
    return (np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0), rate
