"""Kokoro-82M on ONNX Runtime (CPU): the backend for Linux, Windows and Intel Macs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from kokoro_mcp.engine.base import AudioArray
from kokoro_mcp.engine.blend_cache import BlendCache
from kokoro_mcp.engine.kokoro import MAX_PHONEMES, KokoroEngine
from kokoro_mcp.engine.onnx_session import open_session
from kokoro_mcp.errors import ModelError, SynthesisInterrupted
from kokoro_mcp.model.layout import ModelFiles, locate_model

logger = logging.getLogger(__name__)

__all__ = ["MAX_PHONEMES", "OnnxEngine"]


class OnnxEngine(KokoroEngine):
    """Loads the (rewritten, when installed) int8 graph once and runs it on the CPU."""

    name = "onnx"

    def __init__(self, model_dir: Path | None = None, *, threads: int | None = None) -> None:
        super().__init__(model_dir)
        self.threads = threads  # None: onnx_session picks for this machine
        self._files: ModelFiles | None = None
        self._session: Any = None
        self._input_name = "tokens"
        self._voice_tables: dict[str, np.ndarray] = {}  # per voice name
        self._blends: BlendCache[np.ndarray] = BlendCache()
        self._run_options: Any = None  # of the model call in progress, for interrupt()

    def files(self) -> ModelFiles:
        if self._files is None:
            self._files = locate_model(self.model_dir)
        return self._files

    def _voice_names(self) -> list[str]:
        return self.files().voice_names()

    def _load_weights(self) -> None:
        session = open_session(self.files().onnx, self.threads)
        logger.info("ONNX graph %s", self.files().onnx.name)
        names = [i.name for i in session.get_inputs()]
        self._input_name = "input_ids" if "input_ids" in names else "tokens"
        self._session = session

    def _vocab(self) -> dict[str, int]:
        return self.files().vocab

    def _spacy_dir(self) -> Path | None:
        return self.files().spacy_dir

    def _voice_table(self, voice: str) -> np.ndarray:
        """The style table of a voice, or of a blend (mixed once, then cached)."""
        return self._blends.table(voice, self._named_table)

    def _named_table(self, name: str) -> np.ndarray:
        table = self._voice_tables.get(name)
        if table is None:
            table = self.files().load_voice(name)
            self._voice_tables[name] = table
        return table

    def feeds(self, symbols: str, voice: str, speed: float) -> dict[str, np.ndarray]:
        """The graph's inputs for in-vocabulary `symbols` (at most MAX_PHONEMES)."""
        vocab = self._vocab()
        ids = [vocab[symbol] for symbol in symbols]
        return {
            self._input_name: np.array([[0, *ids, 0]], dtype=np.int64),
            # Kokoro picks the style vector by the number of tokens.
            "style": np.asarray(self._voice_table(voice)[len(ids)], dtype=np.float32).reshape(
                1, -1
            ),
            "speed": np.array([speed], dtype=np.float32),
        }

    def _infer(self, symbols: str, voice: str, speed: float) -> AudioArray:
        feeds = self.feeds(symbols, voice, speed)
        import onnxruntime as ort

        options = ort.RunOptions()
        self._run_options = options
        try:
            audio: AudioArray = self._session.run(None, feeds, options)[0]
        except Exception as error:  # onnxruntime's own error type, not importable stably
            if options.terminate:
                raise SynthesisInterrupted("synthesis interrupted") from error
            raise ModelError(f"the Kokoro model failed on this input: {error}") from error
        finally:
            self._run_options = None
        return audio

    def interrupt(self) -> None:
        # onnxruntime checks this flag between graph nodes: the call ends within milliseconds.
        options = self._run_options
        if options is not None:
            options.terminate = True
