"""Shared benchmark helpers: percentiles and a one-line description of the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {cpu}, {cores} cores, Python {platform.python_version()}"


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def p05(values: Sequence[float]) -> float:
    """The low tail, for signed figures (a level step can go either way)."""
    ordered = sorted(values)
    return ordered[round(0.05 * (len(ordered) - 1))]


def summary(name: str, values: Sequence[float], unit: str = "ms", scale: float = 1000.0) -> str:
    return (
        f"{name:<44} p50 {p50(values) * scale:8.1f} {unit}   p95 {p95(values) * scale:8.1f} {unit}"
        f"   (n={len(values)})"
    )


def write_json(path: Path | None, raw: object) -> None:
    """Write a benchmark's raw figures to `path` (nothing when None)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(raw, indent=2))
