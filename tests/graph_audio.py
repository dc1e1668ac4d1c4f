"""Running a Kokoro ONNX graph directly (no engine pipeline), for tests that compare graphs."""

from __future__ import annotations

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
