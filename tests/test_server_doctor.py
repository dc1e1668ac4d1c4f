"""`kokoro-mcp doctor` run as a user would: everything passes on a working install, and each
broken part is reported with a fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.mcp_helpers import REPO, server_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mcp,
    pytest.mark.model,
    pytest.mark.usefixtures("audio_server"),
]


def doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kokoro_mcp", "doctor", *args],
        cwd=REPO,
        env=env or server_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_doctor_passes_on_a_working_install() -> None:
    done = doctor()
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("model", "g2p", "synthesis", "audio", "server"):
        assert any(
            line.startswith("ok") and f" {name} " in line for line in done.stdout.splitlines()
        ), (
            name,
            done.stdout,
        )
    assert "All checks passed" in done.stdout


def test_doctor_reports_a_missing_model_with_the_install_command(tmp_path: Path) -> None:
    done = doctor("--model-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    model = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and " model " in line)
    assert "kokoro-mcp model install" in lines[model + 1]
    assert any(line.startswith("FAIL") and " server " in line for line in lines)


def test_doctor_reports_a_missing_audio_server_with_a_fix(tmp_path: Path) -> None:
    env = server_env({"PULSE_SERVER": f"unix:{tmp_path}/no-such-socket"})
    done = doctor(env=env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    audio = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and " audio " in line)
    assert "fix:" in lines[audio + 1]
