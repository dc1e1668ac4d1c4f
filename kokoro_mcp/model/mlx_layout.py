"""Finding mlx-audio's Kokoro folder: the user's own (e.g. the official MLX weights, fetched
by them) or the one converted from our ONNX install into `<model dir>/mlx`.

Nothing here reaches a model hub: a folder is local, or it is made locally from the ONNX model.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.mlx_convert import (
    CONFIG_NAME,
    CONVERT_COMMAND,
    MLX_SUBDIR,
    VOICE_TENSOR,
    VOICES_DIR,
    install_mlx_weights,
)

logger = logging.getLogger(__name__)

SPACY_DIR = "spacy/en_core_web_sm"  # the ONNX install's copy of spaCy's English pipeline


@dataclass(frozen=True)
class MlxFiles:
    """A folder mlx-audio can load Kokoro from, plus what our engine needs beside it."""

    root: Path  # config.json, *.safetensors, voices/<name>.safetensors
    vocab: dict[str, int]
    spacy_dir: Path | None  # None: use the installed en_core_web_sm package

    @property
    def voices_dir(self) -> Path:
        return self.root / VOICES_DIR

    def voice_names(self) -> list[str]:
        return sorted(p.stem for p in self.voices_dir.glob("*.safetensors"))

    def voice_path(self, name: str) -> Path:
        return self.voices_dir / f"{name}.safetensors"


def is_mlx_folder(path: Path) -> bool:
    """True when `path` has mlx-audio's Kokoro layout (ours appear whole: renamed into place)."""
    return (
        (path / CONFIG_NAME).is_file()
        and any(path.glob("*.safetensors"))
        and (path / VOICES_DIR).is_dir()
    )


def _vocab(config_path: Path) -> dict[str, int]:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        vocab = config["vocab"]
        if config.get("model_type", "kokoro") != "kokoro":
            raise ValueError(f"model_type is {config.get('model_type')!r}, not 'kokoro'")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelError(
            f"{config_path} is not a Kokoro config for mlx-audio ({error}). Convert again with"
            f" `{CONVERT_COMMAND} --force`."
        ) from error
    return {str(symbol): int(index) for symbol, index in vocab.items()}


def locate_mlx_model(model_dir: Path, *, convert: bool = True) -> MlxFiles:
    """The mlx folder for `model_dir`, converting the ONNX install when allowed and needed.

    `model_dir` may itself be an mlx-audio Kokoro folder, or our ONNX install, whose converted
    copy lives in `model_dir/mlx`.
    """
    if is_mlx_folder(model_dir):
        root, install = model_dir, None
    else:
        root, install = model_dir / MLX_SUBDIR, model_dir
        if not is_mlx_folder(root):
            if not convert or not (model_dir / "manifest.json").is_file():
                raise ModelError(
                    f"no Kokoro weights for the mlx backend in {model_dir}. Run"
                    f" `{CONVERT_COMMAND}` (derives them from the ONNX model, no download), or"
                    " point --model-dir at a folder holding mlx-audio's Kokoro files"
                    " (config.json, *.safetensors, voices/). Or use --engine onnx."
                )
            logger.warning("mlx weights missing in %s: converting the ONNX model now", root)
            install_mlx_weights(model_dir)
    spacy = (install or root) / SPACY_DIR
    files = MlxFiles(root, _vocab(root / CONFIG_NAME), spacy if spacy.is_dir() else None)
    if not files.voice_names():
        raise ModelError(
            f"{files.voices_dir} holds no voices (*.safetensors with a '{VOICE_TENSOR}' tensor)."
            f" Convert again with `{CONVERT_COMMAND} --force`."
        )
    return files
