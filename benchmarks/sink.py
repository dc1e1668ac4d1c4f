"""Benchmarks reading the null sink and the processes behind it: when sound first arrived
after a moment, waiting for quiet, and a process's memory, threads and descriptors."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests import pulse

SOUND = 0.005  # -46 dBFS, as in the other audio benchmarks


def first_sound_after(capture: pulse.Capture, start: float, timeout: float = 60.0) -> float:
    """Seconds from monotonic `start` to the first sound at the sink after it."""
    begin = capture.index_at(start)
    deadline = time.monotonic() + timeout
    while True:
        # Only what arrived since `start`: copying a long run's whole capture each poll is slow.
        index = pulse.first_sound(capture.segment(begin), 0, SOUND)
        if index is not None:
            return capture.time_of(begin + index) - start
        if time.monotonic() > deadline:
            raise RuntimeError(f"no sound reached the sink within {timeout:.0f} s")
        time.sleep(0.05)


def wait_quiet(capture: pulse.Capture, seconds: float = 0.4, timeout: float = 60.0) -> None:
    """Wait until the sink has been silent for `seconds`."""
    frames = int(seconds * pulse.SAMPLE_RATE)
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.1)
        tail = capture.segment(max(0, capture.frames - frames))
        if len(tail) == frames and not pulse.loud(tail, SOUND).any():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sink was not quiet for {seconds} s within {timeout:.0f} s")


def rss_mb(pid: int) -> float:
    return _status_field(pid, "VmRSS") / 1024


def threads(pid: int) -> int:
    return _status_field(pid, "Threads")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0
