"""Start the real `kokoro-mcp` server over stdio for tests: with the SDK client, or over a raw
pipe when a test must see every byte on stdout or the process itself (exit codes, signals).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import CallToolResult, Implementation

from tests import pulse
from tests.daemon_helpers import DaemonHome

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER_ARGS = ["-m", "kokoro_mcp"]
PROTOCOL_VERSION = "2025-11-25"
TONE = {"KOKORO_MCP_ENGINE": "tone"}
NO_DAEMON = {"KOKORO_MCP_DAEMON": "0"}


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a server child: the private PulseAudio server, no stray KOKORO_MCP_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOKORO_MCP_")}
    env["PULSE_SERVER"] = pulse.SERVER
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@asynccontextmanager
async def connect(
    extra_env: Mapping[str, str] | None = None,
    args: list[str] | None = None,
    *,
    read_timeout: float = 60.0,
    home: DaemonHome | None = None,
    client_name: str = "kokoro-tests",
    logging_callback: Any = None,
) -> AsyncIterator[ClientSession]:
    """An initialized SDK ClientSession to a fresh `python -m kokoro_mcp` child.

    Each server gets its own daemon home (stopped afterwards) unless `home` is shared."""
    owned = home is None
    home = home or DaemonHome()
    params = StdioServerParameters(
        command=PYTHON,
        args=[*SERVER_ARGS, *(args or [])],
        env=server_env({**home.env(), **(extra_env or {})}),
        cwd=str(REPO),
    )
    with contextlib.ExitStack() as stack, tempfile.TemporaryFile("w+") as errlog:
        if owned:
            stack.enter_context(home)
        try:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(
                    read,
                    write,
                    read_timeout_seconds=read_timeout,
                    client_info=Implementation(name=client_name, version="0"),
                    logging_callback=logging_callback,
                ) as session,
            ):
                await session.initialize()
                yield session
        except BaseException:
            errlog.seek(0)
            sys.stderr.write("---- server stderr ----\n" + errlog.read()[-6000:])
            sys.stderr.write("---- daemon log ----\n" + home.log()[-6000:])
            raise


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, f"tool failed: {error_text(result)}"
    assert result.structured_content is not None, result
    return dict(result.structured_content)


def error_text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


class RawServer:
    """The server on plain pipes: send JSON lines, read JSON lines, watch the process."""

    def __init__(
        self,
        extra_env: Mapping[str, str] | None = None,
        args: list[str] | None = None,
        python_args: list[str] | None = None,
    ):
        """`python_args` replace `-m kokoro_mcp` (e.g. `-c` with a script)."""
        self.stderr_file = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in close())
        self.home = DaemonHome()
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [PYTHON, *(python_args or SERVER_ARGS), *(args or [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            env=server_env({**self.home.env(), **(extra_env or {})}),
            cwd=str(REPO),
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.raw = bytearray()  # every byte the server wrote to stdout
        self._next_id = 1
        self._early: dict[Any, dict[str, Any]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw += line
            self.lines.put(line)

    def send_line(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line if line.endswith(b"\n") else line + b"\n")
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_line(json.dumps(message).encode())

    def request(self, method: str, params: dict[str, Any] | None = None) -> int:
        request_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return request_id

    def read_message(self, timeout: float = 30.0) -> dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        message = json.loads(line)
        assert isinstance(message, dict), line
        return message

    def response(self, request_id: int, timeout: float = 30.0) -> dict[str, Any]:
        """The response to `request_id`, skipping notifications; responses to other requests
        that arrive meanwhile are kept for their own `response()` call."""
        if request_id in self._early:
            return self._early.pop(request_id)
        deadline = time.monotonic() + timeout
        while True:
            message = self.read_message(max(0.01, deadline - time.monotonic()))
            if "method" in message:
                continue
            if message.get("id") == request_id:
                return message
            self._early[message.get("id")] = message

    def call(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        return self.response(self.request(method, params), timeout)

    def initialize(self, timeout: float = 30.0) -> dict[str, Any]:
        reply = self.call(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "kokoro-tests", "version": "0"},
            },
            timeout,
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return reply

    def tool(
        self, name: str, arguments: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        reply = self.call("tools/call", {"name": name, "arguments": arguments or {}}, timeout)
        assert "result" in reply, reply
        result = reply["result"]
        assert isinstance(result, dict)
        return result

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.stderr_file.close()
        self.home.__exit__(None, None, None)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            sys.stderr.write("---- server stderr ----\n" + self.stderr()[-6000:])
            sys.stderr.write("---- daemon log ----\n" + self.home.log()[-6000:])
        self.close()


def assert_plain_error(text: str) -> None:
    """One short sentence a model can act on: no validation dump, no link, no echo of a long
    value."""
    assert "\n" not in text and len(text) < 300, text
    assert "pydantic" not in text and "http" not in text and "validation error" not in text
