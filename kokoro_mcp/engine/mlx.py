"""Kokoro-82M on mlx-audio: the backend for Apple Silicon (Metal), also runnable on MLX's CPU
build elsewhere (slowly: for tests).

Text preparation, chunking, phonemes, piece splitting, style-vector choice and silence trimming
are the ONNX backend's, so both backends say the same thing for the same input; only the
phonemes -> audio step differs. Weights come from a local folder in mlx-audio's layout (see
kokoro_mcp.model.mlx_layout); nothing is fetched from a model hub.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from kokoro_mcp.engine.base import AudioArray
from kokoro_mcp.engine.blend_cache import BlendCache
from kokoro_mcp.engine.kokoro import KokoroEngine
from kokoro_mcp.engine.mlx_thread import MlxThread
from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.layout import VOICE_SHAPE
from kokoro_mcp.model.mlx_convert import CONVERT_COMMAND, VOICE_TENSOR
from kokoro_mcp.model.mlx_layout import MlxFiles, locate_mlx_model

logger = logging.getLogger(__name__)

STYLE_ROWS = VOICE_SHAPE[0]  # a voice holds one style vector per phoneme count 0..509
INSTALL_MLX = "pip install mlx mlx-audio==0.6.2"


class MlxEngine(KokoroEngine):
    """Loads mlx-audio's Kokoro once; every MLX call runs on one dedicated thread."""

    name = "mlx"

    def __init__(self, model_dir: Path | None = None, *, convert: bool = True) -> None:
        super().__init__(model_dir)
        self.convert = convert  # derive the mlx folder from the ONNX install when missing
        self._files: MlxFiles | None = None
        self._thread = MlxThread()
        self._model: Any = None  # touched only on the MLX thread
        self._voice_packs: dict[str, Any] = {}  # mx.array per voice, MLX thread only
        self._blends: BlendCache[Any] = BlendCache()

    # -- loading -------------------------------------------------------------------------

    def files(self) -> MlxFiles:
        if self._files is None:
            self._files = locate_mlx_model(self.model_dir, convert=self.convert)
        return self._files

    def _load_weights(self) -> None:
        files = self.files()
        self._model = self._thread.run(lambda: _load_model(files.root))

    def _vocab(self) -> dict[str, int]:
        return self.files().vocab

    def _spacy_dir(self) -> Path | None:
        return self.files().spacy_dir

    @property
    def mlx_thread_ident(self) -> int | None:
        """The thread every MLX call runs on (None before the first call)."""
        return self._thread.ident

    def close(self) -> None:
        self._thread.close()

    # -- voices --------------------------------------------------------------------------

    def _voice_names(self) -> list[str]:
        if self._files is None:
            try:
                names = locate_mlx_model(self.model_dir, convert=False).voice_names()
            except ModelError:
                # Not converted yet: the ONNX install's voices are the ones load() will convert.
                from kokoro_mcp.model.layout import locate_model

                names = locate_model(self.model_dir).voice_names()
        else:
            names = self._files.voice_names()
        return names

    def _voice_pack(self, voice: str) -> Any:
        """The voice's (or blend's) VOICE_SHAPE style table as an mx.array (MLX thread)."""
        return self._blends.table(voice, self._named_pack)

    def _named_pack(self, voice: str) -> Any:
        pack = self._voice_packs.get(voice)
        if pack is None:
            import mlx.core as mx

            path = self.files().voice_path(voice)
            try:
                tensors: Any = mx.load(str(path))
                pack = tensors[VOICE_TENSOR]
            except (OSError, ValueError, KeyError, RuntimeError) as error:
                raise ModelError(
                    f"cannot read voice {voice!r} from {path} ({error}). Convert again with"
                    f" `{CONVERT_COMMAND} --force`."
                ) from error
            if pack.shape[0] != STYLE_ROWS or pack.shape[-1] != VOICE_SHAPE[-1]:
                raise ModelError(
                    f"voice {path} has shape {tuple(pack.shape)}, expected {VOICE_SHAPE}."
                    f" Convert again with `{CONVERT_COMMAND} --force`."
                )
            self._voice_packs[voice] = pack
        return pack

    def _infer(self, symbols: str, voice: str, speed: float) -> AudioArray:
        return self._thread.run(lambda: self._infer_on_mlx_thread(symbols, voice, speed))

    def _infer_on_mlx_thread(self, symbols: str, voice: str, speed: float) -> AudioArray:
        import mlx.core as mx

        style = self._voice_pack(voice)[min(len(symbols), STYLE_ROWS - 1)]
        audio = self._model(symbols, style, speed)
        mx.eval(audio)
        return np.array(audio, dtype=np.float32).reshape(-1)


def _load_model(root: Path) -> Any:
    """mlx-audio's own loader on a local folder (a Path never reaches a model hub)."""
    # Belt and braces: should mlx-audio ever reach for a hub, fail instead of downloading,
    # unless the user has allowed it by setting HF_HUB_OFFLINE themselves. (The hub client
    # reads this when first imported, which is normally here.)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from mlx_audio.tts.utils import load_model
    except ImportError as error:
        raise ModelError(
            f"the mlx backend needs mlx and mlx-audio ({error}). Install them with"
            f" `{INSTALL_MLX}` (Apple Silicon), or use --engine onnx."
        ) from error
    try:
        return load_model(Path(root), strict=True)
    except (ValueError, FileNotFoundError, KeyError, OSError) as error:
        raise ModelError(
            f"mlx-audio cannot load Kokoro from {root} ({error}). Convert again with"
            f" `{CONVERT_COMMAND} --force`, or point --model-dir at a complete mlx-audio"
            " Kokoro folder."
        ) from error
