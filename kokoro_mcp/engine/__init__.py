"""Text-to-speech backends behind one `Engine` interface."""

from pathlib import Path

from kokoro_mcp.engine.base import (
    MAX_SPEED,
    MIN_SPEED,
    SAMPLE_RATE,
    AudioArray,
    AudioChunk,
    CancelCheck,
    Engine,
    VoiceInfo,
    validate_speed,
)

__all__ = [
    "MAX_SPEED",
    "MIN_SPEED",
    "SAMPLE_RATE",
    "AudioArray",
    "AudioChunk",
    "CancelCheck",
    "Engine",
    "VoiceInfo",
    "create_engine",
    "validate_speed",
]


def create_engine(name: str = "auto", model_dir: Path | None = None) -> Engine:
    """Build the engine named by settings: auto (mlx on Apple Silicon, else onnx), onnx, mlx,
    or tone (a sine generator for tests and audio checks)."""
    directory = model_dir
    if name == "tone":
        from kokoro_mcp.engine.tone import ToneEngine

        return ToneEngine()
    if name == "auto":
        from kokoro_mcp.engine.mlx_select import select_engine_name

        name = select_engine_name(name)
    if name == "onnx":
        from kokoro_mcp.engine.onnx import OnnxEngine

        return OnnxEngine(directory)
    if name == "mlx":
        from kokoro_mcp.engine.mlx import MlxEngine

        return MlxEngine(directory)
    from kokoro_mcp.errors import InvalidInputError

    raise InvalidInputError(f"unknown engine {name!r}; use auto, onnx or mlx")
