"""The MCP surface through the SDK client over stdio: tools, schemas, annotations, resources,
structured results, and every kind of bad input (each an error, the next call still works).

Runs the real `python -m kokoro_mcp` on the tone engine (a real Engine, fast) and the private
PulseAudio server.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import ClientSession

from tests.mcp_helpers import TONE, assert_plain_error, connect, error_text, structured

# A server process per test over stdio (test_server_tools covers the tools in-process in the
# quick loop): whole processes, so the group is `slow`.
pytestmark = [pytest.mark.slow, pytest.mark.mcp, pytest.mark.usefixtures("pulse_server")]

TOOLS = {"speak", "save_speech", "pause", "resume", "stop", "status", "list_voices"}


async def _ready(session: ClientSession, timeout: float = 20.0) -> dict[str, Any]:
    """Status once the model is loaded and the audio output is open."""
    status: dict[str, Any] = {}
    with anyio.move_on_after(timeout):
        while True:
            status = structured(await session.call_tool("status", {}))
            if status["state"] == "idle" and (status["audio"] or {}).get("ok"):
                return status
            await anyio.sleep(0.05)
    raise AssertionError(f"server not ready after {timeout} s: {status}")


def test_tool_list_has_schemas_annotations_and_descriptions() -> None:
    async def scenario() -> None:
        async with connect(TONE) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(tools) == TOOLS
            for tool in tools.values():
                notes = tool.annotations
                assert notes is not None, tool.name
                assert tool.title and notes.title, tool.name
                # Only save_speech may replace something: a file, with overwrite=true.
                assert notes.destructive_hint is (tool.name == "save_speech"), tool.name
                assert notes.open_world_hint is False, tool.name
                assert tool.description and len(tool.description) > 60, tool.name
                assert tool.output_schema is not None, tool.name
            assert tools["status"].annotations and tools["status"].annotations.read_only_hint
            assert tools["speak"].annotations and not tools["speak"].annotations.read_only_hint
            for name in ("pause", "resume", "stop"):
                notes = tools[name].annotations
                assert notes is not None and notes.idempotent_hint is True, name
            assert "short" in (tools["speak"].description or "")

            schema = tools["speak"].input_schema
            assert schema["required"] == ["text"]
            props = schema["properties"]
            assert set(props) == {
                "text", "voice", "speed", "mode", "wait", "priority", "ttl", "replace"
            }  # fmt: skip
            assert props["text"]["type"] == "string"
            speed = next(o for o in props["speed"]["anyOf"] if o.get("type") == "number")
            assert (speed["minimum"], speed["maximum"]) == (0.5, 2.0)
            mode = next(o for o in props["mode"]["anyOf"] if "enum" in o)
            assert mode["enum"] == ["interrupt", "queue"]
            assert props["wait"]["default"] is False
            priority = next(o for o in props["priority"]["anyOf"] if "enum" in o)
            assert priority["enum"] == ["low", "normal", "high"]
            assert props["priority"]["default"] == "normal"
            ttl = next(o for o in props["ttl"]["anyOf"] if o.get("type") == "number")
            assert (ttl["minimum"], ttl["maximum"]) == (0.1, 3600)
            replace = next(o for o in props["replace"]["anyOf"] if o.get("type") == "string")
            assert (replace["minLength"], replace["maxLength"]) == (1, 64)
            for name in ("pause", "resume", "stop", "status", "list_voices"):
                assert not tools[name].input_schema.get("properties"), name
            out = tools["speak"].output_schema or {}
            assert {
                "state",
                "voice",
                "speed",
                "characters",
                "chunks",
                "time_to_first_audio",
                "priority",
                "reason",
            } <= set(out["properties"])
            state = out["properties"]["state"]
            assert state["enum"] == ["accepted", "finished", "stopped", "dropped"], state

    anyio.run(scenario)


def test_initialize_carries_instructions_and_server_info() -> None:
    async def scenario() -> None:
        async with connect(TONE) as session:
            info = session.initialize_result
            assert info is not None
            assert info.server_info.name == "kokoro-mcp"
            assert info.instructions and "speak" in info.instructions
            assert "short" in info.instructions

    anyio.run(scenario)


def test_voices_as_resource_and_tool() -> None:
    async def scenario() -> None:
        async with connect(TONE) as session:
            resources = (await session.list_resources()).resources
            assert [str(r.uri) for r in resources] == ["kokoro://voices"]
            assert resources[0].mime_type == "application/json"
            read = await session.read_resource("kokoro://voices")
            import json

            body = json.loads(read.contents[0].text)  # type: ignore[union-attr]
            listed = structured(await session.call_tool("list_voices", {}))
            assert body == listed
            names = {v["name"]: v for v in listed["voices"]}
            assert names["af_heart"]["language"] == "en-US"
            assert names["af_heart"]["gender"] == "female"
            assert names["bm_george"]["language"] == "en-GB"
            assert names["bm_george"]["gender"] == "male"
            assert listed["default"] == "af_heart"

    anyio.run(scenario)


def test_status_and_speak_results_are_structured() -> None:
    async def scenario() -> None:
        async with connect(TONE, read_timeout=30) as session:
            status = await _ready(session)
            assert status["state"] == "idle"
            assert status["model"] == {
                "engine": "tone",
                "loaded": True,
                "loading": False,
                "error": None,
                "problem": None,
                "installing": False,
            }
            assert status["audio"]["ok"] is True
            assert status["defaults"] == {"voice": "af_heart", "speed": 1.0, "mode": "interrupt"}

            accepted = structured(
                await session.call_tool("speak", {"text": "one two three", "voice": "bm_george"})
            )
            assert accepted["state"] == "accepted"
            assert accepted["voice"] == "bm_george"
            assert accepted["characters"] == len("one two three")

            progress: list[tuple[float, float | None, str | None]] = []

            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                progress.append((done, total, message))

            words = " ".join(f"w{i}" for i in range(12))  # tone engine: 8 words per chunk
            finished = structured(
                await session.call_tool(
                    "speak",
                    {"text": words, "speed": 2.0, "wait": True},
                    progress_callback=on_progress,
                )
            )
            assert finished["state"] == "finished"
            assert finished["speed"] == 2.0
            assert finished["chunks"] == 2 and finished["chunks_played"] == 2
            assert finished["time_to_first_audio"] is not None
            assert [p[0] for p in progress] == [1.0, 2.0]
            assert progress[-1][1] == 2.0

            status = structured(await session.call_tool("status", {}))
            ttfa = pytest.approx(finished["time_to_first_audio"], abs=0.0015)  # rounding
            assert status["last_time_to_first_audio"] == ttfa
            assert status["recent_time_to_first_audio"][-1] == ttfa

            stopped = structured(await session.call_tool("stop", {}))
            assert stopped["action"] == "stop" and stopped["changed"] is False

    anyio.run(scenario)


BAD_SPEAK_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({}, "text"),  # missing text
    ({"text": 42}, "string"),  # wrong type
    ({"text": ["a", "b"]}, "string"),
    ({"text": "   "}, "empty"),
    ({"text": "hello", "voice": "af_hart"}, "af_heart"),  # unknown voice, with a suggestion
    ({"text": "hello", "speed": 7}, "speed"),
    ({"text": "hello", "speed": 0.1}, "speed"),
    ({"text": "hello", "speed": "fast"}, "speed"),
    ({"text": "hello", "mode": "shout"}, "interrupt"),
    ({"text": "hello", "spead": 1.2}, "spead"),  # unknown argument
    ({"text": "hello", "wait": "maybe"}, "wait"),
    ({"text": "x" * 1_000_000}, "20,000"),  # 1 MB
]


def test_every_bad_input_is_an_error_and_the_next_call_works() -> None:
    async def scenario() -> None:
        async with connect(TONE, read_timeout=30) as session:
            await _ready(session)
            for arguments, expected in BAD_SPEAK_ARGUMENTS:
                result = await session.call_tool("speak", arguments)
                message = error_text(result)
                assert result.is_error, (arguments, message)
                assert expected in message, (arguments, message)
                assert_plain_error(message)
                # The server keeps serving: a good call right after works.
                status = structured(await session.call_tool("status", {}))
                assert status["model"]["loaded"] is True
            for tool in ("pause", "resume", "stop", "status", "list_voices"):
                result = await session.call_tool(tool, {"bogus": 1})
                assert result.is_error and "bogus" in error_text(result), tool
                assert_plain_error(error_text(result))
            unknown = await session.call_tool("sing", {"text": "la"})
            assert unknown.is_error and "sing" in error_text(unknown)
            assert_plain_error(error_text(unknown))
            ok = structured(await session.call_tool("speak", {"text": "still here"}))
            assert ok["state"] == "accepted"

    anyio.run(scenario)


def test_queue_full_is_an_error_that_names_the_fix() -> None:
    async def scenario() -> None:
        async with connect({**TONE, "KOKORO_MCP_MAX_QUEUE": "1"}, read_timeout=30) as session:
            await _ready(session)
            long_text = " ".join(["word"] * 30)
            await session.call_tool("speak", {"text": long_text})
            await session.call_tool("speak", {"text": long_text, "mode": "queue"})
            result = await session.call_tool("speak", {"text": long_text, "mode": "queue"})
            assert result.is_error
            assert "queue is full" in error_text(result)
            stopped = structured(await session.call_tool("stop", {}))
            assert stopped["dropped"] == 2

    anyio.run(scenario)
