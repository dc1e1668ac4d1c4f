"""Derive mlx-audio's Kokoro folder from the verified int8 ONNX model and raw voices.

The result is what mlx-audio loads (and what the official MLX weights look like):
`config.json` (hyper-parameters + phoneme vocab), `kokoro-v1_0.safetensors` (PyTorch names
and layouts: mlx-audio's `sanitize` transposes convolutions itself) and
`voices/<name>.safetensors` (one `voice` tensor each), plus our `conversion.json` listing every
tensor's name, shape and dtype. The folder is written under a temporary name and renamed into
place, so a reader never sees half a conversion; the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.layout import ONNX_NAME, locate_model, read_voice_file
from kokoro_mcp.model.mlx_onnx_weights import FloatArray, read_onnx_weights
from kokoro_mcp.model.mlx_safetensors import write_safetensors
from kokoro_mcp.model.paths import INSTALL_COMMAND
from kokoro_mcp.model.storage import replace_dir, sha256_of

logger = logging.getLogger(__name__)

MLX_SUBDIR = "mlx"  # where a converted folder lives inside the ONNX model folder
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "kokoro-v1_0.safetensors"
VOICES_DIR = "voices"
REPORT_NAME = "conversion.json"  # written last: its presence marks a finished conversion
FORMAT_VERSION = 1
VOICE_TENSOR = "voice"
EXPECTED_TENSORS = 548  # every parameter of mlx-audio's Kokoro v1.0 model
CONVERT_COMMAND = f"{INSTALL_COMMAND} --engine mlx"

# Kokoro-82M v1.0's published hyper-parameters (the vocab is added per conversion).
KOKORO_V1_CONFIG: dict[str, Any] = {
    "model_type": "kokoro",
    "dim_in": 64,
    "dropout": 0.2,
    "hidden_dim": 512,
    "max_conv_dim": 512,
    "max_dur": 50,
    "multispeaker": True,
    "n_layer": 3,
    "n_mels": 80,
    "n_token": 178,
    "style_dim": 128,
    "text_encoder_kernel_size": 5,
    "sample_rate": 24_000,
    "istftnet": {
        "upsample_kernel_sizes": [20, 12],
        "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11],
        "upsample_initial_channel": 512,
    },
    "plbert": {
        "hidden_size": 768,
        "num_attention_heads": 12,
        "intermediate_size": 2048,
        "max_position_embeddings": 512,
        "num_hidden_layers": 12,
        "dropout": 0.1,
    },
}


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name, "float32"


@dataclass(frozen=True)
class ConversionReport:
    """What a conversion wrote; `tensors` is the promise the weights file keeps."""

    out_dir: Path
    weights: Path
    tensors: tuple[TensorSpec, ...]
    voices: tuple[str, ...]
    zero_channels: int  # weight-norm channels that were all-zero after int8 rounding
    synthesized: tuple[str, ...]  # tensors the export lacks (unused at inference): zeros
    source_sha256: str
    seconds: float


def kokoro_config(vocab: dict[str, int]) -> dict[str, Any]:
    """mlx-audio's config.json for Kokoro v1.0 with this phoneme vocab."""
    if not vocab:
        raise ModelError(f"the phoneme vocab is empty. Repair with `{CONVERT_COMMAND} --force`.")
    config: dict[str, Any] = json.loads(json.dumps(KOKORO_V1_CONFIG))  # a deep copy
    config["vocab"] = {str(symbol): int(index) for symbol, index in sorted(vocab.items())}
    return config


def _unused_tensors(config: dict[str, Any]) -> dict[str, FloatArray]:
    """ALBERT's pooler: mlx-audio's model has it, Kokoro never uses it, the export drops it."""
    hidden = int(config["plbert"]["hidden_size"])
    return {
        "bert.pooler.weight": np.zeros((hidden, hidden), dtype=np.float32),
        "bert.pooler.bias": np.zeros((hidden,), dtype=np.float32),
    }


def _check_finite(tensors: dict[str, FloatArray]) -> None:
    bad = sorted(name for name, value in tensors.items() if not np.isfinite(value).all())
    if bad:
        raise ModelError(
            f"conversion produced NaN/inf in {', '.join(bad[:5])}; the ONNX model is corrupt."
            f" Reinstall it with `{INSTALL_COMMAND} --force`."
        )


