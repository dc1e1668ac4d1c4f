"""The proxy's own MCP front against the SDK's, line by line, over the same kind of backend.

Both run as real processes on stdio, each over its own auto-launched daemon (tone engine), and
get the same script of lines: the handshake at every protocol revision, listings, the voices
resource, good and bad tool calls, progress, malformed lines and odd ids. Their answers must be
the same, apart from what differs between any two runs (pids, paths, timings). Then the
proxy's memory: no MCP SDK, numpy, onnxruntime or spaCy in it, and well under 60 MB.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from kokoro_mcp.server.proxy_front import HANDSHAKE_VERSIONS
from tests.mcp_helpers import TONE, RawServer

pytestmark = [pytest.mark.mcp, pytest.mark.audio, pytest.mark.usefixtures("audio_server")]

SDK_FRONT = [
    "-c",
    "import sys; from kokoro_mcp import config; from kokoro_mcp.server import run_server;"
    " sys.exit(run_server(config.from_env(), front='sdk'))",
]
# Values that differ between any two runs, whichever front answers.
VOLATILE = {
    "pid", "uptime", "socket", "log", "time_to_first_audio", "last_time_to_first_audio",
    "recent_time_to_first_audio",
}  # fmt: skip
MAX_PROXY_RSS_KB = 60 * 1024


def _initialize(version: str = "2025-06-18") -> dict[str, Any]:
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "conformance", "version": "1"},
    }


def _call(name: str, arguments: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments, **extra}


WAIT_WITH_PROGRESS = _call(
    "speak", {"text": "One two. Three four.", "wait": True}, _meta={"progressToken": "p1"}
)
# (method, params) requests after the handshake; each answer is compared.
REQUESTS: list[tuple[str, dict[str, Any] | None]] = [
    ("ping", None),
    ("tools/list", None),
    ("tools/list", {"cursor": "x"}),
    ("resources/list", None),
    ("resources/templates/list", None),
    ("prompts/list", None),
    ("resources/read", {"uri": "kokoro://voices"}),
    ("tools/call", _call("status", {})),
    ("tools/call", _call("list_voices", {})),
    ("tools/call", _call("speak", {"text": "hi", "speed": True})),
    ("tools/call", _call("speak", {"text": "hi", "wait": "yes"})),
    ("tools/call", _call("speak", {"text": 5})),
    ("tools/call", _call("speak", {})),
    ("tools/call", _call("speak", None)),
    ("tools/call", _call("speak", {"text": "hi", "mode": "x" * 10_000})),
    ("tools/call", _call("speak", {"text": "hi", "voice": "zz_nobody"})),
    ("tools/call", _call("speak", {"text": "   "})),
    ("tools/call", _call("stop", {"now": 1})),
    ("tools/call", _call("speak", "hello")),
    ("tools/call", {"arguments": {}}),
    ("tools/call", _call("sing" * 1000, {})),
    (
        "tools/call",
        _call(
            "speak", {"text": "One two. Three four.", "wait": True}, _meta={"progressToken": "p1"}
        ),
    ),
    ("tools/call", _call("pause", {})),
    ("tools/call", _call("resume", {})),
    ("tools/call", _call("stop", {})),
    ("tools/call", _call("status", {})),
    ("logging/setLevel", {"level": "info"}),
    (
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "x"}, "argument": {"name": "a", "value": "b"}},
    ),
    ("server/discover", {}),
    ("no/such", None),
]
# Raw lines sent after the requests; each gets one answer.
BAD_LINES = [
    b"this is not json",
    b"[" * 100_000,
    b'{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": {}}}\n'
    b'{"jsonrpc": "2.0", "id": "after-cancel", "method": "ping"}',
    b"[1, 2, 3]",
    b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": [1], "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": true, "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": 1.5, "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": null, "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": 3, "method": "ping", "params": [1]}',
    b'{"jsonrpc": "2.0", "id": 4, "method": 7}',
    b'{"jsonrpc": "2.0", "id": "2.0", "method": "ping"}',
    b'{"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "kokoro://x"}}',
    b'{"jsonrpc": "2.0", "id": 6, "method": "resources/read", "params": {}}',
    b'{"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {}}',
    b'{"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {"name": "speak",'
    b' "arguments": {"text": "Hi \\ud83d there", "voice": 3}}}',
]


def _normalised(value: Any) -> Any:
    """`value` with run-to-run differences blanked and tool text parsed where it is JSON."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE:
                out[key] = "*"
            elif key == "text" and isinstance(item, str) and item.startswith("{"):
                out[key] = _normalised(json.loads(item))
            else:
                out[key] = _normalised(item)
        return out
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def _parse_error_prefix(message: dict[str, Any]) -> dict[str, Any]:
    # Each front's JSON parser words the detail its own way; the code and advice must agree.
    # Params the SDK cannot read get its bare "Invalid request parameters"; the proxy says
    # what is missing: the code must agree.
    error = message.get("error")
    if isinstance(error, dict) and error.get("code") == -32700:
        error["message"] = error["message"].split("(")[0]
    if isinstance(error, dict) and error.get("code") == -32602 and not error.get("data"):
        error["message"] = error["message"].split(":")[0]
        error.pop("data", None)
    return message


