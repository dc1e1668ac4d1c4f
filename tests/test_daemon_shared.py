"""One voice for every agent: eight MCP clients and the command line against one daemon that
the first of them started. Nothing overlaps at the sink and every utterance is heard whole."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession

from tests import pulse
from tests.asr import transcribe
from tests.daemon_audio import distinct_texts, overlapping, seconds_per_tone, tone_of
from tests.daemon_helpers import DaemonHome
from tests.mcp_helpers import PYTHON, REPO, TONE, connect, server_env, structured

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mcp,
    pytest.mark.audio,
    pytest.mark.usefixtures("audio_server"),
]

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
CANDIDATES = [" ".join(words) for words in itertools.combinations(WORDS, 4)]
SECONDS_PER_WORD = 0.2  # the tone engine's


def kk(
    home: DaemonHome, *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "kokoro_mcp.client.kk", *args],
        env=server_env({**home.env(), **(env or {})}),
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: shared libraries split between the processes mapping them, so
    the sum over a group is the memory the group really takes (RSS counts them in each)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_eight_mcp_clients_and_the_cli_share_one_voice_without_overlap() -> None:
    texts = distinct_texts(CANDIDATES, 9)
    tones = [tone_of(text) for text in texts]
    home = DaemonHome()
    results: dict[int, dict[str, Any]] = {}

    async def client(index: int, sessions: list[ClientSession], ready: anyio.Event) -> None:
        # Agent 1 speaks twice as fast: each client's own settings travel with its speech.
        env = {**TONE, "KOKORO_MCP_SPEED": "2.0"} if index == 1 else TONE
        async with connect(env, home=home, client_name=f"agent-{index}") as session:
            sessions.append(session)
            await ready.wait()
            result = await session.call_tool("speak", {"text": texts[index], "wait": True})
            results[index] = structured(result)
            await anyio.sleep(0)

    async def main() -> tuple[int, float]:
        sessions: list[ClientSession] = []
        ready = anyio.Event()
        async with anyio.create_task_group() as group:
            for index in range(8):
                group.start_soon(client, index, sessions, ready)
            with anyio.fail_after(120):
                while len(sessions) < 8 or not home.socket.exists():
                    await anyio.sleep(0.05)
            daemons = len(daemon_processes(home))
            everyone = sorted(f"agent-{i}" for i in range(8))
            status = structured(await sessions[0].call_tool("status", {}))
            with anyio.fail_after(60):  # each proxy connects right after its handshake
                while not status["model"]["loaded"] or (
                    sorted(status["daemon"]["clients"]) != everyone
                ):
                    await anyio.sleep(0.1)
                    status = structured(await sessions[0].call_tool("status", {}))
            cli = kk(home, "say", texts[8])
            ready.set()
        assert cli.wait(60) == 0, cli.stderr.read() if cli.stderr else ""
        return daemons, sum(rss_mb(pid) for pid in daemon_processes(home))

    with home, pulse.Capture() as capture:
        daemons, _ = anyio.run(main)
        capture.wait_played_out()
        samples = capture.samples
    assert daemons == 1, f"{daemons} daemons for eight clients starting at once"
    assert sorted(results) == list(range(8))
    assert all(result["state"] == "finished" for result in results.values()), results
    assert not overlapping(samples), "two utterances sounded at the same time"
    heard = seconds_per_tone(samples, tones)
    for index, (text, tone) in enumerate(zip(texts, tones, strict=True)):
        expected = 4 * SECONDS_PER_WORD / (2.0 if index == 1 else 1.0)
        assert abs(heard[tone] - expected) <= 0.15, (text, tone, heard[tone], heard)


@pytest.mark.model
@pytest.mark.asr
def test_real_speech_from_three_of_eight_clients_is_heard_in_turn_and_memory_is_paid_once() -> None:
    sentences = [
        "The build finished without errors.",
        "Three tests are failing in the parser.",
        "Please review the pull request.",
    ]
    home = DaemonHome()
    memory: dict[str, float] = {}
    results: list[dict[str, Any]] = []
    heavy_libraries: list[str] = []

    async def agent(
        index: int, sessions: list[ClientSession], go: anyio.Event, done: anyio.Event
    ) -> None:
        async with connect(home=home, client_name=f"agent-{index}", read_timeout=180) as session:
            sessions.append(session)
            await go.wait()
            if index < len(sentences):
                await anyio.sleep(index * 0.15)  # ask in this order, all while one speaks
                result = await session.call_tool("speak", {"text": sentences[index], "wait": True})
                results.append(structured(result))
            await done.wait()  # every proxy stays connected until memory is measured

    async def main() -> None:
        sessions: list[ClientSession] = []
        go, done = anyio.Event(), anyio.Event()
        async with anyio.create_task_group() as group:
            for index in range(8):
                group.start_soon(agent, index, sessions, go, done)
            with anyio.fail_after(180):
                while len(sessions) < 8:
                    await anyio.sleep(0.1)
                while not structured(await sessions[0].call_tool("status", {}))["model"]["loaded"]:
                    await anyio.sleep(0.2)
            go.set()
            with anyio.fail_after(120):
                while len(results) < len(sentences):
                    await anyio.sleep(0.1)
            proxies = proxy_processes(home)
            daemons = daemon_processes(home)
            memory["daemon"] = sum(rss_mb(pid) for pid in daemons)
            memory["proxies"] = sum(rss_mb(pid) for pid in proxies)
            memory["pss"] = sum(pss_mb(pid) for pid in [*daemons, *proxies])
            memory["proxy_pss"] = max(pss_mb(pid) for pid in proxies)
            memory["proxy_rss"] = max(rss_mb(pid) for pid in proxies)
            memory["count"] = len(proxies)
            heavy_libraries.extend(library for pid in proxies for library in heavy_mapped(pid))
            done.set()

    with home, pulse.Capture() as capture:
        anyio.run(main)
        capture.wait_played_out()
        samples = capture.samples
    assert all(result["state"] == "finished" for result in results), results
    heard = transcribe(samples).lower()
    positions = [heard.find(word) for word in ("build", "parser", "review")]
    assert all(p >= 0 for p in positions), heard
    assert positions == sorted(positions), heard
    total = memory["daemon"] + memory["proxies"]
    print(
        f"RSS: daemon {memory['daemon']:.0f} MB + {memory['count']:.0f} proxies"
        f" {memory['proxies']:.0f} MB = {total:.0f} MB; PSS of all nine {memory['pss']:.0f} MB,"
        f" largest proxy RSS {memory['proxy_rss']:.0f} MB, PSS {memory['proxy_pss']:.0f} MB"
    )
    assert memory["count"] == 8
    assert total <= TOTAL_RSS_LIMIT_MB, memory
    assert memory["proxy_rss"] <= PROXY_RSS_LIMIT_MB, memory
    assert memory["pss"] <= total, memory
    assert not heavy_libraries, f"a proxy loaded the engine's libraries: {heavy_libraries}"


# Daemon + eight proxies, as RSS (shared libraries counted in every process, so the strictest
# reading of the target). PSS, which counts them once, is printed beside it.
TOTAL_RSS_LIMIT_MB = 1000
PROXY_RSS_LIMIT_MB = 60
HEAVY = ("onnxruntime", "_multiarray_umath", "spacy", "misaki", "portaudio")


def heavy_mapped(pid: int) -> set[str]:
    """Engine libraries mapped into `pid` (numpy, onnxruntime, spaCy, PortAudio)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in HEAVY if name in maps}


def proxy_processes(home: DaemonHome) -> list[int]:
    """Pids of `python -m kokoro_mcp` MCP servers (not the daemon) using `home`."""
    return [pid for pid, cmdline in _processes(home) if b"daemon" not in cmdline]


def daemon_processes(home: DaemonHome) -> list[int]:
    """Pids of `kokoro_mcp daemon` processes whose runtime folder is `home`'s."""
    return [pid for pid, cmdline in _processes(home) if b"daemon" in cmdline]


def _processes(home: DaemonHome) -> list[tuple[int, list[bytes]]]:
    found = []
    marker = f"XDG_RUNTIME_DIR={home.runtime}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        # `python [-P] -m kokoro_mcp ...` (the daemon is started with -P)
        runs_us = any(cmdline[i : i + 2] == [b"-m", b"kokoro_mcp"] for i in (1, 2))
        if runs_us and marker in environ:
            found.append((int(entry.name), cmdline))
    return found
