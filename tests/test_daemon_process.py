"""The daemon as a process: one per user however many start it, a stale socket replaced, death
reported to waiting callers and healed by the next request, idle exit and transparent relaunch,
a daemon of another release retired, strangers refused, garbage answered."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY
from tests import pulse
from tests.daemon_helpers import DaemonHome, run_kk
from tests.mcp_helpers import PYTHON, REPO, TONE, connect, error_text, server_env, structured
from tests.waiting import wait_until

# Real daemon processes launched, killed and replaced: whole processes, so the group is `slow`.
pytestmark = [pytest.mark.slow, pytest.mark.audio, pytest.mark.usefixtures("audio_server")]

LONG_TEXT = " ".join(["word"] * 40)  # 8 s of tone


kk = run_kk


def kk_background(home: DaemonHome, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "kokoro_mcp.client.kk", *args],
        env=server_env({**home.env(), **TONE}),
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, timeout: float = 10.0, what: str = "condition") -> None:
    assert wait_until(condition, timeout) is not None, f"timed out waiting for {what}"


def raw_client(home: DaemonHome) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(home.socket))
    return sock


def exchange(sock: socket.socket, payload: bytes) -> dict[str, Any]:
    if payload:
        sock.sendall(payload)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed; got {data!r}"
        data += chunk
    reply = json.loads(data.split(b"\n")[0])
    assert isinstance(reply, dict)
    return reply


HELLO = b'{"id": 0, "op": "hello", "protocol": 1, "version": "0.1.0", "client": "raw"}\n'


def test_eight_clients_starting_at_once_start_exactly_one_daemon() -> None:
    with DaemonHome() as home:
        clients = [kk_background(home, "say", "--no-wait", f"client {i}") for i in range(8)]
        codes = [client.wait(60) for client in clients]
        errors = [client.stderr.read() if client.stderr else "" for client in clients]
        assert codes == [0] * 8, errors
        launches = home.log().count("serving ")
        assert launches == 1, home.log()
        assert sum("starting the speech daemon" in error for error in errors) == 1, errors


@pytest.mark.slow
def test_killed_daemon_fails_waiting_callers_clearly_and_the_next_request_relaunches() -> None:
    with DaemonHome() as home, pulse.Capture() as capture:
        assert kk(home, "say", "--no-wait", "warm up").returncode == 0
        first_pid = home.pid()
        waiting = kk_background(home, "say", LONG_TEXT)
        wait_for(lambda: pulse.first_sound(capture.samples) is not None, what="sound")

        async def mcp_waiting_call() -> str:
            async with connect(TONE, home=home) as session:
                async with anyio.create_task_group() as group:
                    outcome: list[str] = []

                    async def call() -> None:
                        result = await session.call_tool(
                            "speak", {"text": LONG_TEXT, "mode": "queue", "wait": True}
                        )
                        outcome.append(error_text(result) if result.is_error else "finished")

                    group.start_soon(call)
                    await anyio.sleep(1.5)
                    assert first_pid is not None
                    os.kill(first_pid, signal.SIGKILL)
                with anyio.fail_after(10):
                    while not outcome:
                        await anyio.sleep(0.05)
                # The same session's next speak starts a new daemon and is heard.
                again = structured(
                    await session.call_tool("speak", {"text": "back again", "wait": True})
                )
                assert again["state"] == "finished", again
                return outcome[0]

        message = anyio.run(mcp_waiting_call)
        assert "stopped unexpectedly" in message, message
        assert waiting.wait(10) == 1
        stderr = waiting.stderr.read() if waiting.stderr else ""
        assert "stopped unexpectedly" in stderr, stderr
        assert home.pid() not in (None, first_pid), "no new daemon"
        assert "Traceback" not in stderr


def test_a_daemon_dying_while_a_client_connects_is_replaced_not_reported() -> None:
    """A connection still waiting in a dying daemon's queue is reset, not refused. It is what
    a client meets when it asks again the moment the daemon died: it starts a new one."""
    with DaemonHome() as home:
        home.folder.mkdir(mode=0o700, parents=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(home.socket))
        listener.listen(8)

        def die_on_hello() -> None:
            connection, _ = listener.accept()
            connection.recv(1, socket.MSG_PEEK)  # the hello has arrived, unread
            connection.close()  # closing with unread data: the client's read gets ECONNRESET
            listener.close()  # and the socket file stays behind, as a killed daemon's does

        dying = threading.Thread(target=die_on_hello, name="dying-daemon")
        dying.start()
        said = kk(home, "say", "--no-wait", "hello")
        dying.join(5)
        assert said.returncode == 0, said.stderr
        assert "broke" not in said.stderr, said.stderr
        assert home.daemon_alive(), home.log()


def test_a_stale_socket_left_by_a_killed_daemon_is_replaced() -> None:
    with DaemonHome() as home:
        assert kk(home, "say", "--no-wait", "first").returncode == 0
        pid = home.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not home.daemon_alive(), what="the daemon to die")
        assert home.socket.exists(), "the killed daemon's socket should be left behind"
        status = kk(home, "status")
        assert status.returncode == 0 and "daemon not running" in status.stdout, status
        result = kk(home, "say", "second")
        assert result.returncode == 0, result.stderr
        assert home.pid() != pid and home.daemon_alive()


@pytest.mark.slow
def test_the_daemon_exits_when_idle_and_a_connected_client_relaunches_it_transparently() -> None:
    idle = {"KOKORO_MCP_IDLE_MINUTES": "0.03"}  # 1.8 s

    async def run(home: DaemonHome) -> tuple[int | None, int | None]:
        async with connect({**TONE, **idle}, home=home) as session:
            first = structured(await session.call_tool("speak", {"text": "one", "wait": True}))
            assert first["state"] == "finished"
            pid = home.pid()
            with anyio.fail_after(15):
                while home.daemon_alive():
                    await anyio.sleep(0.1)
            assert not home.socket.exists(), "an idle daemon must remove its socket"
            assert "idle for" in home.log()
            second = structured(await session.call_tool("speak", {"text": "two", "wait": True}))
            assert second["state"] == "finished", second
            return pid, home.pid()

    with DaemonHome() as home:
        before, after = anyio.run(run, home)
        assert before is not None and after is not None and before != after


def test_a_daemon_of_another_release_is_retired_and_never_plays_alongside() -> None:
    with DaemonHome() as home, pulse.Capture() as capture:
        home.folder.mkdir(mode=0o700)
        lock = os.open(home.folder / "daemon.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(home.socket))
        server.listen()
        seen: list[str] = []

        def old_daemon() -> None:
            # Answers like a daemon of release 0.0.1; on `retire`, leaves a second later.
            while True:
                connection, _ = server.accept()
                with connection:
                    for line in connection.makefile("rb"):
                        request = json.loads(line)
                        seen.append(request["op"])
                        if request["op"] == "hello":
                            result = {"protocol": 1, "version": "0.0.1", "pid": 1}
                        else:
                            result = {"retiring": True}
                        connection.sendall(
                            json.dumps({"id": request["id"], "ok": True, "result": result}).encode()
                            + b"\n"
                        )
                        if request["op"] == "retire":
                            os.unlink(home.socket)
                            time.sleep(1.0)
                            server.close()
                            os.close(lock)  # the old daemon exits: its lock is free
                            return

        thread = threading.Thread(target=old_daemon, daemon=True)
        thread.start()
        started = time.monotonic()
        result = kk(home, "say", "new release")
        assert result.returncode == 0, result.stderr
        assert seen == ["hello", "retire"], seen
        assert "version 0.0.1" in result.stderr
        first = pulse.first_sound(capture.samples)
        assert first is not None
        assert capture.time_of(first) - started >= 1.0, "the new daemon played before the old left"


def test_another_user_cannot_connect() -> None:
    nobody = pwd.getpwnam("nobody")

    def as_nobody() -> None:
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    # The stranger is a plain client in the system Python (ours lives under root's home).
    code = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        "    s.connect(sys.argv[1])\n"
        "except OSError as e:\n"
        "    print('connect failed:', e.strerror); sys.exit(1)\n"
        "s.settimeout(5)\n"
        "print(s.recv(4096).decode())  # a stranger is refused before saying anything\n"
    )

    def stranger(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SYSTEM_PYTHON, "-c", code, str(path)], capture_output=True, text=True,
            preexec_fn=as_nobody, timeout=10,
        )  # fmt: skip

    with DaemonHome() as home:
        assert kk(home, "say", "--no-wait", "mine").returncode == 0
        os.chmod(home.root, 0o755)
        os.chmod(home.runtime, 0o755)
        blocked = stranger(home.socket)
        assert blocked.returncode == 1 and "Permission denied" in blocked.stdout, blocked
        # Even with the folder and socket opened up, the daemon itself refuses the stranger.
        os.chmod(home.folder, 0o755)
        os.chmod(home.socket, 0o777)
        refused = stranger(home.socket)
        assert "serves only the user who started it" in refused.stdout, refused
        assert kk(home, "status").returncode == 0  # and it still serves its own user


SYSTEM_PYTHON = "/usr/bin/python3"


def test_malformed_oversized_and_unknown_requests_get_errors_and_the_daemon_keeps_serving() -> None:
    with DaemonHome() as home:
        assert kk(home, "say", "--no-wait", "start").returncode == 0
        silent = raw_client(home)  # connects and never says a word
        first = raw_client(home)
        reply = exchange(first, b'{"id": 1, "op": "status"}\n')
        assert reply["ok"] is False and "hello" in reply["error"]["message"]

        sock = raw_client(home)
        assert exchange(sock, HELLO)["ok"] is True
        cases = [
            (b"not json\n", "not a JSON line"),
            (b"[1, 2]\n", "JSON object"),
            (b'{"op": "status"}\n', '"id"'),
            (b'{"id": 2, "op": "dance"}\n', "unknown op"),
            (b'{"id": 3, "op": "speak", "text": 5}\n', "text must be the words to say"),
            (b'{"id": 4, "op": "speak", "text": "hi", "speed": true}\n', "speed must be"),
            (b'{"id": 5, "op": "speak", "text": "hi", "wait": "yes"}\n', "wait must be"),
            (b'{"id": 6, "op": "speak", "text": "hi", "spead": 1}\n', "unknown argument 'spead'"),
            (b'{"id": 7, "op": "speak", "text": "' + b"x" * 20_001 + b'"}\n', "20,000"),
            (b'{"id": 8, "op": "speak", "text": "hi", "voice": "zz_nobody"}\n', "zz_nobody"),
        ]
        for line, expected in cases:
            reply = exchange(sock, line)
            assert reply["ok"] is False, (line[:60], reply)
            assert expected in reply["error"]["message"], (line[:60], reply)
        assert exchange(sock, b'{"id": 9, "op": "status"}\n')["ok"] is True

        big = raw_client(home)
        assert exchange(big, HELLO)["ok"] is True
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it stops reading
            big.sendall(b'{"id": 1, "op": "speak", "text": "' + b"y" * (2 * 1024 * 1024))
        reply = exchange(big, b"")
        assert reply["ok"] is False and "longer than" in reply["error"]["message"]
        try:
            closed = big.recv(10) == b""
        except ConnectionResetError:
            closed = True
        assert closed, "an oversized request closes that connection"

        status = kk(home, "status")  # everyone else is still served
        assert status.returncode == 0 and status.stdout.strip() in ("idle", "playing"), status
        for each in (silent, first, sock, big):
            each.close()


@pytest.mark.parametrize("how", ["sigterm", "sigint", "kill", "stop-daemon"])
def test_the_daemon_silences_and_exits_within_a_second(how: str) -> None:
    with DaemonHome() as home, pulse.Capture() as capture:
        assert kk(home, "say", "--no-wait", LONG_TEXT).returncode == 0
        wait_for(lambda: pulse.first_sound(capture.samples) is not None, what="sound")
        pid = home.pid()
        assert pid is not None
        asked = time.monotonic()
        if how.startswith("sig"):
            os.kill(pid, signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        else:
            result = kk(home, how)
            assert result.returncode == 0 and "daemon stopped" in result.stdout, result
        wait_for(lambda: not home.daemon_alive(), timeout=5, what="the daemon to exit")
        took = time.monotonic() - asked
        time.sleep(0.5)
        samples = capture.samples
        assert took < 1.0, f"exit took {took:.2f} s"
        loud = pulse.loud(samples).nonzero()[0]
        assert capture.time_of(int(loud[-1])) - asked < 0.5
        assert not home.socket.exists()
        assert Path(home.folder / "daemon.lock").exists()


def test_a_client_asking_for_other_daemon_settings_gets_a_note_not_a_second_daemon() -> None:
    async def run(home: DaemonHome) -> dict[str, Any]:
        async with connect(TONE, home=home) as first:
            structured(await first.call_tool("speak", {"text": "first", "wait": True}))
            other = {**TONE, "KOKORO_MCP_AUDIO_LATENCY": "0.1"}
            async with connect(other, home=home) as second:
                result = structured(
                    await second.call_tool("speak", {"text": "second", "wait": True})
                )
                assert result["state"] == "finished"
                return structured(await second.call_tool("status", {}))

    with DaemonHome() as home:
        status = anyio.run(run, home)
        notes = status["daemon"]["notes"]
        assert len(notes) == 1 and notes[0].startswith("audio_latency"), notes
        # the daemon kept its own (PortAudio reports it rounded to the device's periods)
        assert status["audio"]["latency"] == pytest.approx(DEFAULT_AUDIO_LATENCY, abs=0.003)
        assert home.log().count("serving ") == 1


def test_launch_problems_name_the_setting_or_the_log() -> None:
    with DaemonHome() as home:
        bad = kk(home, "say", "hi", env={"KOKORO_MCP_LAUNCH_TIMEOUT": "soon"})
        assert bad.returncode == 1
        assert "KOKORO_MCP_LAUNCH_TIMEOUT='soon'" in bad.stderr and "1 to 600" in bad.stderr
        # A daemon that holds the lock but never listens (hung): the launch gives up in time.
        home.folder.mkdir(mode=0o700)
        lock = os.open(home.folder / "daemon.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            started = time.monotonic()
            hung = kk(home, "say", "hi", env={"KOKORO_MCP_LAUNCH_TIMEOUT": "2"})
            took = time.monotonic() - started
        finally:
            os.close(lock)
        assert hung.returncode == 1 and took < 10, (took, hung)
        assert "did not start within 2 s (KOKORO_MCP_LAUNCH_TIMEOUT)" in hung.stderr
        assert str(home.log_file) in hung.stderr and "Traceback" not in hung.stderr


@pytest.mark.model
def test_a_missing_model_is_reported_through_the_daemon_with_the_fix() -> None:
    with DaemonHome() as home:
        env = {"KOKORO_MCP_ENGINE": "onnx", "KOKORO_MCP_MODEL_DIR": "/nonexistent/models",
               "KOKORO_MCP_AUTO_INSTALL": "0"}  # fmt: skip
        broken = kk(home, "say", "hi", env=env)
        assert broken.returncode == 1, broken
        assert "kokoro-mcp model install" in broken.stderr, broken.stderr
        assert "Traceback" not in broken.stderr


def test_ctrl_c_stops_the_speech_kk_started() -> None:
    with DaemonHome() as home, pulse.Capture() as capture:
        speaking = kk_background(home, "say", LONG_TEXT)
        wait_for(lambda: pulse.first_sound(capture.samples) is not None, timeout=20, what="sound")
        asked = time.monotonic()
        speaking.send_signal(signal.SIGINT)
        assert speaking.wait(5) == 130
        time.sleep(0.6)
        loud = pulse.loud(capture.samples).nonzero()[0]
        assert capture.time_of(int(loud[-1])) - asked < 0.4, "speech went on after Ctrl-C"
        assert home.daemon_alive(), "Ctrl-C stops kk's speech, not the daemon"


def test_a_checkout_in_the_callers_folder_does_not_stand_in_for_the_daemon(tmp_path: Path) -> None:
    """The daemon is started with -P: a `kokoro_mcp` folder where the client runs is not what
    the daemon imports (its working folder is the client's)."""
    impostor = tmp_path / "kokoro_mcp"
    impostor.mkdir()
    marker = tmp_path / "impostor-ran"
    (impostor / "__init__.py").write_text("")
    (impostor / "__main__.py").write_text(
        f"import pathlib, sys\npathlib.Path({str(marker)!r}).write_text('ran')\nsys.exit(3)\n"
    )
    with DaemonHome() as home:
        result = subprocess.run(
            [PYTHON, "-P", "-m", "kokoro_mcp.client.kk", "say", "--no-wait", "hello"],
            env=server_env({**home.env(), **TONE}),
            cwd=str(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr + home.log()[-2000:]
        assert home.daemon_alive()
    assert not marker.exists(), "the daemon imported the caller's folder"
