"""Which backend `--engine auto` means here: mlx on Apple Silicon (when installed), else onnx."""

from __future__ import annotations

import importlib.util
import logging
import platform
import sys
from typing import Literal

from kokoro_mcp.errors import InvalidInputError

logger = logging.getLogger(__name__)

BackendName = Literal["onnx", "mlx"]
ENGINE_CHOICES = ("auto", "onnx", "mlx")


def is_apple_silicon(system: str | None = None, machine: str | None = None) -> bool:
    """macOS on arm64 (Python running natively, not under Rosetta as x86_64)."""
    system = sys.platform if system is None else system
    machine = platform.machine() if machine is None else machine
    return system.lower() in ("darwin", "macos") and machine.lower() in ("arm64", "aarch64")


def mlx_available() -> bool:
    """True when mlx and mlx-audio can be imported (checked without importing them)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("mlx", "mlx_audio"))
    except (ImportError, ValueError):  # ValueError: a module blocked in sys.modules
        return False


def select_engine_name(
    requested: str = "auto", *, system: str | None = None, machine: str | None = None
) -> BackendName:
    """Resolve a configured engine name; an explicit `onnx` or `mlx` is always honoured."""
    choice = str(requested).strip().lower()
    if choice == "onnx":
        return "onnx"
    if choice == "mlx":
        return "mlx"
    if choice != "auto":
        raise InvalidInputError(
            f"engine must be one of {', '.join(ENGINE_CHOICES)}, got {requested!r}"
            " (set KOKORO_MCP_ENGINE or --engine)"
        )
    if is_apple_silicon(system, machine):
        if mlx_available():
            return "mlx"
        logger.info("Apple Silicon without mlx-audio: onnx (pip install mlx mlx-audio==0.6.2)")
    return "onnx"
