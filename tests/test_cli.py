"""The command line as a user types it: exit codes, messages, WAV output, clean stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asr import transcribe, word_error_rate
from tests.daemon_helpers import DaemonHome
from tests.mcp_helpers import PYTHON, REPO, TONE, server_env
from tests.wav_files import read_wav

pytest_plugins = ["tests.model_fixtures"]


def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KOKORO_MCP_")}
    return subprocess.run(
        [sys.executable, "-m", "kokoro_mcp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.asr
def test_say_writes_an_intelligible_wav(tmp_path: Path, model_dir: Path) -> None:
    out = tmp_path / "hello.wav"
    text = "Hello, the report is ready for you."
    result = run("say", "--voice", "bm_george", "--output", str(out), text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    samples, rate = read_wav(out)
    assert rate == 24_000 and len(samples) > rate
    assert word_error_rate(text, transcribe(samples)) <= 0.15


@pytest.mark.slow
@pytest.mark.model
def test_say_reads_stdin(tmp_path: Path, model_dir: Path) -> None:
    out = tmp_path / "stdin.wav"
    result = run("say", "-o", str(out), stdin="Build finished.\n")
    assert result.returncode == 0, result.stderr
    assert read_wav(out)[0].size > 0


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["say", "--speed", "nan", "hi"], {}, 2, "speed must be between 0.5 and 2.0"),
        (["say", "--speed", "fast", "hi"], {}, 2, "speed must be a number"),
        (["--bogus"], {}, 2, "unrecognized arguments: --bogus"),
        (["model"], {}, 2, "model needs a subcommand"),
        (
            ["say", "-o", "/nonexistent/dir/x.wav", "hi"],
            {},
            1,
            "folder /nonexistent/dir does not exist",
        ),
        (["say", "-v", "af_hart", "-o", "x.wav", "hi"], {}, 2, "Did you mean af_heart"),
        (["voices"], {"KOKORO_MCP_SPEED": "9"}, 1, "KOKORO_MCP_SPEED or --speed"),
        (["voices"], {"KOKORO_MCP_KEEP_ALIVE": "maybe"}, 1, "is not a boolean"),
        (["voices"], {"KOKORO_MCP_MODE": "shout"}, 1, "mode must be one of interrupt, queue"),
        (
            ["say", "--model-dir", "/nonexistent", "-o", "x.wav", "hi"],
            {},
            1,
            "`kokoro-mcp model install`",
        ),
    ],
)
def test_bad_usage_gets_one_clear_line(
    args: list[str], env: dict[str, str], code: int, message: str, model_dir: Path
) -> None:
    result = run(*args, **env)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_debug_shows_what_caused_an_error() -> None:
    """Without --debug one line; with it, the traceback keeps the original cause."""
    quiet = run("voices", KOKORO_MCP_SPEED="fast")
    assert quiet.stderr == "kokoro-mcp: KOKORO_MCP_SPEED='fast' is not a valid float\n"
    loud = run("voices", "--debug", KOKORO_MCP_SPEED="fast")
    assert loud.returncode == 1
    assert "ValueError: could not convert string to float: 'fast'" in loud.stderr
    assert "was the direct cause of the following exception" in loud.stderr
    assert loud.stderr.endswith(quiet.stderr)


def test_say_with_nothing_to_say() -> None:
    result = run("say", stdin="   \n")
    assert result.returncode == 1
    assert "nothing to say" in result.stderr


def test_voices_lists_language_and_gender(model_dir: Path) -> None:
    result = run("voices")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 54
    assert any(line.split()[:3] == ["bm_george", "en-GB", "male"] for line in lines)
    assert any(line.startswith("jf_alpha") and "not supported" in line for line in lines)


@pytest.mark.parametrize(
    "program",
    [
        ["kokoro_mcp", "status", "--json"],
        ["kokoro_mcp.client.kk", "--help"],
        ["kokoro_mcp.client.kk", "status", "--json"],
    ],
)
def test_a_reader_that_left_ends_the_command_quietly(program: list[str]) -> None:
    """`kk status --json | head -1`: when stdout's reader has gone, the command ends the way
    other Unix tools do (141) and prints no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader leaves before the first byte: every write fails
    try:
        with DaemonHome() as home:
            result = subprocess.run(
                [PYTHON, "-m", *program],
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                env=server_env({**home.env(), **TONE}),
                cwd=str(REPO),
                timeout=60,
            )
            assert home.pid() is None  # status never starts a daemon, even here
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
