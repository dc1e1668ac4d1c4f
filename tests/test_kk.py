"""`kk`, the command line of the shared daemon: every verb and alias, flags on either side of
the verb, text from arguments or a pipe, and a live pipe heard sentence by sentence."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import numpy as np
import pytest

from kokoro_mcp.client.kk import Invocation, UsageError, parse
from kokoro_mcp.client.sentences import LINGER_SECONDS, SentenceStream
from tests import pulse
from tests.daemon_audio import seconds_per_tone, tone_of
from tests.daemon_helpers import DaemonHome, run_kk
from tests.mcp_helpers import PYTHON, REPO, TONE, server_env
from tests.waiting import wait_until

LONG_TEXT = " ".join(["word"] * 40)  # 8 s of tone


# -- parsing (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "command", "words", "options"),
    [
        (["hello", "world"], "say", ["hello", "world"], {}),
        (["say", "hello"], "say", ["hello"], {}),
        (["-v", "bm_george", "say", "hi"], "say", ["hi"], {"voice": "bm_george"}),
        (["say", "hi", "-v", "bm_george", "-s", "1.2"], "say", ["hi"],
         {"voice": "bm_george", "speed": "1.2"}),
        (["--voice=bf_emma", "hi"], "say", ["hi"], {"voice": "bf_emma"}),
        (["say", "-3", "degrees"], "say", ["-3", "degrees"], {}),
        (["say", "--", "-v", "is", "text"], "say", ["-v", "is", "text"], {}),
        (["play"], "resume", [], {}),
        (["resume"], "resume", [], {}),
        (["pause"], "pause", [], {}),
        (["stop"], "stop", [], {}),
        (["status", "--json"], "status", [], {"json": True}),
        (["kill"], "kill", [], {}),
        (["stop-daemon"], "kill", [], {}),
        (["voices"], "voices", [], {}),
        (["daemon"], "daemon", [], {}),
        (["say", "stop"], "say", ["stop"], {}),
        ([], "say", [], {}),
    ],
)  # fmt: skip
def test_verbs_aliases_and_flags_on_either_side(
    argv: list[str], command: str, words: list[str], options: dict[str, Any]
) -> None:
    assert parse(argv) == Invocation(command, words, options)


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--loud"], "unknown option --loud"), (["-v"], "-v needs a value"),
     (["status", "now"], "takes no text")],
)  # fmt: skip
def test_bad_command_lines_are_usage_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(argv)


def test_sentence_stream_cuts_at_pauses_never_inside_code() -> None:
    stream = SentenceStream()
    assert stream.feed("The build ") == []
    assert stream.ready(idle_seconds=0.0) == []  # no sentence end yet
    stream.feed("finished. Two tests fa")
    assert stream.ready(idle_seconds=0.0) == ["The build finished."]
    stream.feed("il.\nNext, a fence:\n```\nrm -rf /tmp/x.\n")
    assert stream.ready(idle_seconds=0.0) == [" Two tests fail.\nNext, a fence:\n"]
    assert stream.ready(idle_seconds=LINGER_SECONDS) == []  # still inside the code block
    stream.feed("```\nDone")
    assert stream.ready(idle_seconds=0.0) == ["```\nrm -rf /tmp/x.\n```\n"]
    assert stream.ready(idle_seconds=LINGER_SECONDS) == ["Done"]
    assert stream.finish() == []
    long = SentenceStream(max_chars=50)
    pieces = long.feed("A sentence here. " * 10)
    assert pieces and all(len(piece) <= 50 for piece in pieces)
    assert "".join(pieces) + long.finish()[0] == "A sentence here. " * 10


# -- against a daemon ---------------------------------------------------------------------------


kk = run_kk


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_status_and_stop_never_start_a_daemon() -> None:
    with DaemonHome() as home:
        for verb in ("status", "stop", "pause", "play", "kill"):
            result = kk(home, verb)
            assert result.returncode == 0, result
            assert "not running" in result.stdout, result
        json_status = kk(home, "status", "--json")
        assert '"daemon": null' in json_status.stdout
        assert not home.socket.exists() and home.pid() is None


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_every_verb_against_a_running_daemon() -> None:
    with DaemonHome() as home, pulse.Capture() as capture:
        started = kk(home, "-n", LONG_TEXT)
        assert started.returncode == 0, started.stderr
        assert "starting the speech daemon" in started.stderr
        assert wait_until(lambda: pulse.first_sound(capture.samples) is not None, 10) is not None
        assert kk(home, "status").stdout.strip() == "playing"
        assert "Paused" in kk(home, "pause").stdout
        assert kk(home, "status").stdout.strip() == "paused"
        paused_at = capture.frames
        time.sleep(0.6)
        assert not pulse.loud(capture.samples[paused_at + 4800 :]).any(), "sound while paused"
        assert "Resumed" in kk(home, "play").stdout
        assert kk(home, "status").stdout.strip() == "playing"
        assert "Paused" in kk(home, "pause").stdout
        assert "Resumed" in kk(home, "resume").stdout
        stopped = kk(home, "stop")
        assert "Stopped; 1 utterance dropped." in stopped.stdout, stopped
        assert kk(home, "status").stdout.strip() == "idle"
        voices = kk(home, "voices")
        assert voices.returncode == 0 and "af_heart" in voices.stdout
        typo = kk(home, "-v", "nobody", "One. Two. Three.")  # refused by the daemon
        assert typo.returncode == 2, typo  # as a bad --speed is
        assert typo.stderr.count("unknown voice 'nobody'") == 1, typo.stderr  # not per sentence
        detail = kk(home, "status", "--json")
        assert '"clients"' in detail.stdout and '"engine": "tone"' in detail.stdout
        assert "daemon stopped" in kk(home, "kill").stdout
        assert not home.daemon_alive()


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_text_from_arguments_or_stdin_with_flags_before_or_after_the_verb() -> None:
    texts = ["alpha bravo charlie", "delta echo foxtrot", "golf hotel india"]
    with DaemonHome() as home, pulse.Capture() as capture:
        assert kk(home, "-s", "2.0", "say", texts[0]).returncode == 0  # 0.3 s: twice as fast
        assert kk(home, "say", texts[1], "-s", "2.0").returncode == 0
        assert kk(home, "-s", "2.0", input=texts[2] + "\n").returncode == 0  # `echo ... | kk`
        capture.wait_played_out()
        heard = seconds_per_tone(capture.samples, [tone_of(t) for t in texts])
    for text in texts:
        assert abs(heard[tone_of(text)] - 0.3) <= 0.1, (text, heard)


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_a_live_pipe_is_heard_sentence_by_sentence() -> None:
    sentences = ["alpha bravo charlie.", "delta echo foxtrot.", "golf hotel india."]
    tones = [tone_of(sentence) for sentence in sentences]
    with DaemonHome() as home, pulse.Capture() as capture:
        assert kk(home, "-n", "warm").returncode == 0
        time.sleep(0.5)
        writer = subprocess.Popen(
            [PYTHON, "-m", "kokoro_mcp.client.kk"],
            env=server_env({**home.env(), **TONE}),
            cwd=str(REPO),
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdin is not None
        arrivals = []
        for sentence in sentences:
            arrivals.append(capture.frames)
            writer.stdin.write(sentence + "\n")
            writer.stdin.flush()
            time.sleep(1.0)
        writer.stdin.close()
        assert writer.wait(20) == 0
        time.sleep(0.3)
        samples = capture.samples
    for arrival, tone in zip(arrivals, tones, strict=True):
        window = samples[arrival : arrival + pulse.SAMPLE_RATE]  # the second after it was written
        heard = seconds_per_tone(window, tones)
        assert heard[tone] >= 0.4, f"sentence not heard within 1 s of arrival: {heard}"
        onset = pulse.first_sound(window)
        assert onset is not None and onset / pulse.SAMPLE_RATE < 0.6
    assert not np.max(np.abs(samples)) > 0.35, "overlap"


def test_show_text_prints_the_chunks_without_a_daemon() -> None:
    with DaemonHome() as home:
        shown = kk(home, "say", "--show-text", "**Build** finished. See https://example.com/x")
        assert shown.returncode == 0, shown.stderr
        assert "Build finished." in shown.stdout and "**" not in shown.stdout
        assert "https" not in shown.stdout
        assert home.pid() is None and not home.socket.exists()
