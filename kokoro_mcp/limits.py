"""Limits on what callers may ask for; kept free of heavy imports (start-up reads them)."""

from __future__ import annotations

from kokoro_mcp.errors import InvalidInputError

MAX_TEXT_CHARS = 20_000  # ~20 minutes of speech; more than that is a document, not speech
MIN_SPEED = 0.5
MAX_SPEED = 2.0
# An announcement's time to live: long enough for any queue, short enough to mean "stale".
MIN_TTL_SECONDS = 0.1
MAX_TTL_SECONDS = 3600.0
MAX_REPLACE_KEY_CHARS = 64  # a `replace` key names a topic ("build:my-app"), not a message
# Seconds PortAudio keeps queued: sets start and stop latency at the sink (~30 ms at 0.025,
# ~50 ms at 0.05). 0.025 played 10 minutes of speech with a second process keeping a core busy
# without an underrun (the longest callback gap was under the buffer); the only underruns were
# in silence, while loading misaki and spaCy held the GIL beside the freshly opened stream.
# On a box loaded far beyond its cores, stalls outlast 0.05 s as well (docs/design.md), so a
# higher value is a setting for such machines, not the default.
# The range only keeps requests sane: 10 ms to half a second.
DEFAULT_AUDIO_LATENCY = 0.025
MIN_AUDIO_LATENCY = 0.01
MAX_AUDIO_LATENCY = 0.5


def validate_speed(speed: float) -> float:
    """Return `speed` as float, or raise with the allowed range."""
    try:
        value = float(speed)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"speed must be a number between {MIN_SPEED} and {MAX_SPEED}, got {speed!r}"
        ) from error
    if not (MIN_SPEED <= value <= MAX_SPEED):  # also rejects NaN
        raise InvalidInputError(
            f"speed must be between {MIN_SPEED} and {MAX_SPEED} (1.0 is normal), got {speed!r}"
        )
    return value
