"""A private PulseAudio server with null sinks, and capture of what was really played.

`scripts/pulse.sh` does the server work; this module drives it from tests and benchmarks and
records a sink's monitor with `parec` into numpy, remembering when each block arrived so a test
can say *when* a sound reached the sink, not just that it did.
"""

from __future__ import annotations

import bisect
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tests.waiting import wait_until

SAMPLE_RATE = 24_000
REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "pulse.sh"
PULSE_DIR = Path(os.environ.get("KOKORO_PULSE_DIR", "/tmp/kokoro-mcp-pulse"))
SERVER = f"unix:{PULSE_DIR / 'run' / 'native'}"
SINK = "tts_sink"
SINK2 = "tts_sink2"

Samples = npt.NDArray[np.float32]


def use_private_server() -> None:
    """Point this process and its children at the private server (before importing sounddevice)."""
    os.environ["PULSE_SERVER"] = SERVER


def _pactl(*args: str, timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PULSE_SERVER": SERVER}
    return subprocess.run(
        ["pactl", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def server_answers() -> bool:
    try:
        return _pactl("info", timeout=3.0).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start_server() -> None:
    """Start the private server unless it already answers (idempotent)."""
    use_private_server()
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("pulseaudio is missing: apt-get install pulseaudio pulseaudio-utils")
    subprocess.run([str(SCRIPT), "start"], check=True, capture_output=True, text=True, timeout=30)


def stop_server() -> None:
    subprocess.run([str(SCRIPT), "stop"], check=True, capture_output=True, text=True, timeout=30)


def server_pid() -> int | None:
    try:
        return int((PULSE_DIR / "pulseaudio.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def kill_server() -> None:
    """Kill the server abruptly (SIGKILL), as a crashing audio daemon would die."""
    pid = server_pid()
    if pid is None:
        raise RuntimeError("no pid file: was the server started by scripts/pulse.sh?")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not _alive(pid), 2.0)


def _alive(pid: int) -> bool:
    """True while `pid` runs (a killed server may linger as a zombie nobody reaps)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def freeze_server() -> None:
    """Stop the server (SIGSTOP): it keeps its socket but answers nothing, like a hung daemon."""
    pid = server_pid()
    if pid is None:
        raise RuntimeError("no pid file: was the server started by scripts/pulse.sh?")
    os.kill(pid, signal.SIGSTOP)


def resume_server() -> None:
    """Undo `freeze_server` (harmless if it is not frozen or not running)."""
    pid = server_pid()
    if pid is not None and _alive(pid):
        os.kill(pid, signal.SIGCONT)


def set_default_sink(name: str) -> None:
    result = _pactl("set-default-sink", name)
    if result.returncode != 0:
        raise RuntimeError(f"pactl set-default-sink {name} failed: {result.stderr.strip()}")


def default_sink() -> str:
    return _pactl("get-default-sink").stdout.strip()


class Capture:
    """Record `<sink>.monitor` with parec; `with Capture() as cap: ...; cap.samples`.

    Every read is stamped with time.monotonic(), so `time_of(i)` tells when sample `i` reached
    the monitor (within one read, ~10 ms).
    """

    def __init__(self, sink: str = SINK, *, read_frames: int = 240) -> None:
        self.sink = sink
        self.read_frames = read_frames
        self._data: Samples = np.zeros(SAMPLE_RATE * 60, dtype=np.float32)  # grows by doubling
        # when each read arrived (monotonic) and how many frames had arrived with it
        self._times: list[float] = []
        self._totals: list[int] = []
        self._frames = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self.started_at = 0.0

    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        env = {**os.environ, "PULSE_SERVER": SERVER}
        self._process = subprocess.Popen(
            [
                "parec", f"--device={self.sink}.monitor", "--raw", "--format=float32le",
                f"--rate={SAMPLE_RATE}", "--channels=1", "--latency-msec=10",
            ],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._read, name="parec-reader", daemon=True)
        self._thread.start()
        # parec needs a moment to connect; wait until the first samples arrive.
        if wait_until(lambda: self.frames > 0, 5.0) is None:
            self.stop()
            raise RuntimeError(f"parec recorded nothing from {self.sink}.monitor within 5 s")

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        chunk_bytes = self.read_frames * 4
        pending = b""
        while True:
            data = stream.read1(chunk_bytes) if hasattr(stream, "read1") else stream.read(4)
            if not data:
                break
            now = time.monotonic()
            data = pending + data
            usable = len(data) - len(data) % 4
            pending = data[usable:]
            block = np.frombuffer(data[:usable], dtype=np.float32)
            with self._lock:
                end = self._frames + block.shape[0]
                if end > self._data.shape[0]:
                    grown = np.zeros(max(end, 2 * self._data.shape[0]), dtype=np.float32)
                    grown[: self._frames] = self._data[: self._frames]
                    self._data = grown
                self._data[self._frames : end] = block
                self._frames = end
                self._times.append(now)
                self._totals.append(end)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._thread is not None:
            self._thread.join(timeout=3)

    @property
    def frames(self) -> int:
        with self._lock:
            return self._frames

    @property
    def samples(self) -> Samples:
        """Everything captured so far (a copy)."""
        return self.segment(0)

    def segment(self, start: int, end: int | None = None) -> Samples:
        """A copy of captured samples [start, end): cheap to poll, unlike the whole capture."""
        with self._lock:
            stop = self._frames if end is None else min(end, self._frames)
            return self._data[start:stop].copy()

    def time_of(self, index: int) -> float:
        """Monotonic time at which sample `index` had arrived from the monitor."""
        with self._lock:
            position = bisect.bisect_right(self._totals, index)
            if position == len(self._totals):
                raise IndexError(f"sample {index} has not been captured yet")
            return self._times[position]

    def index_at(self, when: float) -> int:
        """Number of samples that had arrived by monotonic time `when`."""
        with self._lock:
            position = bisect.bisect_right(self._times, when)
            return self._totals[position - 1] if position else 0

    def played_out(self, quiet: float = 0.1) -> bool:
        """True once something was heard and the capture ends in `quiet` seconds of exact
        silence: what was played has all come through (tones and speech never sit at exactly
        0.0 that long)."""
        frames = int(quiet * SAMPLE_RATE)
        with self._lock:
            end = self._frames
            tail = self._data[max(0, end - frames) : end]
            return end >= frames and not tail.any() and bool(self._data[: end - frames].any())

    def wait_played_out(self, timeout: float = 5.0) -> None:
        """Block until the sound played so far has reached the capture (see `played_out`)."""
        if wait_until(self.played_out, timeout) is None:
            raise AssertionError(f"the sound at {self.sink} did not end within {timeout} s")


def loud(samples: Samples, threshold: float = 0.02) -> npt.NDArray[np.bool_]:
    """Mask of samples louder than `threshold` (the keep-alive tone peaks at 0.01)."""
    return np.abs(samples) > threshold


def first_sound(samples: Samples, start: int = 0, threshold: float = 0.02) -> int | None:
    """Index of the first sample at or after `start` louder than `threshold`."""
    hits = np.flatnonzero(loud(samples[start:], threshold))
    return int(hits[0]) + start if hits.size else None


def sound_runs(
    samples: Samples, threshold: float = 0.02, min_gap: float = 0.05
) -> list[tuple[int, int]]:
    """[start, end) sample ranges of sound, merging gaps shorter than `min_gap` seconds."""
    idx = np.flatnonzero(loud(samples, threshold))
    if idx.size == 0:
        return []
    gap = int(min_gap * SAMPLE_RATE)
    breaks = np.flatnonzero(np.diff(idx) > gap)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def silent_gaps(
    samples: Samples, start: int, end: int, threshold: float = 0.02, min_gap: float = 0.005
) -> list[tuple[int, int]]:
    """Silent stretches longer than `min_gap` seconds strictly inside [start, end)."""
    seg = samples[start:end]
    idx = np.flatnonzero(loud(seg, threshold))
    if idx.size < 2:
        return []
    gap = int(min_gap * SAMPLE_RATE)
    diffs = np.diff(idx)
    where = np.flatnonzero(diffs > gap)
    return [(start + int(idx[i]) + 1, start + int(idx[i + 1])) for i in where]


def dominant_frequency(samples: Samples, rate: int = SAMPLE_RATE) -> float:
    """Strongest frequency in `samples` (Hz), via a zero-padded FFT."""
    n = max(8192, 1 << (len(samples) - 1).bit_length())
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), n))
    return float(np.argmax(spectrum) * rate / n)


def frequency_sequence(
    samples: Samples,
    window: float = 0.05,
    threshold: float = 0.02,
    tolerance: float = 15.0,
    min_windows: int = 2,
) -> list[float]:
    """The tones heard one after another: dominant frequency per loud window, repeats merged.

    A tone must fill `min_windows` windows in a row to count, so the window that straddles a
    change from one tone to the next (and reads as a blend of both) is ignored.
    """
    size = int(window * SAMPLE_RATE)
    runs: list[list[float]] = []  # the dominant frequency of each window in a row
    for start in range(0, len(samples) - size + 1, size):
        piece = samples[start : start + size]
        if np.mean(loud(piece, threshold)) < 0.5:
            continue
        freq = dominant_frequency(piece)
        if runs and abs(runs[-1][0] - freq) <= tolerance:
            runs[-1].append(freq)
        else:
            runs.append([freq])
    sequence: list[float] = []
    for run in runs:
        # The median, not the first window: that one may straddle the change from the last tone.
        freq = float(np.median(run))
        if len(run) >= min_windows and (not sequence or abs(sequence[-1] - freq) > tolerance):
            sequence.append(freq)
    return sequence


def nonzero(samples: Samples) -> Samples:
    """The samples that are not exactly 0.0: what played, with silence (and pauses) removed."""
    return samples[samples != 0.0]


def span(samples: Samples) -> Samples:
    """From the first to the last non-zero sample: what played, inner silences included, so
    comparing spans also catches a gap (underrun) inside the audio."""
    idx = np.flatnonzero(samples)
    return samples[idx[0] : idx[-1] + 1] if idx.size else samples[:0]
