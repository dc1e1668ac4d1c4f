"""A damaged model file is noticed soon after start, without slowing start-up or speech.

The damage is one flipped byte in the middle of the graph that runs: it loads, it speaks
(differently), and only a full hash tells.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.model.layout import FAST_ONNX_NAME
from kokoro_mcp.say import speak_blocking
from kokoro_mcp.speaker import Speaker
from tests.mcp_helpers import REPO, connect, server_env, structured

pytest_plugins = ["tests.model_fixtures"]
pytestmark = [pytest.mark.slow, pytest.mark.model, pytest.mark.usefixtures("audio_server")]

REPORT_BUDGET = 20.0  # seconds from start to the report, on a busy 2-core box
MISMATCH = f"{FAST_ONNX_NAME} does not match its checksum"
REPAIR = "`kokoro-mcp model install --force`"


@pytest.fixture(scope="module")
def damaged_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed folder (links), but the graph that runs is a copy with one byte flipped."""
    root = tmp_path_factory.mktemp("damaged-model")
    for entry in model_dir.iterdir():
        if entry.name != FAST_ONNX_NAME:
            (root / entry.name).symlink_to(entry)
    graph = root / FAST_ONNX_NAME
    shutil.copyfile(model_dir / FAST_ONNX_NAME, graph)
    with graph.open("r+b") as handle:
        middle = graph.stat().st_size // 2
        handle.seek(middle)
        byte = handle.read(1)[0]
        handle.seek(middle)
        handle.write(bytes([byte ^ 0x10]))
    return root


@pytest.fixture
def speaker_on(request: pytest.FixtureRequest) -> Iterator[Any]:
    made: list[Speaker] = []

    def make(root: Path) -> Speaker:
        speaker = Speaker(OnnxEngine(root), default_probe=None)
        speaker.start()
        made.append(speaker)
        return speaker

    yield make
    for speaker in made:
        speaker.close()


def _until(condition: Any, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_a_flipped_byte_is_reported_by_the_speaker_while_speech_works(
    damaged_model_dir: Path, speaker_on: Any
) -> None:
    started = time.monotonic()
    speaker = speaker_on(damaged_model_dir)
    assert speaker.wait_ready(120)
    ready = time.monotonic() - started
    # Speech does not wait for the check.
    utterance = speaker.speak("OK.")
    assert utterance.wait(30) and utterance.state == "done", utterance.error
    assert _until(lambda: speaker.status().model_problem is not None, REPORT_BUDGET)
    reported = time.monotonic() - started
    problem = speaker.status().model_problem
    assert problem is not None and MISMATCH in problem and REPAIR in problem
    assert str(damaged_model_dir) in problem
    print(f"model ready after {ready:.2f} s; damage reported after {reported:.2f} s")


def test_an_intact_install_checks_clean(model_dir: Path, speaker_on: Any) -> None:
    speaker = speaker_on(model_dir)
    assert speaker.wait_ready(120)
    integrity = speaker.engine.integrity
    assert integrity is not None and integrity.wait(60)
    assert integrity.state == "ok"
    assert speaker.status().model_problem is None


def test_one_shot_speech_does_not_hash_the_model(model_dir: Path) -> None:
    engine = OnnxEngine(model_dir)
    speak_blocking(engine, "OK.")
    assert engine.integrity is None


@pytest.mark.mcp
def test_status_over_stdio_reports_the_damage(damaged_model_dir: Path) -> None:
    async def scenario() -> tuple[float, dict[str, Any]]:
        started = time.monotonic()
        async with connect({"KOKORO_MCP_MODEL_DIR": str(damaged_model_dir)}) as session:
            model: dict[str, Any] = {}
            with anyio.move_on_after(REPORT_BUDGET + 30):
                while not model.get("problem"):
                    model = structured(await session.call_tool("status", {}))["model"]
                    await anyio.sleep(0.2)
            return time.monotonic() - started, model

    seconds, model = anyio.run(scenario)
    assert model.get("problem"), model
    assert MISMATCH in model["problem"] and REPAIR in model["problem"]
    assert model["loaded"] is True and model["error"] is None
    assert seconds <= REPORT_BUDGET, f"reported after {seconds:.1f} s"


@pytest.mark.mcp
def test_doctor_reports_the_damage_with_the_repair(damaged_model_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kokoro_mcp", "doctor", "--model-dir", str(damaged_model_dir)],
        cwd=REPO,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    model = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and " model " in line)
    assert MISMATCH in lines[model]
    assert "kokoro-mcp model install" in lines[model + 1] and "--force" in lines[model + 1]
