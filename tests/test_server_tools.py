"""The MCP tools in-process: the SDK's in-memory client against the real server object, over a
real Speaker with the tone engine (no subprocess, no model), so the tools' contract is checked
fast. What only a process shows (stdout, signals, the daemon) is in the stdio tests."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from kokoro_mcp.config import Settings
from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.server.backends import LocalBackend
from kokoro_mcp.server.sdk_front import build_server
from tests.mcp_helpers import assert_plain_error, error_text, structured

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_server")]


def _server(**settings: Any) -> Any:
    chosen = Settings(engine="tone", daemon=False, **settings)
    return build_server(chosen, LocalBackend(chosen, engine_factory=lambda _: ToneEngine()))


def test_tools_carry_titles_annotations_and_schemas() -> None:
    async def run() -> None:
        async with Client(_server()) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == {
                "speak", "save_speech", "pause", "resume", "stop", "status", "list_voices"
            }  # fmt: skip
            for tool in tools.values():
                assert tool.title and tool.description and tool.output_schema
                assert tool.annotations is not None
                # Only save_speech may destroy anything: a file, with overwrite=true.
                assert tool.annotations.destructive_hint is (tool.name == "save_speech")
                assert tool.annotations.open_world_hint is False
            assert tools["status"].annotations.read_only_hint is True  # type: ignore[union-attr]
            assert tools["stop"].annotations.idempotent_hint is True  # type: ignore[union-attr]
            assert "text" in tools["speak"].input_schema["properties"]

    anyio.run(run)


@pytest.mark.slow
def test_speak_waits_with_progress_and_stop_and_status_answer() -> None:
    async def run() -> None:
        async with Client(_server()) as client:
            progress: list[float] = []

            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                progress.append(done)

            result = await client.call_tool(
                "speak",
                {"text": "one two three four five six seven eight nine ten", "wait": True},
                progress_callback=on_progress,
            )
            spoken = structured(result)
            assert spoken["state"] == "finished" and spoken["chunks_played"] == 2
            assert progress == [1, 2]
            accepted = structured(await client.call_tool("speak", {"text": "word " * 40}))
            assert accepted["state"] == "accepted"
            stopped = structured(await client.call_tool("stop", {}))
            assert stopped["dropped"] == 1 and stopped["changed"] is True
            status = structured(await client.call_tool("status", {}))
            assert status["state"] == "idle" and status["model"]["engine"] == "tone"
            assert status["daemon"] is None  # no daemon: everything in this process
            voices = structured(await client.call_tool("list_voices", {}))
            assert "af_heart" in {voice["name"] for voice in voices["voices"]}

    anyio.run(run)


LONG = "x" * 100_000


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("speak", {"text": "hi", "spead": 1.2}, "unknown argument 'spead'; speak takes text,"),
        ("speak", {"text": "hi", "voice": "zz_nobody"}, "zz_nobody"),
        ("speak", {"text": "   "}, "text is empty"),
        ("speak", {"text": "x" * 20_001}, "20,000"),
        ("speak", {}, "text is missing: speak needs the words to say as a string"),
        ("speak", {"text": 5}, "text must be the words to say as a string"),
        # Strict types: no bool as a number, no string as a bool.
        ("speak", {"text": "hi", "speed": True}, "speed must be a number from 0.5 to 2.0"),
        ("speak", {"text": "hi", "speed": 9}, "(1.0 is normal); got 9 (a number)."),
        ("speak", {"text": "hi", "speed": "1.0"}, 'got "1.0" (a string)'),
        ("speak", {"text": "hi", "wait": "yes"}, 'wait must be true or false; got "yes"'),
        ("speak", {"text": "hi", "wait": 1}, "wait must be true or false; got 1 (a number)"),
        ("speak", {"text": "hi", "mode": LONG}, "mode must be 'interrupt' or 'queue'; got"),
        ("speak", {"text": "hi", "voice": ["af_heart"]}, 'got ["af_heart"] (an array)'),
        ("stop", {"now": True}, "unknown argument 'now'; stop takes no arguments."),
        (LONG, {}, "unknown tool 'xxxx"),
    ],
)
def test_bad_arguments_are_tool_errors_that_say_what_to_change(
    tool: str, arguments: dict[str, Any], message: str
) -> None:
    async def run() -> None:
        async with Client(_server()) as client:
            result = await client.call_tool(tool, arguments)
            assert result.is_error, result
            text = error_text(result)
            assert message in text
            assert_plain_error(text)
            state = structured(await client.call_tool("status", {}))["state"]
            assert state in ("idle", "loading")  # and the server goes on serving

    anyio.run(run)
