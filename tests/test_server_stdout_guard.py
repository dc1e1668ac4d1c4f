"""The stdout guard diverts everything written to fd 1 (Python prints, C printf, child
processes) to stderr until released, then gives the wire back untouched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.mcp_helpers import REPO, TONE, server_env

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


SERVER_WITH_NOISY_IMPORTS = textwrap.dedent(
    """
    import os, sys
    from kokoro_mcp.stdout_guard import StdoutGuard

    guard = StdoutGuard.install()
    print("a library printing at import time", end="")
    os.write(1, b"and one writing to fd 1\\n")
    from kokoro_mcp import config
    from kokoro_mcp.server import run_server

    sys.exit(run_server(config.from_env(), guard))
    """
)


@pytest.mark.mcp
def test_server_stdout_stays_jsonrpc_when_imports_print() -> None:
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_WITH_NOISY_IMPORTS],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(TONE),
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("".join(json.dumps(r) + "\n" for r in requests).encode())
        process.stdin.flush()
        lines = [process.stdout.readline(), process.stdout.readline()]
        process.stdin.close()
        rest = process.stdout.read()
        process.wait(30)
        assert process.stderr is not None
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 0, stderr[-2000:]
    assert rest == b""
    assert [json.loads(line)["id"] for line in lines] == [1, 2], lines
    assert b"a library printing at import time" in stderr
    assert b"and one writing to fd 1" in stderr
