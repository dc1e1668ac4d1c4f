"""onnxruntime session settings for the Kokoro graph, as measured on small x86 CPUs.

Why each choice: docs/design.md ("ONNX Runtime on small x86 CPUs"); what they give:
benchmarks/bench_onnx_rewrite.py.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import onnxruntime as ort

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.paths import INSTALL_COMMAND

logger = logging.getLogger(__name__)

MAX_THREADS = 4
# The layout pass moves Transposes around the rewritten convolutions and into the norm layers,
# which then run 5-8% slower; the rewrite already places its Transposes where they belong.
DISABLED_OPTIMIZERS = ("TransposeOptimizer", "TransposeOptimizer_CPUExecutionProvider")


def available_cores() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Intra-op threads: every available core, up to MAX_THREADS.

    One thread is much slower than two; beyond four the per-chunk GEMMs are too small to split
    usefully and the extra spinning threads only steal time from audio and other processes.
    """
    return min(available_cores(), MAX_THREADS)


def make_session_options(threads: int | None = None) -> ort.SessionOptions:
    """Session options that gave the fastest synthesis in our measurements."""
    intra = default_threads() if threads is None else max(1, int(threads))
    options = ort.SessionOptions()
    # Full graph optimization: needed to fuse MatMulInteger+Cast+Mul+Add into
    # MatMulIntegerToFloat after the rewrite.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry(
        "optimization.disable_specified_optimizers", ";".join(DISABLED_OPTIMIZERS)
    )
    # The graph is one long chain: parallel execution only adds scheduling (measured 2x slower).
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = intra
    options.inter_op_num_threads = 1
    # Spinning workers pick up the next op's work at once; with many small ops per chunk that
    # beats sleeping. Only one session runs at a time, so idle spinning hurts no one of ours.
    spin = "1" if intra > 1 else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    # The arena reuses buffers between chunks of different lengths instead of reallocating.
    options.enable_cpu_mem_arena = True
    # Memory patterns only pay for fixed shapes; ours change every call, and the planned
    # buffers pushed peak RSS from ~700 to ~850 MB for 10 s chunks (measured, same speed).
    options.enable_mem_pattern = False
    options.log_severity_level = 3  # warnings about unused initializers etc. are noise here
    return options


def open_session(model: Path, threads: int | None = None) -> ort.InferenceSession:
    """Load `model` on the CPU with `make_session_options(threads)`."""
    try:
        return ort.InferenceSession(
            str(model),
            sess_options=make_session_options(threads),
            providers=["CPUExecutionProvider"],
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(
            f"onnxruntime could not load {model}: {exc}; reinstall the model with "
            f"`{INSTALL_COMMAND}`"
        ) from exc
