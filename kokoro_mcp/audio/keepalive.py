"""An inaudible tone that keeps sleepy output devices awake between utterances.

USB DACs with auto-mute and Bluetooth headsets power down on digital silence and clip the first
syllable when they wake; 10 Hz at -40 dBFS is below hearing yet not silence.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

KEEP_ALIVE_HZ = 10.0
KEEP_ALIVE_DBFS = -40.0


class KeepAliveTone:
    """One precomputed period of the tone, copied out with a running phase (no allocation)."""

    def __init__(
        self, sample_rate: int, frequency: float = KEEP_ALIVE_HZ, dbfs: float = KEEP_ALIVE_DBFS
    ) -> None:
        self.amplitude = float(10.0 ** (dbfs / 20.0))
        period = max(1, round(sample_rate / frequency))
        t = np.arange(period, dtype=np.float64) / period
        self._table: npt.NDArray[np.float32] = (self.amplitude * np.sin(2.0 * np.pi * t)).astype(
            np.float32
        )
        self._phase = 0

    def fill(self, out: npt.NDArray[np.float32]) -> None:
        """Write the next `len(out)` samples of the tone into the 1-D view `out`."""
        table = self._table
        period = table.shape[0]
        pos = 0
        frames = out.shape[0]
        phase = self._phase
        while pos < frames:
            take = min(frames - pos, period - phase)
            out[pos : pos + take] = table[phase : phase + take]
            pos += take
            phase = (phase + take) % period
        self._phase = phase