def _transcript(server: RawServer) -> list[Any]:
    """Every answer (and notification) the script gets from `server`, in order."""
    seen: list[Any] = []
    # Before the handshake: ping works, anything else served is refused with a reason.
    seen.append(server.response(server.request("ping")))
    seen.append(server.response(server.request("tools/list")))
    seen.append(server.response(server.request("initialize", _initialize())))
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    for method, params in REQUESTS:
        request_id = server.request(method, params)
        while True:  # progress notifications arrive before the response
            message = server.read_message(timeout=30)
            seen.append(message)
            if message.get("id") == request_id:
                break
    for line in BAD_LINES:
        server.send_line(line)
        seen.append(_parse_error_prefix(server.read_message(timeout=30)))
    return [_normalised(message) for message in seen]


def _versions(server: RawServer) -> list[Any]:
    return [
        server.response(server.request("initialize", _initialize(version)))["result"][
            "protocolVersion"
        ]
        for version in (*HANDSHAKE_PROTOCOL_VERSIONS, "2026-07-28", "1999-01-01")
    ]


@pytest.mark.slow
def test_the_proxy_front_answers_exactly_as_the_sdk_front() -> None:
    transcripts = []
    for make in (lambda: RawServer(TONE), _sdk_server):
        server = make()
        try:
            transcripts.append(_transcript(server))
        finally:
            server.close()
    proxy, sdk = transcripts
    assert len(proxy) == len(sdk)
    for mine, theirs in zip(proxy, sdk, strict=True):
        assert json.dumps(mine, indent=1, sort_keys=True) == json.dumps(
            theirs, indent=1, sort_keys=True
        )
    # The script covered what it claims: errors, progress and a finished wait.
    assert any(m.get("method") == "notifications/progress" for m in proxy)
    assert sum("error" in m for m in proxy) >= 10


def test_the_handshake_revisions_are_the_sdks() -> None:
    assert HANDSHAKE_VERSIONS == HANDSHAKE_PROTOCOL_VERSIONS
    answers = []
    for make in (lambda: RawServer(TONE), _sdk_server):
        server = make()
        try:
            answers.append(_versions(server))
        finally:
            server.close()
    assert answers[0] == answers[1]
    assert answers[0][-1] == HANDSHAKE_PROTOCOL_VERSIONS[-1]  # unknown -> the newest


def test_the_proxy_is_small_and_answers_initialize_at_once() -> None:
    server = RawServer(TONE)
    try:
        started = time.monotonic()
        server.response(server.request("initialize", _initialize()))
        answered = time.monotonic() - started
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        request = server.request("tools/call", _call("speak", {"text": "hi", "wait": True}))
        assert server.response(request)["result"]["isError"] is False
        pid = server.process.pid
        maps = open(f"/proc/{pid}/maps").read()  # noqa: SIM115 (read once)
        status = open(f"/proc/{pid}/status").read()  # noqa: SIM115
        rss_kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS"))
                     .split()[1])  # fmt: skip
    finally:
        server.close()
    for heavy in ("/mcp/", "numpy", "onnxruntime", "spacy", "portaudio", "starlette"):
        assert heavy not in maps, heavy
    sys.stderr.write(f"proxy RSS {rss_kb / 1024:.1f} MB, initialize answered in {answered:.3f} s\n")
    assert rss_kb <= MAX_PROXY_RSS_KB
    assert answered < 2.0  # from a started process; it does not wait for the daemon


def _sdk_server() -> RawServer:
    return RawServer(TONE, python_args=SDK_FRONT)
