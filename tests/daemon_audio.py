"""Reading tone-engine audio from several clients: which tone sounded how long, and whether two
ever sounded at once."""

from __future__ import annotations

import itertools

import numpy as np

from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.text import prepare_text
from tests import pulse

TONE_AMPLITUDE = ToneEngine().amplitude
WINDOW = 0.05


def tone_of(text: str) -> float:
    """The frequency the tone engine plays for a one-chunk `text` (as the daemon prepares it)."""
    engine = ToneEngine()
    (chunk,) = list(engine.split_for_model(prepare_text(text), "af_heart", True))
    return pulse.dominant_frequency(engine.synthesize_chunk(chunk, "af_heart", 1.0))


def distinct_texts(candidates: list[str], count: int, spacing: float = 30.0) -> list[str]:
    """`count` texts whose tones lie at least `spacing` Hz apart."""
    chosen: list[str] = []
    tones: list[float] = []
    for text in candidates:
        tone = tone_of(text)
        if all(abs(tone - other) >= spacing for other in tones):
            chosen.append(text)
            tones.append(tone)
        if len(chosen) == count:
            return chosen
    raise AssertionError(f"only {len(chosen)} distinct tones among the candidates")


def seconds_per_tone(
    samples: pulse.Samples, tones: list[float], tolerance: float = 15.0
) -> dict[float, float]:
    """Seconds of loud windows whose dominant frequency is each of `tones`."""
    size = int(WINDOW * pulse.SAMPLE_RATE)
    heard = dict.fromkeys(tones, 0.0)
    for start in range(0, len(samples) - size + 1, size):
        piece = samples[start : start + size]
        if np.mean(pulse.loud(piece)) < 0.9:
            continue
        freq = pulse.dominant_frequency(piece)
        nearest = min(tones, key=lambda tone: abs(tone - freq))
        if abs(nearest - freq) <= tolerance:
            heard[nearest] += WINDOW
    return heard


def overlapping(samples: pulse.Samples) -> bool:
    """Two tones at once sum above one tone's amplitude."""
    return bool(np.max(np.abs(samples), initial=0.0) > TONE_AMPLITUDE * 1.15)


def chunks_of(engine: ToneEngine, text: str, speed: float = 1.0) -> list[np.ndarray]:
    return [chunk.samples for chunk in engine.stream(text, "af_heart", speed)]


def tones_of(engine: ToneEngine, texts: list[str], speed: float = 1.0) -> list[tuple[float, float]]:
    """(tone, seconds) of every chunk of `texts` in order; the tones must be distinct."""
    tones = [
        (pulse.dominant_frequency(chunk), len(chunk) / pulse.SAMPLE_RATE)
        for text in texts
        for chunk in chunks_of(engine, text, speed)
    ]
    pitches = sorted(tone for tone, _ in tones)
    assert all(b - a >= 20 for a, b in itertools.pairwise(pitches)), f"tones too close: {tones}"
    return tones


def heard_in_order(samples: np.ndarray, tones: list[tuple[float, float]]) -> bool:
    """Each tone heard whole (its full length, 0.15 s either way: an underrun on a loaded box
    can cost a window or two), in this order, alone. A chunk cut and resumed would show as its
    tone twice in the sequence."""
    heard = pulse.frequency_sequence(samples)
    if len(heard) != len(tones) or overlapping(samples):
        return False
    if any(abs(got - want) >= 15 for got, (want, _) in zip(heard, tones, strict=True)):
        return False
    lengths = seconds_per_tone(samples, [tone for tone, _ in tones])
    return all(abs(lengths[tone] - seconds) <= 0.15 for tone, seconds in tones)


def describe_heard(samples: np.ndarray, tones: list[tuple[float, float]]) -> str:
    """What was heard against what was wanted, for a failing assertion."""
    lengths = seconds_per_tone(samples, [tone for tone, _ in tones])
    heard = [round(tone) for tone in pulse.frequency_sequence(samples)]
    wanted = [(round(tone), seconds, round(lengths[tone], 2)) for tone, seconds in tones]
    return f"heard tones {heard}; wanted (tone, seconds, seconds heard) {wanted}"
