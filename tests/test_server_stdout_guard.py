"""The stdout guard diverts everything written to fd 1 (Python prints, C printf, child
processes) to stderr until released, then gives the wire back untouched."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.mcp_helpers import REPO

SCRIPT = textwrap.dedent(
    """
    import ctypes, os, subprocess, sys
    from kokoro_mcp.stdout_guard import StdoutGuard

    guard = StdoutGuard.install()
    print("python noise", end="")          # no newline: would glue onto a response
    sys.stdout.write("buffered noise\\n")   # still in Python's buffer at release time
    os.write(1, b"fd noise\\n")
    libc = ctypes.CDLL(None)
    libc.printf(b"c noise\\n")              # sits in C stdio's buffer until flushed
    subprocess.run(["echo", "child noise"], check=True)
    guard.release()
    sys.stdout.write("WIRE\\n")
    sys.stdout.flush()
    guard.release()                          # idempotent
    """
)


def test_guard_diverts_every_kind_of_stdout_write() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, timeout=60, check=True
    )
    assert done.stdout == b"WIRE\n"
    for noise in (b"python noise", b"buffered noise", b"fd noise", b"c noise", b"child noise"):
        assert noise in done.stderr, (noise, done.stderr)
