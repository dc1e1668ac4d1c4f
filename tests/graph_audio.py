"""Running a Kokoro ONNX graph directly (no engine pipeline), and the spectral measures that
compare what two graphs (or two ways of running one) say."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np


def raw_audio(session: Any, engine: Any, text: str, voice: str = "af_heart") -> np.ndarray:
    """What an onnxruntime `session` of a Kokoro graph says for `text`, untrimmed (G2P, vocab
    and voice table from the loaded `engine`)."""
    vocab = engine._vocab()
    ids = [vocab[symbol] for symbol in engine.phonemize(text, voice)]
    feeds = {
        "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
        "style": engine._voice_table(voice)[len(ids)].reshape(1, -1).astype(np.float32),
        "speed": np.array([1.0], dtype=np.float32),
    }
    return np.asarray(session.run(None, feeds)[0], dtype=np.float32).reshape(-1)


def band_levels(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame levels (dB) in 40 log-spaced bands, and each frame's total level."""
    size, hop = 512, 128
    frames = np.lib.stride_tricks.sliding_window_view(samples, size)[::hop] * np.hanning(size)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1 / 24000)
    edges = np.geomspace(80, 11000, 41)
    bands = np.stack(
        [
            power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
            for lo, hi in itertools.pairwise(edges)
        ],
        axis=1,
    )
    return 10 * np.log10(bands + 1e-9), 10 * np.log10(power.sum(axis=1) + 1e-12)


def spectral_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |dB| difference per band over the frames within 40 dB of the loudest."""
    n = min(len(a), len(b))  # the graphs compared here start at the same sample
    bands_a, level = band_levels(a[:n])
    bands_b, _ = band_levels(b[:n])
    loud = level > level.max() - 40
    return float(np.mean(np.abs(bands_a - bands_b)[loud]))
