"""Text-to-speech backends behind one `Engine` interface."""

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
    "validate_speed",
]
