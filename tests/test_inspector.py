"""The MCP Inspector CLI (npm, pinned in tools/inspector) against the installed `kokoro-mcp`
command, as a new user would run it. The Inspector exits 0 even when a tool fails, so every
test reads its JSON output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import pulse
from tests.inspector import inspector_cli
from tests.mcp_helpers import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mcp,
    pytest.mark.model,
    pytest.mark.usefixtures("audio_server"),
]


@pytest.fixture(scope="module")
def inspector() -> Path:
    return inspector_cli()


@pytest.fixture(scope="module")
def command() -> str:
    """The `kokoro-mcp` console script of this environment (pip install -e . makes it)."""
    beside = Path(sys.executable).with_name("kokoro-mcp")
    found = str(beside) if beside.exists() else shutil.which("kokoro-mcp")
    assert found, "the kokoro-mcp command is not installed: run `pip install -e .`"
    return found


def run_inspector(inspector: Path, command: str, *args: str, timeout: float = 180) -> Any:
    done = subprocess.run(
        [str(inspector), "--cli", "-e", f"PULSE_SERVER={pulse.SERVER}", command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON: {done.stdout[-2000:]!r} / {done.stderr[-2000:]}") from None


def test_tools_list(inspector: Path, command: str) -> None:
    listed = run_inspector(inspector, command, "--method", "tools/list")
    tools = {tool["name"]: tool for tool in listed["tools"]}
    assert set(tools) == {
        "speak", "save_speech", "pause", "resume", "stop", "status", "list_voices"
    }  # fmt: skip
    assert tools["status"]["annotations"]["readOnlyHint"] is True
    assert tools["stop"]["annotations"]["idempotentHint"] is True
    # Only save_speech may replace something (a file, with overwrite=true).
    assert all(
        t["annotations"]["destructiveHint"] is (t["name"] == "save_speech") for t in tools.values()
    )
    assert tools["speak"]["inputSchema"]["required"] == ["text"]
    assert "outputSchema" in tools["speak"]


def test_resources_list(inspector: Path, command: str) -> None:
    listed = run_inspector(inspector, command, "--method", "resources/list")
    assert [r["uri"] for r in listed["resources"]] == ["kokoro://voices"]


def test_status_call(inspector: Path, command: str) -> None:
    result = run_inspector(inspector, command, "--method", "tools/call", "--tool-name", "status")
    assert result["isError"] is False
    status = result["structuredContent"]
    assert status["state"] in {"loading", "idle"}
    assert status["defaults"]["voice"] == "af_heart"


@pytest.mark.audio
def test_speak_call_plays_at_the_sink(inspector: Path, command: str) -> None:
    with pulse.Capture() as capture:
        result = run_inspector(
            inspector,
            command,
            "--method", "tools/call", "--tool-name", "speak",
            "--tool-arg", "text=Inspector check.", "--tool-arg", "wait=true",
        )  # fmt: skip
        samples = capture.samples
    assert result["isError"] is False, result
    assert result["structuredContent"]["state"] == "finished"
    assert pulse.first_sound(samples) is not None, "nothing reached the sink"


def test_bad_speak_call_is_an_error_in_the_json(inspector: Path, command: str) -> None:
    result = run_inspector(
        inspector,
        command,
        "--method", "tools/call", "--tool-name", "speak",
        "--tool-arg", "text=hi", "--tool-arg", "voice=nobody",
    )  # fmt: skip
    assert result["isError"] is True
    assert "nobody" in result["content"][0]["text"]


def test_claude_desktop_example_config_works(inspector: Path, command: str) -> None:
    # The Inspector reads Claude Desktop's config format: the example file at the top of the
    # repository must start the server as written (kokoro-mcp found on PATH).
    env = {**os.environ, "PATH": f"{Path(command).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [
            str(inspector), "--cli",
            "--config", str(REPO / "claude_desktop_config.example.json"), "--server", "kokoro",
            "--method", "tools/call", "--tool-name", "status",
        ],
        capture_output=True, text=True, timeout=180, cwd=REPO, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    status = json.loads(done.stdout)["structuredContent"]
    assert status["defaults"] == {"voice": "af_heart", "speed": 1.0, "mode": "interrupt"}