def convert_onnx_to_mlx(
    onnx_path: Path, voices_dir: Path, vocab: dict[str, int], out_dir: Path
) -> ConversionReport:
    """Write mlx-audio's Kokoro folder to `out_dir` (replacing it atomically)."""
    started = time.perf_counter()
    if not onnx_path.is_file():
        raise ModelError(f"{onnx_path} does not exist. Run `{INSTALL_COMMAND}` first.")
    voice_files = sorted(voices_dir.glob("*.bin")) if voices_dir.is_dir() else []
    if not voice_files:
        raise ModelError(f"no voices (*.bin) in {voices_dir}. Run `{INSTALL_COMMAND} --force`.")
    config = kokoro_config(vocab)
    weights = read_onnx_weights(onnx_path)
    synthesized = _unused_tensors(config)
    tensors = {**weights.tensors, **synthesized}
    if len(tensors) != EXPECTED_TENSORS:
        raise ModelError(
            f"{onnx_path.name} yielded {len(tensors)} tensors, expected {EXPECTED_TENSORS}:"
            " it is not the int8 Kokoro v1.0 export (convert kokoro-v1.0.int8.onnx, not a"
            " rewritten graph)."
        )
    _check_finite(tensors)
    source_sha256 = sha256_of(onnx_path)

    out_dir = out_dir.expanduser()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / VOICES_DIR).mkdir(parents=True)
        _write_json(staging / CONFIG_NAME, config)
        write_safetensors(
            staging / WEIGHTS_NAME,
            tensors,
            metadata={"format": "pt", "source": f"kokoro-v1.0.int8.onnx sha256:{source_sha256}"},
        )
        voices = []
        for path in voice_files:
            write_safetensors(
                staging / VOICES_DIR / f"{path.stem}.safetensors",
                {VOICE_TENSOR: read_voice_file(path)},
            )
            voices.append(path.stem)
        specs = tuple(
            TensorSpec(name, tuple(int(n) for n in tensors[name].shape), "float32")
            for name in sorted(tensors)
        )
        _write_json(
            staging / REPORT_NAME,
            {
                "format_version": FORMAT_VERSION,
                "source": {"onnx": onnx_path.name, "sha256": source_sha256},
                "weights": WEIGHTS_NAME,
                "tensors": [
                    {"name": s.name, "shape": list(s.shape), "dtype": s.dtype} for s in specs
                ],
                "synthesized": sorted(synthesized),
                "zero_channels": weights.zero_channels,
                "voices": voices,
            },
        )
        replace_dir(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    logger.info(
        "converted %s for mlx in %.1f s: %d tensors, %d voices -> %s",
        onnx_path.name,
        seconds,
        len(specs),
        len(voices),
        out_dir,
    )
    return ConversionReport(
        out_dir=out_dir,
        weights=out_dir / WEIGHTS_NAME,
        tensors=specs,
        voices=tuple(voices),
        zero_channels=weights.zero_channels,
        synthesized=tuple(sorted(synthesized)),
        source_sha256=source_sha256,
        seconds=seconds,
    )


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_report(folder: Path) -> dict[str, Any] | None:
    """The folder's conversion.json, or None when it has none (not converted by us)."""
    path = folder / REPORT_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(
            f"{path} is unreadable ({error}). Convert again with `{CONVERT_COMMAND} --force`."
        ) from error
    return data if isinstance(data, dict) else None


def install_mlx_weights(
    root: Path, *, force: bool = False, on_step: Callable[[str], None] | None = None
) -> ConversionReport | None:
    """Convert the installed ONNX model in `root` into `root/mlx` (None: already done)."""
    step = on_step or (lambda message: None)
    files = locate_model(root)
    if files.voices_dir is None:
        raise ModelError(
            f"{root} holds upstream kokoro-onnx files; the mlx conversion needs the installed"
            f" layout. Run `{INSTALL_COMMAND}` into an empty folder first."
        )
    onnx_path = root / ONNX_NAME if (root / ONNX_NAME).is_file() else files.onnx
    out_dir = root / MLX_SUBDIR
    report = read_report(out_dir)
    wanted = sorted(p.stem for p in files.voices_dir.glob("*.bin"))
    if (
        not force
        and report is not None
        and report.get("format_version") == FORMAT_VERSION
        and report.get("source", {}).get("sha256") == sha256_of(onnx_path)
        and report.get("voices") == wanted
    ):
        step(f"mlx weights already converted in {out_dir}")
        return None
    step(f"converting {onnx_path.name} and {len(wanted)} voices for mlx-audio into {out_dir}")
    return convert_onnx_to_mlx(onnx_path, files.voices_dir, files.vocab, out_dir)
