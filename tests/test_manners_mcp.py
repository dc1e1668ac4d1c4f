"""Announcements with manners end to end: real MCP clients (each its own proxy process) and
`kk` against one shared daemon with the tone engine, heard at the null sink. Every chunk has its
own tone, so the order of the tones heard (and how long each sounded) is what was heard."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from typing import Any

import anyio
import pytest
from mcp import ClientSession

from kokoro_mcp.engine.tone import ToneEngine
from tests import pulse
from tests.daemon_audio import describe_heard, distinct_texts, heard_in_order, tones_of
from tests.daemon_helpers import DaemonHome, run_kk
from tests.mcp_helpers import (
    PYTHON,
    REPO,
    TONE,
    assert_plain_error,
    connect,
    error_text,
    server_env,
    structured,
)
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mcp,
    pytest.mark.audio,
    pytest.mark.usefixtures("audio_server"),
]

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliett", "kilo", "lima")  # fmt: skip
# Eight words fill one tone-engine chunk, so a text of such sentences is one chunk (one
# tone) a sentence; four-word sentences are short announcements. All tones 30 Hz apart.
_EIGHTS = [" ".join(c) + "." for c in itertools.islice(itertools.combinations(WORDS, 8), 300)]
_FOURS = [" ".join(c) + "." for c in itertools.islice(itertools.combinations(WORDS, 4), 300)]
LONG_SENTENCES = distinct_texts(_EIGHTS, 3)
SHORT = distinct_texts([*LONG_SENTENCES, *_FOURS], 8)[3:]
FAST = {**TONE, "KOKORO_MCP_SPEED": "2.0"}  # this client's speech plays twice as fast
ENGINE = ToneEngine()  # what the daemon's tone engine makes


async def _sound_started(capture: pulse.Capture) -> None:
    with anyio.fail_after(60):
        while pulse.first_sound(capture.samples) is None:
            await anyio.sleep(0.02)


async def _until_idle(session: ClientSession, timeout: float = 30) -> dict[str, Any]:
    with anyio.fail_after(timeout):
        while (status := structured(await session.call_tool("status", {})))["state"] != "idle":
            await anyio.sleep(0.1)
    return status


def test_priorities_through_mcp_clients_high_cuts_in_between_sentences_low_waits_for_quiet() -> (
    None
):
    reply = " ".join(LONG_SENTENCES)  # three chunks of 0.8 s at speed 2
    normal, urgent, dropped_note, quiet_note = SHORT[:4]
    home = DaemonHome()
    results: dict[str, dict[str, Any]] = {}

    async def main(capture: pulse.Capture) -> None:
        async with (
            connect(FAST, home=home, client_name="desktop") as desktop,
            connect(TONE, home=home, client_name="agent-b") as agent_b,
            connect(TONE, home=home, client_name="agent-c") as agent_c,
        ):
            await _until_idle(desktop, 60)  # the model (tone engine) is loaded
            await desktop.call_tool("speak", {"text": reply})
            await _sound_started(capture)
            results["normal"] = structured(
                await agent_b.call_tool("speak", {"text": normal, "mode": "queue"})
            )
            results["high"] = structured(
                await agent_c.call_tool("speak", {"text": urgent, "priority": "high"})
            )
            results["low"] = structured(
                await agent_b.call_tool("speak", {"text": dropped_note, "priority": "low"})
            )
            results["status"] = structured(await agent_c.call_tool("status", {}))
            await _until_idle(agent_b)
            results["quiet"] = structured(
                await agent_b.call_tool(
                    "speak", {"text": quiet_note, "priority": "low", "wait": True}
                )
            )

    with home, pulse.Capture() as capture:
        anyio.run(main, capture)
        capture.wait_played_out()
        samples = capture.samples
    assert results["high"]["state"] == "accepted" and results["high"]["priority"] == "high"
    low = results["low"]
    assert low["state"] == "dropped" and low["priority"] == "low" and low["chunks_played"] == 0
    assert low["reason"].startswith("low priority, and "), low
    assert low["reason"].endswith(" other utterances were playing or queued"), low
    status = results["status"]
    assert [(d["id"], d["client"]) for d in status["recent_drops"]] == [(low["id"], "agent-b")]
    queued = [(q["id"], q["priority"]) for q in status["queued"]]
    assert (results["high"]["id"], "high") in queued and (results["normal"]["id"], "normal") in (
        queued
    )
    assert results["quiet"]["state"] == "finished" and results["quiet"]["reason"] is None
    parts = tones_of(ENGINE, [reply], speed=2.0)
    high, rest = tones_of(ENGINE, [urgent]), tones_of(ENGINE, [normal, quiet_note])
    cut_in = [
        k for k in range(1, len(parts)) if heard_in_order(samples, [*parts[:k], *high, *parts[k:],
                                                                     *rest])
    ]  # fmt: skip
    assert cut_in, describe_heard(samples, [*parts, *high, *rest])


def test_ttl_and_replace_through_mcp_clients_only_the_latest_is_heard_and_status_says_why() -> None:
    reply = " ".join(LONG_SENTENCES[:2])  # two chunks, 3.2 s
    stale_text, *news = SHORT[:4]
    home = DaemonHome()
    results: dict[str, Any] = {}

    async def stale_speaker(session: ClientSession) -> None:
        results["stale"] = structured(
            await session.call_tool(
                "speak", {"text": stale_text, "mode": "queue", "ttl": 0.8, "wait": True}
            )
        )

    async def main(capture: pulse.Capture) -> None:
        async with (
            connect(TONE, home=home, client_name="desktop") as desktop,
            connect(TONE, home=home, client_name="waiter") as waiter,
            connect(TONE, home=home, client_name="ci") as ci,
        ):
            await _until_idle(desktop, 60)
            await desktop.call_tool("speak", {"text": reply})
            await _sound_started(capture)
            async with anyio.create_task_group() as group:
                group.start_soon(stale_speaker, waiter)
                results["news"] = [
                    structured(
                        await ci.call_tool(
                            "speak", {"text": text, "mode": "queue", "replace": "build"}
                        )
                    )
                    for text in news
                ]
                results["queued"] = structured(await ci.call_tool("status", {}))
            results["after"] = structured(await desktop.call_tool("status", {}))
            await _until_idle(desktop)

    with home, pulse.Capture() as capture:
        anyio.run(main, capture)
        capture.wait_played_out()
        samples = capture.samples
    stale = results["stale"]
    assert stale["state"] == "dropped" and stale["ttl"] == 0.8 and stale["chunks_played"] == 0
    assert stale["reason"] == "its time to live (0.8 s) ran out before it could start"
    ids = [result["id"] for result in results["news"]]
    assert [result["state"] for result in results["news"]] == ["accepted"] * 3
    queued = results["queued"]["queued"]
    assert [(q["id"], q["replace"]) for q in queued if q["client"] == "ci"] == [(ids[2], "build")]
    drops = {drop["id"]: drop for drop in results["after"]["recent_drops"]}
    assert drops[ids[0]]["reason"] == f"replaced by utterance {ids[1]} (replace key 'build')"
    assert drops[ids[1]]["reason"] == f"replaced by utterance {ids[2]} (replace key 'build')"
    assert drops[stale["id"]]["reason"] == stale["reason"]
    assert drops[stale["id"]]["client"] == "waiter"
    wanted = tones_of(ENGINE, [reply, news[2]])
    assert heard_in_order(samples, wanted), describe_heard(samples, wanted)


BAD_MANNERS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"priority": "urgent"}, ("priority must be 'low' or 'normal' or 'high'", '"urgent"')),
    ({"priority": 2}, ("priority must be", "2 (a number)")),
    ({"ttl": -1}, ("ttl must be a number of seconds from 0.1 to 3600", "-1")),
    ({"ttl": 86400}, ("ttl must be", "86400")),
    ({"ttl": "5"}, ("ttl must be", '"5" (a string)')),
    ({"replace": "k" * 65}, ("replace must be a key of 1 to 64 characters", "(67 characters)")),
    ({"replace": "  "}, ("replace must be a key of 1 to 64 characters",)),
]


def test_bad_manners_get_one_plain_sentence_each() -> None:
    async def main() -> list[str]:
        texts = []
        async with connect(TONE) as session:
            for arguments, _ in BAD_MANNERS:
                result = await session.call_tool("speak", {"text": "hello", **arguments})
                assert result.is_error, arguments
                texts.append(error_text(result))
            assert structured(await session.call_tool("status", {}))["recent_drops"] == []
        return texts

    for text, (_, names) in zip(anyio.run(main), BAD_MANNERS, strict=True):
        assert_plain_error(text)
        for name in names:
            assert name in text, text


def test_kk_say_priority_ttl_and_replace_through_a_real_daemon() -> None:
    reply = " ".join(LONG_SENTENCES[:2])  # 3.2 s
    urgent, stale, old_news = SHORT[:3]
    new_news = f"{SHORT[3]} {SHORT[4]}"  # piped: two sentences, one announcement
    with DaemonHome() as home, pulse.Capture() as capture:
        started = run_kk(home, "-n", reply)
        assert started.returncode == 0, started.stderr
        heard = wait_until(lambda: pulse.first_sound(capture.samples) is not None, 30)
        assert heard is not None, f"nothing heard; daemon log:\n{home.log()[-3000:]}"
        low = run_kk(home, "-n", "--priority", "low", "-m", "queue", "a quiet note")
        assert low.returncode == 0, low.stderr
        assert "kk: not spoken: low priority" in low.stderr, low.stderr
        queued = run_kk(home, "-n", "-m", "queue", "--replace=build", old_news)
        assert queued.returncode == 0 and not queued.stderr.strip(), queued.stderr
        # From a pipe, with a key: one announcement (sent sentence by sentence, the second
        # sentence would have replaced the first).
        piped = run_kk(home, "-n", "-m", "queue", "--replace=build", input=new_news + "\n")
        assert piped.returncode == 0 and not piped.stderr.strip(), piped.stderr
        high = run_kk(home, "-n", "-m", "queue", "--priority", "high", urgent)
        assert high.returncode == 0, high.stderr
        expired = run_kk(home, "-m", "queue", "--ttl", "0.5", stale)  # waits: told it was dropped
        assert expired.returncode == 0, expired.stderr
        assert "kk: not spoken: its time to live (0.5 s) ran out" in expired.stderr
        status = json.loads(run_kk(home, "status", "--json").stdout)
        reasons = [drop["reason"] for drop in status["recent_drops"]]
        assert any(reason.startswith("replaced by utterance") for reason in reasons), reasons
        deadline = time.monotonic() + 20
        while run_kk(home, "status").stdout.strip() != "idle" and time.monotonic() < deadline:
            time.sleep(0.1)
        capture.wait_played_out()
        samples = capture.samples
    parts = tones_of(ENGINE, [reply])
    high, last = tones_of(ENGINE, [urgent]), tones_of(ENGINE, [new_news])
    cut_in = [
        k for k in range(1, len(parts)) if heard_in_order(samples, [*parts[:k], *high, *parts[k:],
                                                                     *last])
    ]  # fmt: skip
    assert cut_in, describe_heard(samples, [*parts, *high, *last])


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["--priority", "urgent"], "kk: --priority must be 'low' or 'normal' or 'high'"),
        (["--ttl", "-1"], "kk: --ttl must be a number of seconds from 0.1 to 3600"),
        (["--ttl", "soon"], "kk: --ttl must be a number of seconds from 0.1 to 3600"),
        (["--replace", "k" * 65], "kk: --replace must be a key of 1 to 64 characters"),
        (["-o", "x.wav", "--ttl", "5"], "kk: --priority, --ttl and --replace are for speech"),
        (["--show-text", "--replace", "k"], "kk: --priority, --ttl and --replace are for"),
        (["KOKORO", "say", "--ttl", "0"], "kokoro-mcp: --ttl must be a number of seconds from"),
        (["KOKORO", "say", "--no-daemon", "--priority", "high"],
         "kokoro-mcp: --priority, --ttl and --replace are for speech through the shared daemon"),
    ],
)  # fmt: skip
def test_bad_or_misplaced_manners_are_usage_errors_and_start_no_daemon(
    command: list[str], message: str
) -> None:
    with DaemonHome() as home:
        if command[0] == "KOKORO":  # the same flags on `kokoro-mcp say`
            result = subprocess.run(
                [PYTHON, "-m", "kokoro_mcp", *command[1:], "hello"],
                env=server_env({**home.env(), **TONE}),
                cwd=str(REPO),
                capture_output=True,
                text=True,
                timeout=60,
            )
        else:
            result = run_kk(home, *command, "hello")
        assert result.returncode == 2, result
        assert result.stderr.startswith(message), result.stderr
        assert home.pid() is None and not home.socket.exists()
        assert not (REPO / "x.wav").exists()


def test_the_in_process_server_passes_manners_through_too() -> None:
    """--no-daemon: the LocalBackend hands priority, ttl and replace to its own Speaker."""
    reply, note, news = LONG_SENTENCES[0], SHORT[0], SHORT[1]

    async def main() -> dict[str, Any]:
        async with connect({**TONE, "KOKORO_MCP_DAEMON": "0"}) as session:
            await _until_idle(session, 60)
            await session.call_tool("speak", {"text": reply})
            results = {
                "low": structured(
                    await session.call_tool("speak", {"text": note, "priority": "low"})
                ),
                "news": structured(
                    await session.call_tool(
                        "speak", {"text": news, "mode": "queue", "ttl": 30, "replace": "k"}
                    )
                ),
                "status": structured(await session.call_tool("status", {})),
            }
            await _until_idle(session)
            return results

    results = anyio.run(main)
    assert results["low"]["state"] == "dropped", results["low"]
    assert results["low"]["reason"] == "low priority, and 1 other utterance was playing or queued"
    news_result = results["news"]
    assert (news_result["state"], news_result["ttl"], news_result["replace"]) == (
        "accepted", 30.0, "k"
    )  # fmt: skip
    queued = results["status"]["queued"]
    assert [(q["id"], q["replace"]) for q in queued] == [(news_result["id"], "k")]
    assert queued[0]["ttl_left"] is not None and 20 < queued[0]["ttl_left"] <= 30
    assert [d["id"] for d in results["status"]["recent_drops"]] == [results["low"]["id"]]
