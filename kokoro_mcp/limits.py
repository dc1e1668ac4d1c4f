"""Limits on what callers may ask for; kept free of heavy imports (start-up reads them)."""

from __future__ import annotations

from kokoro_mcp.errors import InvalidInputError

MIN_SPEED = 0.5
MAX_SPEED = 2.0
# Seconds of audio queued at the output device; the default is what was measured to hold up
# (audio/player.py). The range only keeps requests sane: 10 ms to half a second.
DEFAULT_AUDIO_LATENCY = 0.05
MIN_AUDIO_LATENCY = 0.01
MAX_AUDIO_LATENCY = 0.5


def validate_speed(speed: float) -> float:
    """Return `speed` as float, or raise with the allowed range."""
    try:
        value = float(speed)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"speed must be a number between {MIN_SPEED} and {MAX_SPEED}, got {speed!r}"
        ) from None
    if not (MIN_SPEED <= value <= MAX_SPEED):  # also rejects NaN
        raise InvalidInputError(
            f"speed must be between {MIN_SPEED} and {MAX_SPEED} (1.0 is normal), got {speed!r}"
        )
    return value
