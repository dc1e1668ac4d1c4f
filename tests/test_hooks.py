"""Claude Code hooks: what is said for each payload, handing it to the daemon without holding
the agent up, and installing the hooks into settings.json and taking them out again."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.hooks.claude_code import NOTIFY_PREFIX, compose, manners
from kokoro_mcp.hooks.settings import MARKER, SettingsFileError, install, uninstall
from tests import pulse
from tests.asr import transcribe
from tests.daemon_audio import describe_heard, distinct_texts, heard_in_order, tones_of
from tests.daemon_helpers import DaemonHome, run_kk
from tests.mcp_helpers import PYTHON, REPO, TONE, server_env
from tests.waiting import wait_until

REPLY_WITH_SUMMARY = """I refactored the parser and ran the whole suite.

```python
def parse(text):
    return tokens(text)
```

## Details
- moved `tokens()` into its own module
- 3 files changed

## Summary
The parser refactor is done and all tests pass. Next I will update the docs.
"""
REPLY_WITHOUT_SUMMARY = (
    "The deploy to **staging** failed because the migration timed out. I rolled it back."
    " Then I looked at the logs for a while and found nothing else.\n\nMore detail here."
)


def transcript(path: Path, *turns: tuple[str, Any]) -> str:
    """A JSONL transcript: one object a line, as Claude Code writes it."""
    lines = []
    for kind, content in turns:
        lines.append(json.dumps({"type": kind, "message": {"role": kind, "content": content}}))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def stop_payload(path: str, **extra: Any) -> dict[str, Any]:
    return {"session_id": "s1", "transcript_path": path, "cwd": "/home/me/shop-api",
            "hook_event_name": "Stop", "stop_hook_active": False, **extra}  # fmt: skip


def test_stop_says_the_summary_section(tmp_path: Path) -> None:
    path = transcript(
        tmp_path / "t.jsonl",
        ("user", "Refactor the parser please"),
        ("assistant", [{"type": "text", "text": "On it."}]),
        ("assistant", [{"type": "tool_use", "id": "1", "name": "Edit", "input": {}}]),
        ("user", [{"type": "tool_result", "tool_use_id": "1", "content": "ok"}]),
        ("assistant", [{"type": "text", "text": REPLY_WITH_SUMMARY}]),
    )
    said = compose(stop_payload(path))
    assert said == (
        "The parser refactor is done and all tests pass. Next I will update the docs."
    ), said


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (REPLY_WITHOUT_SUMMARY, "The deploy to **staging** failed because the migration timed"
         " out. I rolled it back."),
        ("**TL;DR:** Two tests fail in auth.\n\nLong explanation.", "Two tests fail in auth."),
        ("Summary - the build is green.\n\nMore.", "the build is green."),
    ],
)  # fmt: skip
def test_stop_without_a_summary_says_the_first_sentences(
    tmp_path: Path, reply: str, expected: str
) -> None:
    path = transcript(tmp_path / "t.jsonl", ("user", "go"), ("assistant", reply))
    assert compose(stop_payload(path)) == expected


def test_nothing_for_tool_only_turns_active_stop_hooks_and_strangers(tmp_path: Path) -> None:
    tools_only = transcript(
        tmp_path / "tools.jsonl",
        ("user", "run the tests"),
        ("assistant", [{"type": "tool_use", "id": "1", "name": "Bash", "input": {}}]),
        ("user", [{"type": "tool_result", "tool_use_id": "1", "content": "ok"}]),
    )
    assert compose(stop_payload(tools_only)) is None
    spoken = transcript(tmp_path / "t.jsonl", ("user", "go"), ("assistant", "All done."))
    assert compose(stop_payload(spoken, stop_hook_active=True)) is None
    assert compose(stop_payload(spoken, hook_event_name="PreToolUse")) is None
    assert compose(["not", "a", "payload"]) is None
    assert compose({"hook_event_name": "Stop"}) is None


def test_notification_is_told_apart_and_long_text_is_capped(tmp_path: Path) -> None:
    note = {
        "hook_event_name": "Notification",
        "message": "Claude needs your permission to use Bash",
    }
    assert compose(note) == "Claude needs you: Claude needs your permission to use Bash"
    long = transcript(tmp_path / "t.jsonl", ("user", "go"), ("assistant", "word " * 300))
    said = compose(stop_payload(long), max_words=12)
    assert said is not None and len(said.split()) == 12 and said.endswith("…")


def run_hook(
    home: DaemonHome, payload: bytes, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "-m", "kokoro_mcp", "hook", "claude-code"],
        input=payload,
        env=server_env({**home.env(), **TONE, **(env or {})}),
        cwd=str(REPO),
        capture_output=True,
        timeout=30,
    )
    return done, time.monotonic() - started


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_the_hook_hands_over_fast_prints_nothing_and_never_fails(tmp_path: Path) -> None:
    path = transcript(tmp_path / "t.jsonl", ("user", "go"), ("assistant", "All tests pass."))
    payload = json.dumps(stop_payload(path)).encode()
    with DaemonHome() as home, pulse.Capture() as capture:
        cold, _ = run_hook(home, payload)  # no daemon yet: one is started in the background
        assert cold.returncode == 0 and cold.stdout == b"", cold
        deadline = time.monotonic() + 30
        while pulse.first_sound(capture.samples) is None:
            assert time.monotonic() < deadline, "the first hook's speech was never heard"
            time.sleep(0.05)
        warm, took = run_hook(home, payload)
        assert warm.returncode == 0 and warm.stdout == b"" and warm.stderr == b"", warm
        print(f"hook process with a running daemon: {took * 1000:.0f} ms")
        for bad in (
            b"{not json",
            b"",
            json.dumps(stop_payload(str(tmp_path / "missing"))).encode(),
        ):
            done, _ = run_hook(home, bad)
            assert done.returncode == 0 and done.stdout == b"" and done.stderr == b"", done
        hook_log = (home.state / "kokoro-mcp" / "hook.log").read_text()
        assert "JSONDecodeError" in hook_log and "FileNotFoundError" in hook_log


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.asr
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_a_stop_hook_is_heard_as_the_summary(tmp_path: Path) -> None:
    path = transcript(tmp_path / "t.jsonl", ("user", "go"), ("assistant", REPLY_WITH_SUMMARY))
    payload = json.dumps(stop_payload(path)).encode()
    with DaemonHome() as home, pulse.Capture() as capture:
        done, _ = run_hook(home, payload, env={"KOKORO_MCP_ENGINE": "onnx"})
        assert done.returncode == 0
        deadline = time.monotonic() + 60
        while pulse.first_sound(capture.samples) is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(6.0)  # the summary is two sentences
        heard = transcribe(capture.samples).lower()
    for word in ("parser", "tests pass", "docs"):
        assert word in heard, heard
    assert "python" not in heard and "details" not in heard, heard


# -- settings.json ------------------------------------------------------------------------------

COMMAND = f"/opt/venv/bin/python -m {MARKER}"
POPULATED = """{
    "model": "opus",
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "notify-send done"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "audit"}]}]
    }
}
"""


def test_install_into_a_missing_file_then_uninstall_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    assert "added Stop, Notification" in install(path, command=COMMAND)
    data = json.loads(path.read_text())
    assert data == {"hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": COMMAND, "timeout": 10}]}],
        "Notification": [{"hooks": [{"type": "command", "command": COMMAND, "timeout": 10}]}],
    }}  # fmt: skip
    assert "already installed" in install(path, command=COMMAND)
    assert "removed 2" in uninstall(path)
    assert not path.exists()


def test_install_keeps_every_other_setting_and_uninstall_restores_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(POPULATED)
    install(path, command=COMMAND)
    data = json.loads(path.read_text())
    assert data["model"] == "opus" and data["permissions"] == {"allow": ["Bash(npm test)"]}
    assert data["hooks"]["PreToolUse"] == json.loads(POPULATED)["hooks"]["PreToolUse"]
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"] == "notify-send done"
    assert data["hooks"]["Stop"][1]["hooks"][0]["command"] == COMMAND
    assert (tmp_path / "settings.json.kokoro-mcp.bak").read_text() == POPULATED
    install(path, command=COMMAND)  # idempotent
    assert len(json.loads(path.read_text())["hooks"]["Stop"]) == 2
    uninstall(path)
    assert path.read_text() == POPULATED  # byte for byte


def test_uninstall_after_other_edits_removes_only_ours(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(POPULATED)
    install(path, command=COMMAND)
    data = json.loads(path.read_text())
    data["model"] = "sonnet"  # the person changed something meanwhile
    path.write_text(json.dumps(data))
    assert "removed 2" in uninstall(path)
    after = json.loads(path.read_text())
    assert after["model"] == "sonnet"
    assert after["hooks"] == json.loads(POPULATED)["hooks"]


def test_a_malformed_settings_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"hooks": {"Stop": [}')
    with pytest.raises(SettingsFileError, match=r"not valid JSON.*Nothing was changed"):
        install(path, command=COMMAND)
    assert path.read_text() == '{"hooks": {"Stop": [}'
    assert not (tmp_path / "settings.json.kokoro-mcp.bak").exists()


def test_hook_install_from_the_command_line(tmp_path: Path) -> None:
    env = server_env({"HOME": str(tmp_path)})
    command = [PYTHON, "-m", "kokoro_mcp.client.kk", "hook", "install", "claude-code", "--user"]
    done = subprocess.run(command, env=env, cwd=str(REPO), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    settings = json.loads((tmp_path / ".claude" / "settings.json").read_text())
    assert MARKER in settings["hooks"]["Stop"][0]["hooks"][0]["command"]
    done = subprocess.run(
        [*command, "--uninstall"], env=env, cwd=str(REPO), capture_output=True, text=True
    )
    assert done.returncode == 0 and "removed 2" in done.stdout


# -- manners in the shared queue ----------------------------------------------------------------

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
          "juliett", "kilo", "lima")  # fmt: skip


def _spoken_texts() -> tuple[list[str], list[str]]:
    """Two eight-word sentences (one tone each: another agent's reply) and three short texts
    exactly as the hooks will say them: an old summary, a newer one, a call for the person.
    All five tones lie 30 Hz apart."""
    eights = [" ".join(c) + "." for c in itertools.islice(itertools.combinations(_WORDS, 8), 200)]
    fours = [" ".join(c) + "." for c in itertools.islice(itertools.combinations(_WORDS, 4), 200)]
    reply = distinct_texts(eights, 2)
    summaries = distinct_texts([*reply, *fours[:100]], 4)[2:]
    notices = [f"{NOTIFY_PREFIX}: {text}" for text in fours[100:]]
    notice = distinct_texts([*reply, *summaries, *notices], 5)[4]
    return reply, [*summaries, notice]


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_hooks_announce_with_manners_a_newer_summary_replaces_and_a_call_cuts_in(
    tmp_path: Path,
) -> None:
    """While another agent's reply plays: two Stop hooks of one session (only the newer
    summary is heard, after the reply) and a Notification (heard where a sentence of the reply
    ends, ahead of the summary)."""
    reply, (old, new, notice) = _spoken_texts()
    engine = ToneEngine()
    payloads = [
        stop_payload(transcript(tmp_path / "old.jsonl", ("user", "go"), ("assistant", old))),
        stop_payload(transcript(tmp_path / "new.jsonl", ("user", "go"), ("assistant", new))),
        {"session_id": "s1", "hook_event_name": "Notification",
         "message": notice.removeprefix(f"{NOTIFY_PREFIX}: ")},
    ]  # fmt: skip
    assert [compose(payload) for payload in payloads] == [old, new, notice]
    with DaemonHome() as home, pulse.Capture() as capture:
        assert run_kk(home, "-n", " ".join(reply)).returncode == 0
        assert wait_until(lambda: pulse.first_sound(capture.samples) is not None, 30) is not None
        for payload in payloads:
            done, _ = run_hook(home, json.dumps(payload).encode())
            assert done.returncode == 0 and done.stdout == b"", done
        status = json.loads(run_kk(home, "status", "--json").stdout)
        drops = [drop["reason"] for drop in status["recent_drops"]]
        assert any(reason.startswith("replaced by utterance") for reason in drops), status
        wait_until(lambda: run_kk(home, "status").stdout.strip() == "idle", 30)
        capture.wait_played_out()
        samples = capture.samples
    first, second = tones_of(engine, reply[:1]), tones_of(engine, reply[1:])
    wanted = [*first, *tones_of(engine, [notice]), *second, *tones_of(engine, [new])]
    assert heard_in_order(samples, wanted), describe_heard(
        samples, [*wanted, *tones_of(engine, [old])]
    )


def test_each_hook_event_has_its_manners() -> None:
    stop = manners({"hook_event_name": "Stop", "session_id": "abc"})
    sub = manners({"hook_event_name": "SubagentStop", "session_id": "abc"})
    note = manners({"hook_event_name": "Notification", "session_id": "abc"})
    assert stop == {"ttl": 180.0, "replace": "cc:abc:summary"}
    assert sub["replace"] == "cc:abc:subagent" and "priority" not in sub
    assert note == {"priority": "high", "ttl": 600.0, "replace": "cc:abc:needs-you"}
    assert len(manners({"hook_event_name": "Stop", "session_id": "x" * 500})["replace"]) <= 64
