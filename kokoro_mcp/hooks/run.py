"""`kokoro-mcp hook claude-code`: read the hook payload on stdin, hand a sentence to the daemon.

It must never hold the agent up or change what it does: it prints nothing, exits 0 whatever
happens (exit 2 would block Claude Code), logs problems to a file, and returns as soon as the
daemon has the text; with no daemon running it starts one in the background and leaves.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, BinaryIO

from kokoro_mcp.hooks.claude_code import DEFAULT_WORDS, compose, manners, project_name

MAX_PAYLOAD_BYTES = 1024 * 1024
WORDS_ENV = "KOKORO_MCP_HOOK_WORDS"
LIVE_SECONDS = 30 * 60  # a session heard from this recently counts as live
SESSIONS_FILE = "hook-sessions.json"
CLIENT = "claude-code"


def run_claude_code(stdin: BinaryIO) -> int:
    try:
        payload = json.loads(stdin.read(MAX_PAYLOAD_BYTES + 1)[:MAX_PAYLOAD_BYTES] or b"null")
        text = compose(payload, max_words=_max_words())
        if text is None:
            return 0
        project = project_name(payload)
        if project and _live_sessions(payload) > 1:
            text = f"{project}: {text}"
        _hand_over(text, manners(payload))
    except Exception as error:  # never fail the agent; say why in the log
        _log(f"claude-code hook: {type(error).__name__}: {error}")
    return 0


def _max_words() -> int:
    raw = os.environ.get(WORDS_ENV, "").strip()
    if raw.isdigit() and 1 <= int(raw) <= 500:
        return int(raw)
    if raw:
        _log(f"{WORDS_ENV}={raw!r} is not a whole number from 1 to 500; using {DEFAULT_WORDS}")
    return DEFAULT_WORDS


def _hand_over(text: str, how: dict[str, Any]) -> None:
    from kokoro_mcp.ipc.connection import Connection, DaemonNotRunning
    from kokoro_mcp.ipc.paths import socket_path

    try:
        with Connection.open(socket_path(), client=CLIENT, kind="hook", timeout=2.0) as daemon:
            daemon.send("speak", text=text, **how)
            # The request is in the daemon's socket buffer; it is read (and spoken) even
            # after this end closes.
    except DaemonNotRunning:
        _start_in_background(text, how)


def _start_in_background(text: str, how: dict[str, Any]) -> None:
    """No daemon: let a detached `kk say` start one and speak, while the agent goes on."""
    import subprocess

    from kokoro_mcp.ipc.paths import log_dir

    flags = [f"--{name}={value}" for name, value in how.items()]
    log_dir().mkdir(parents=True, exist_ok=True)
    with open(log_dir() / "hook.log", "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "kokoro_mcp.client.kk", "say", "--no-wait", *flags, "--", text],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )


def _live_sessions(payload: Any) -> int:
    """How many Claude Code sessions used the hook lately (this one included)."""
    from kokoro_mcp.ipc.paths import ensure_runtime_dir

    session = payload.get("session_id")
    if not isinstance(session, str) or not session:
        return 1
    path = ensure_runtime_dir() / SESSIONS_FILE
    now = time.time()
    try:
        seen = json.loads(path.read_text())
        if not isinstance(seen, dict):
            seen = {}
    except (OSError, ValueError):
        seen = {}
    seen = {k: v for k, v in seen.items() if isinstance(v, (int, float)) and now - v < LIVE_SECONDS}
    seen[session[:100]] = now
    temporary = path.with_name(f".{SESSIONS_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps(seen))
    os.replace(temporary, path)
    return len(seen)


def _log(line: str) -> None:
    try:
        from kokoro_mcp.ipc.paths import log_dir

        log_dir().mkdir(parents=True, exist_ok=True)
        with open(log_dir() / "hook.log", "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
    except OSError:
        pass
