"""Protocol edges over raw stdio: every request line gets an answer a client can act on.

Runs the real `python -m kokoro_mcp` (tone engine) on plain pipes, so the test writes the
exact bytes a client might send.
"""

from __future__ import annotations

from typing import Any

import pytest

from kokoro_mcp.server.jsonrpc import replace_lone_surrogates
from tests.mcp_helpers import TONE, RawServer

# Raw stdio against a server process: whole processes, so the group is `slow`.
pytestmark = [pytest.mark.slow, pytest.mark.mcp, pytest.mark.usefixtures("pulse_server")]


def _speak_line(request_id: int, text_json: str, wait: bool = False) -> bytes:
    """A tools/call speak request whose text is given as raw JSON string content."""
    arguments = f'{{"text":"{text_json}","wait":{str(wait).lower()}}}'
    params = f'{{"name":"speak","arguments":{arguments}}}'
    return f'{{"jsonrpc":"2.0","id":{request_id},"method":"tools/call","params":{params}}}'.encode()


@pytest.mark.parametrize(
    ("raw", "repaired", "count"),
    [
        (r"Hi \ud83d there", r"Hi \ufffd there", 1),
        (r"cut \ude00", r"cut \ufffd", 1),
        (r"pair \ud83d\ude00 kept", r"pair \ud83d\ude00 kept", 0),
        (r"two \uD83D\uD83D", r"two \ufffd\ufffd", 2),
        (r"escaped \\ud83d backslash", r"escaped \\ud83d backslash", 0),
        (r"odd \\\ud83d", r"odd \\\ufffd", 1),
        (r"plain \u00e9", r"plain \u00e9", 0),
    ],
)
def test_only_unpaired_surrogate_escapes_are_replaced(raw: str, repaired: str, count: int) -> None:
    assert replace_lone_surrogates(raw) == (repaired, count)


@pytest.mark.slow
def test_a_lone_surrogate_gets_an_answer_for_its_request() -> None:
    with RawServer(TONE) as server:
        server.initialize()
        for request_id, text_json, spoken in [
            (101, r"Hi \ud83d there", "Hi \ufffd there"),
            (102, r"cut at the end \ud83d", "cut at the end \ufffd"),
            (103, r"a pair \ud83d\ude00 stays", "a pair 😀 stays"),
            (104, r"a backslash \\ud83d stays", "a backslash \\ud83d stays"),
        ]:
            server.send_line(_speak_line(request_id, text_json, wait=True))
            reply = server.response(request_id, timeout=30)
            assert "result" in reply, reply
            result: dict[str, Any] = reply["result"]
            assert result["isError"] is False, result
            assert result["structuredContent"]["state"] == "finished"
            assert result["structuredContent"]["characters"] == len(spoken)
        assert "unpaired surrogate" in server.stderr()


@pytest.mark.parametrize(
    ("request_id", "kind"),
    [
        ({"a": 1}, "an object"),
        ([1], "an array"),
        (True, "a boolean"),
        (1.5, "a fraction"),
        (None, "null"),
    ],
)
def test_an_id_json_rpc_forbids_gets_invalid_request(request_id: object, kind: str) -> None:
    with RawServer(TONE) as server:
        server.initialize()
        server.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"})
        reply = server.read_message(10)
        assert reply["id"] is None, reply
        assert reply["error"]["code"] == -32600
        assert (
            f'"id" must be a string or an integer (JSON-RPC 2.0), got {kind}'
            in (reply["error"]["message"])
        )
        assert server.call("ping", timeout=10)["result"] == {}


def test_calls_before_initialize_are_told_so() -> None:
    with RawServer(TONE) as server:
        for method, params in [
            ("tools/call", {"name": "status", "arguments": {}}),
            ("tools/list", None),
            ("resources/list", None),
        ]:
            reply = server.call(method, params, timeout=10)
            assert reply["error"]["code"] == -32600, reply
            message = reply["error"]["message"]
            assert message.startswith("Not initialized:") and method in message
            assert "initialize" in message.split(":", 1)[1]
        assert server.call("ping", timeout=10)["result"] == {}
        assert server.call("no/such/method", timeout=10)["error"]["code"] == -32601
        server.initialize()
        assert "result" in server.call("tools/list", timeout=10)
