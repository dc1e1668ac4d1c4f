"""kk status | pause | play | stop | kill | voices: one request each to the daemon.

`status`, `stop`, `pause`, `play` and `kill` never start a daemon: with none running there is
nothing to report or silence. `voices` does (the voice list comes from the model folder).
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import TYPE_CHECKING, Any

from kokoro_mcp.ipc.connection import Connection, DaemonNotRunning
from kokoro_mcp.ipc.paths import socket_path
from kokoro_mcp.ipc.protocol import DaemonGoneError

if TYPE_CHECKING:
    from kokoro_mcp.config import Settings

CLIENT_NAME = "cli"
KILL_WAIT_SECONDS = 3.0
NOT_RUNNING = "daemon not running"


def connect(settings: Settings, *, start: bool) -> Connection:
    """A connection to the daemon; starts one (saying so on stderr) only when `start`."""
    from kokoro_mcp.ipc import launch
    from kokoro_mcp.ipc.daemon_settings import launch_args, to_wire

    return launch.connect(
        client=CLIENT_NAME,
        kind="cli",
        settings=to_wire(settings),
        daemon_args=launch_args(settings),
        launch=start,
        announce=lambda line: print(f"kk: {line}", file=sys.stderr),
    )


def connect_running() -> Connection:
    """A connection to a running daemon (never starts one); DaemonNotRunning otherwise."""
    return Connection.open(socket_path(), client=CLIENT_NAME, kind="cli")


def status(*, as_json: bool) -> int:
    try:
        with connect_running() as connection:
            result: dict[str, Any] = connection.call("status")
    except DaemonNotRunning:
        if as_json:
            _print_json({"state": "idle", "daemon": None})
        else:
            print(f"idle ({NOT_RUNNING})")
        return 0
    if as_json:
        _print_json(result)
        return 0
    line = str(result.get("state"))
    problem = (result.get("audio") or {}).get("problem") or (result.get("model") or {}).get("error")
    if line == "error" and problem:
        line += f" ({problem})"
    print(line)  # scripts compare it: the state word alone unless something is wrong
    return 0


def act(action: str) -> int:
    """pause, resume or stop."""
    try:
        with connect_running() as connection:
            result = connection.call(action)
    except DaemonNotRunning:
        print(f"nothing to {action} ({NOT_RUNNING})")
        return 0
    print(result.get("message", action))
    return 0


def kill() -> int:
    try:
        connection = connect_running()
    except DaemonNotRunning:
        print(NOT_RUNNING)
        return 0
    with connection:
        pid = connection.hello.get("pid")
        with contextlib.suppress(DaemonGoneError):  # it left before answering: fine
            connection.call("shutdown", timeout=5.0)
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while socket_path().exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    print(f"daemon stopped (pid {pid})")
    return 0


def voices(settings: Settings) -> int:
    with connect(settings, start=True) as connection:
        result = connection.call("voices", timeout=60.0)
    for voice in result.get("voices", []):
        note = "" if voice.get("supported") else "  (language not supported here)"
        print(
            f"{voice['name']:<14} {voice['language']:<6} {voice['gender']:<7}"
            f" {voice['language_name']}{note}"
        )
    return 0


def _print_json(value: Any) -> None:
    import json

    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")
