"""Voice blends: `af_heart:0.6,bf_emma:0.4` mixes the voices' style vectors by weight.

A voice argument is either one name or a blend of up to MAX_BLEND_VOICES names, each with a
positive weight (a name without one weighs 1). Weights are normalised to sum to 1 and the
parts ordered heaviest first (ties keep their order), so every spelling of one mix has one
canonical form, which is also the cache key of its blended style vector. The heaviest voice
decides the language: its first letter is the canonical form's first letter, which is what
G2P reads. Only the syntax is checked here (standard library only: settings use it); the
engine checks that every name exists.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from kokoro_mcp.errors import InvalidInputError

MAX_BLEND_VOICES = 4
MAX_VOICE_CHARS = 128  # a blend of four long names with weights fits
WEIGHT_DIGITS = 4  # the canonical form's weight precision (0.6667)
BLEND_EXAMPLE = "af_heart:0.6,bf_emma:0.4"


@dataclass(frozen=True)
class VoiceBlend:
    """One voice (a single part of weight 1) or a weighted mix, heaviest part first."""

    parts: tuple[tuple[str, float], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    @property
    def lead(self) -> str:
        """The heaviest voice: its language is the blend's."""
        return self.parts[0][0]

    @property
    def is_blend(self) -> bool:
        return len(self.parts) > 1

    @property
    def canonical(self) -> str:
        if not self.is_blend:
            return self.lead
        return ",".join(f"{name}:{_weight_text(weight)}" for name, weight in self.parts)


def _weight_text(weight: float) -> str:
    return f"{weight:.{WEIGHT_DIGITS}f}".rstrip("0").rstrip(".")


class BlendError(InvalidInputError):
    """A malformed voice or blend; `reason` is what is wrong, without the advice."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _bad(what: str) -> BlendError:
    return BlendError(
        f"voice blend {what}; write names with positive weights separated by commas, e.g."
        f" {BLEND_EXAMPLE} (at most {MAX_BLEND_VOICES} voices, each once).",
        f"the blend {what}",
    )


def _is_name(text: str) -> bool:
    return bool(text) and text.replace("_", "").isalnum() and text.isascii()


@functools.lru_cache(maxsize=256)
def parse_voice(spec: str) -> VoiceBlend:
    """The blend `spec` describes; InvalidInputError in one sentence when it is malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise BlendError(
            "voice is empty: give a voice name such as af_heart, or a blend such as"
            f" {BLEND_EXAMPLE}.",
            "it is empty",
        )
    if len(spec) > MAX_VOICE_CHARS:
        raise _bad(f"is {len(spec)} characters long, more than {MAX_VOICE_CHARS}")
    text = spec.strip()
    if "," not in text and ":" not in text:
        if not _is_name(text):
            raise BlendError(
                f"voice {text[:40]!r} is not a voice name: use letters, digits and _ (e.g."
                f" af_heart), or a blend such as {BLEND_EXAMPLE}.",
                "a name is letters, digits and _ only",
            )
        return VoiceBlend(((text, 1.0),))
    pieces = [piece.strip() for piece in text.split(",")]
    if len(pieces) > MAX_BLEND_VOICES:
        raise _bad(f"{text[:40]!r} has {len(pieces)} parts, more than {MAX_BLEND_VOICES}")
    parts: list[tuple[str, float]] = []
    for piece in pieces:
        name, colon, raw_weight = (part.strip() for part in piece.partition(":"))
        if not _is_name(name):
            raise _bad(f"part {piece[:40]!r} does not start with a voice name")
        if name in (seen for seen, _ in parts):
            raise _bad(f"names {name!r} twice")
        weight = _weight(name, raw_weight) if colon else 1.0
        parts.append((name, weight))
    total = math.fsum(weight for _, weight in parts)
    if not math.isfinite(total) or total <= 0:
        raise _bad(f"weights of {text[:40]!r} add up to {total:g}, not a positive number")
    ordered = sorted(parts, key=lambda part: -part[1])  # stable: ties keep their order
    return VoiceBlend(tuple((name, weight / total) for name, weight in ordered))


def _weight(name: str, raw: str) -> float:
    try:
        weight = float(raw)
    except ValueError:
        raise _bad(f"weight {raw[:20]!r} of {name} is not a number") from None
    if not math.isfinite(weight) or weight <= 0:
        raise _bad(f"weight {raw[:20]!r} of {name} is not a number above 0")
    return weight


def canonical_voice(spec: str) -> str:
    """`spec` in its one canonical spelling (a single name stays as it is)."""
    return parse_voice(spec).canonical


def lead_voice(spec: str) -> str:
    """The voice whose language a voice or blend speaks (malformed specs as given: the caller
    checked them, or the language check names them)."""
    try:
        return parse_voice(spec).lead
    except InvalidInputError:
        return spec


def why_not_voice(spec: str) -> str | None:
    """What is wrong with `spec` as a voice or blend, in a few words; None when nothing is."""
    try:
        parse_voice(spec)
    except BlendError as error:
        return error.reason
    return None
