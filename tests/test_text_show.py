"""`kokoro-mcp say --show-text`: the chunks the engine would get, printed, without the model
or the audio device."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.say import print_chunks
from kokoro_mcp.text import speakable_chunks

pytest_plugins = ["tests.model_fixtures"]

REPLY = (
    "# Done\n\nDeploy to **staging.example.com** on 4/15 at 7:45pm ET.\n\n"
    "```diff\n-timeout = 30\n+timeout = 60\n```\n\n| Test | Status |\n|---|---|\n| a | ✅ |\n"
)


def _show(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKORO_MCP_", "PULSE"))}
    env["PULSE_SERVER"] = "unix:/nonexistent/native"  # any audio use would fail
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kokoro_mcp", "say", "--show-text", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_show_text_prints_the_engine_chunks_without_model_or_audio(model_dir: Path) -> None:
    result = _show("--voice", "af_heart", stdin=REPLY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == list(speakable_chunks(REPLY))
    assert result.stdout.splitlines() == [
        "Done.",
        "Deploy to staging dot example dot com",
        "on April 15 at 7 45 PM Eastern Time.",
        "Diff: changed timeout from 30 to 60.",
        "Test: a, Status: passed.",
    ]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    # No G2P (spaCy, misaki) and no audio library: nothing but the text stage ran.
    heavy = imported & {"sounddevice", "misaki", "spacy"}
    assert not heavy, heavy


def test_show_text_follows_the_voice_language(model_dir: Path) -> None:
    result = _show("--voice", "ef_dora", stdin="Hace **-3 grados** en `src/app/main.py`.")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hace −3 grados en main.py.\n"


def test_show_text_with_nothing_to_say_fails_like_say() -> None:
    with pytest.raises(InvalidInputError, match="nothing to say"):
        print_chunks("🎉 ```\n```", out=io.StringIO())


@pytest.mark.slow
def test_print_chunks_writes_one_chunk_a_line() -> None:
    out = io.StringIO()
    assert print_chunks("First. " + "More words here " * 30, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "First."
    assert len(lines) > 2 and all(line == line.strip() and line for line in lines)
