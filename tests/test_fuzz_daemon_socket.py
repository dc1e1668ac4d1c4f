"""Property-based fuzzing of the shared daemon's socket, with a well-behaved client beside it.

One real daemon (tone engine) takes, from many short-lived connections: malformed and binary
lines, lines over the 1 MiB cap, random JSON values, requests with wrong types, odd ids and
unknown ops, valid hellos followed by garbage, requests cut off mid-line by a close; and,
held open the whole time, clients that connect and never send or send half a line and stall.
Meanwhile a second, well-behaved client polls `status` every 100 ms and, between fuzz runs,
has a `speak` heard at the sink. Asserted: the daemon never dies, every complete line gets one
answer of the protocol's shape (an error the fuzz suite's wording rules accept, never an
internal error), the good client is answered within its budget every time, and the daemon's
open file descriptors return to their baseline once the bad clients have gone. Derandomized;
the counts are printed at the end (`pytest -s`).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kokoro_mcp.ipc.protocol import HANDSHAKE_TIMEOUT, MAX_REQUEST_BYTES
from tests import pulse
from tests.daemon_helpers import DaemonHome, run_kk
from tests.error_wording import wording_problems
from tests.fuzzing import derandomized
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.audio]

GOOD_BUDGET = 1.0  # the good client's every answer, on a loaded 2-core box
ANSWER_TIMEOUT = 5.0  # a bad client's answer later than this is a hang
FIRST_SOUND_BUDGET = 2.0  # the good client's speak -> first sound at the sink (tone engine)
ERROR_TYPES = {
    "unknown_voice",
    "invalid_input",
    "queue_full",
    "model",
    "audio",
    "protocol",
    "daemon",
    "error",
}
HELLO = {"id": 0, "op": "hello", "protocol": 1, "version": "0.1.0", "client": "fuzz"}
FUZZ = derandomized(300)
READ_SIZE = 65_536
CHECK_EVERY = 10  # cases between the good client's spoken checks

counts: collections.Counter[str] = collections.Counter()

# -- what the bad clients send --------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)  # no float holds these
    | st.floats()  # NaN and infinities too: Python's json writes and reads them
    | st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
IDS = st.integers() | st.text(max_size=80) | JSON
OPS = st.sampled_from(["speak", "cancel", "pause", "resume", "stop", "status", "voices", "hello"])
# retire and shutdown end the daemon on purpose: a fuzzer that sends them proves nothing.
ANY_OP = OPS | st.text(max_size=20).filter(lambda op: op not in ("retire", "shutdown")) | JSON
SPEAK_ARGUMENTS = {
    "text": st.text(max_size=30) | JSON,
    "voice": st.sampled_from(["af_heart", "bm_george", "zz_nobody", ""]) | JSON,
    "speed": st.floats(0.5, 2.0) | JSON,
    "mode": st.sampled_from(["interrupt", "queue"]) | JSON,
    "wait": st.booleans() | JSON,
    "code_blocks": st.sampled_from(["placeholder", "skip"]) | JSON,
    "target": IDS,
    "settings": JSON,
    "spead": JSON,
}
REQUESTS = st.fixed_dictionaries(
    {"id": IDS, "op": ANY_OP}, optional=SPEAK_ARGUMENTS
) | st.fixed_dictionaries({"id": st.integers(1, 10**6), "op": OPS}, optional=SPEAK_ARGUMENTS)
RAW_LINES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([
        b"", b"{", b"}", b"null", b"[1, 2]", b'"hello"', b"{'id': 1}", b'{"id": 1, "op": "st',
        b"\xff\xfe\x00", b"[" * 5_000, b"1" * 5_000, b'{"id": ' + b"9" * 5_000 + b"}",
        b'{"id": 1, "op": "speak", "text": "Hi \\ud83d there"}', b'{"id": NaN, "op": "status"}',
        b'{"id": 1, "op": "status", "op": "speak"}', b'{"id": 1e999, "op": "status"}',
    ]),
).map(lambda line: line.replace(b"\n", b" "))  # fmt: skip
LINES = st.one_of(
    REQUESTS.map(lambda message: json.dumps(message).encode()),
    JSON.map(lambda value: json.dumps(value).encode()),
    RAW_LINES,
)
HELLOS = st.fixed_dictionaries(
    {"id": IDS, "op": st.just("hello")},
    optional={"protocol": JSON, "version": JSON, "client": JSON, "kind": JSON, "settings": JSON},
)


def waits(line: bytes) -> bool:
    """A line that may rightly go unanswered until its speech has played (speak, wait=true)."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(message, dict) and message.get("op") == "speak" and message.get("wait") is True
    )


# -- the daemon and the well-behaved client ------------------------------------------------


def open_fds(pid: int) -> list[str]:
    """What each of the process's file descriptors points at."""
    folder = f"/proc/{pid}/fd"
    targets = []
    for fd in os.listdir(folder):
        with contextlib.suppress(OSError):  # closed between listing and reading
            targets.append(os.readlink(f"{folder}/{fd}"))
    return sorted(targets)


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class GoodClient:
    """One connection, answers matched by id, `status` polled in the background."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.ids = itertools.count(1)
        self.replies: dict[Any, dict[str, Any]] = {}
        self.changed = threading.Condition()
        self.send_lock = threading.Lock()
        self.latencies: list[float] = []
        self.misses: list[str] = []
        self.stopping = threading.Event()
        threading.Thread(target=self._read, name="good-reader", daemon=True).start()
        hello = self.request({**HELLO, "client": "good"}, op=None)
        assert hello["ok"] is True, hello
        self.poller = threading.Thread(target=self._poll, name="good-poller", daemon=True)

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.changed:
                    self.replies["closed"] = {}
                    self.changed.notify_all()
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "event" not in message:
                    with self.changed:
                        self.replies[message.get("id")] = message
                        self.changed.notify_all()

    def request(
        self, message: dict[str, Any], op: str | None = "status", timeout: float = GOOD_BUDGET
    ) -> dict[str, Any]:
        request_id = next(self.ids)
        message = (
            {**message, "id": request_id} if op is None else {**message, "id": request_id, "op": op}
        )
        started = time.monotonic()
        with self.send_lock:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        with self.changed:
            self.changed.wait_for(
                lambda: request_id in self.replies or "closed" in self.replies, timeout
            )
            reply = self.replies.pop(request_id, None)
        took = time.monotonic() - started
        if reply is None:
            self.misses.append(f"{message.get('op')}: no answer within {timeout} s")
            raise AssertionError(self.misses[-1])
        if message.get("op") != "speak":  # a waiting speak answers when its speech has played
            self.latencies.append(took)
        return reply

    def _poll(self) -> None:
        while not self.stopping.wait(0.1):
            with contextlib.suppress(AssertionError):  # recorded in self.misses
                reply = self.request({})
                if reply.get("ok") is not True:
                    self.misses.append(f"status failed: {reply}")

    def speak_heard(self, capture: pulse.Capture) -> None:
        """Silence whatever the fuzz left playing or paused, then a speak is heard in time."""
        for op in ("stop", "resume"):
            assert self.request({}, op=op)["ok"] is True
        quiet = int(0.2 * pulse.SAMPLE_RATE)
        assert wait_until(lambda: not pulse.loud(capture.segment(capture.frames - quiet)).any(), 3)
        start = capture.frames
        sent = time.monotonic()
        reply = self.request({"op": "speak", "text": "Still here.", "wait": True}, op=None,
                             timeout=15)  # fmt: skip
        assert reply["ok"] is True and reply["result"]["state"] == "finished", reply
        index = pulse.first_sound(capture.segment(start))
        assert index is not None, "the good client's speech never reached the sink"
        took = capture.time_of(start + index) - sent
        counts["slowest_good_speak_ms"] = max(counts["slowest_good_speak_ms"], int(took * 1000))
        assert took < FIRST_SOUND_BUDGET, f"first sound {took:.2f} s after the good speak"

    def close(self) -> None:
        self.stopping.set()
        self.poller.join(timeout=5)
        self.sock.close()


class Daemon:
    """The daemon under fuzz, its good client and the stalled bad clients (a plain class:
    hypothesis prints a dataclass argument field by field in every failing case)."""

    def __init__(self, home: DaemonHome, pid: int, good: GoodClient, capture: pulse.Capture):
        self.home = home
        self.pid = pid
        self.good = good
        self.capture = capture
        self.baseline_fds = 0
        self.stalled: list[socket.socket] = []
        self.stalled_at = 0.0

    def __repr__(self) -> str:
        return f"Daemon(pid={self.pid})"

    def check(self) -> None:
        """Between fuzz runs: alive, and the good client's speech is heard."""
        assert self.home.daemon_alive(), "the daemon died:\n" + self.home.log()[-4000:]
        self.good.speak_heard(self.capture)


@pytest.fixture(scope="module")
def daemon(pulse_server: None) -> Iterator[Daemon]:
    pulse.set_default_sink(pulse.SINK)
    with DaemonHome() as home, pulse.Capture() as capture:
        started = run_kk(home, "say", "--no-wait", "Warming up.")
        assert started.returncode == 0, started.stderr
        pid = home.pid()
        assert pid is not None
        good = GoodClient(str(home.socket))
        daemon = Daemon(home, pid, good, capture)
        daemon.check()  # audio open, caches warm: what "baseline" means below
        daemon.baseline_fds = fd_count(pid)
        good.poller.start()
        try:
            yield daemon
        finally:
            good.close()
            for sock in daemon.stalled:
                sock.close()
            print(
                f"\ndaemon socket fuzz: {counts['cases']} cases ({counts['lines']} lines sent,"
                f" {counts['accepted']} accepted, {counts['refused']} refused;"
                f" {counts['oversized']} oversized, {counts['cut_off']} cut off,"
                f" {counts['stalled']} stalled clients), {counts['crashes']} crashes,"
                f" {counts['hangs']} hangs; good client: {len(good.latencies)} answers,"
                f" slowest {max(good.latencies, default=0) * 1000:.0f} ms"
                f" ({sum(t > 0.1 for t in good.latencies)} over 100 ms), speech heard within"
                f" {counts['slowest_good_speak_ms']} ms"
            )


# -- one bad client ---------------------------------------------------------------------------


def connect(daemon: Daemon) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(ANSWER_TIMEOUT)
    sock.connect(str(daemon.home.socket))
    return sock


def read_answers(sock: socket.socket, wanted: int, until_closed: bool = False) -> list[Any]:
    """Answers (not progress events) until `wanted` arrived, or until the daemon closed."""
    answers: list[Any] = []
    pending = b""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while len(answers) < wanted or until_closed:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            data = b""
        if not data:
            return answers
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if not (isinstance(message, dict) and message.get("event") == "progress"):
                answers.append(message)
    if until_closed or len(answers) < wanted:
        counts["hangs"] += 1
        raise AssertionError(f"{len(answers)} of {wanted} answers within {ANSWER_TIMEOUT} s")
    return answers


def assert_answer(answer: Any) -> None:
    """The protocol's answer shape: ok with a result, or an error a caller can act on."""
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
    assert set(answer) == {"id", "ok", "result" if answer["ok"] else "error"}, answer
    if answer["ok"]:
        counts["accepted"] += 1
        return
    counts["refused"] += 1
    error = answer["error"]
    assert isinstance(error, dict) and set(error) == {"type", "message"}, answer
    if error["type"] not in ERROR_TYPES or "internal error" in error["message"]:
        counts["crashes"] += 1
        raise AssertionError(f"the daemon failed inside instead of answering: {answer}")
    problems = wording_problems(error["message"])
    assert not problems, f"{problems}: {error['message'][:400]!r}"


def exchange(daemon: Daemon, lines: list[bytes], *, hello: bool, tail: bytes = b"") -> None:
    """Send `lines` (after a hello if asked), check every answer, then `tail` and close."""
    counts["cases"] += 1
    if counts["cases"] % CHECK_EVERY == 0:
        daemon.check()
    with connect(daemon) as sock:
        if hello:
            sock.sendall(json.dumps(HELLO).encode() + b"\n")
            assert read_answers(sock, 1)[0]["ok"] is True
        counts["lines"] += 1 if not hello and lines else len(lines)
        if not lines:
            sock.sendall(tail)
            return
        if not hello:  # the first line is the handshake: a hello opens a session, else closed
            sock.sendall(lines[0] + b"\n")
            (answer,) = read_answers(sock, 1)
            assert_answer(answer)
            if not answer["ok"]:
                assert read_answers(sock, 0, until_closed=True) == []
                return
            lines = lines[1:]
            counts["lines"] += len(lines)
        sock.sendall(b"".join(line + b"\n" for line in lines))
        answers = read_answers(sock, sum(not waits(line) for line in lines))
        for answer in answers:
            assert_answer(answer)
        sock.sendall(tail)


# -- the tests (in file order: the stalled clients are opened first, checked last) ------------


def test_clients_that_never_send_or_stall_mid_line_are_held_open(daemon: Daemon) -> None:
    daemon.stalled_at = time.monotonic()
    for index in range(10):
        silent = connect(daemon)
        daemon.stalled.append(silent)
        stalled = connect(daemon)
        stalled.sendall(json.dumps(HELLO).encode() + b"\n")
        assert read_answers(stalled, 1)[0]["ok"] is True
        stalled.sendall(b'{"id": 1, "op": "speak", "text": "never fin'[: 5 + index * 3])
        daemon.stalled.append(stalled)
        counts["stalled"] += 2
    daemon.check()


@FUZZ
@given(lines=st.lists(LINES, min_size=1, max_size=8), hello=st.booleans())
@example(lines=[b'{"id": 1, "op": "status"}'], hello=False)
@example(lines=[b"[" * 5_000, b"1" * 5_000, b'{"id": 2, "op": "status"}'], hello=True)
@example(
    lines=[b'{"id": 1, "op": "speak", "text": "hi", "speed": 1' + b"0" * 400 + b"}"], hello=True
)
def test_every_complete_line_gets_one_answer(
    daemon: Daemon, lines: list[bytes], hello: bool
) -> None:
    exchange(daemon, lines, hello=hello)


@settings(FUZZ, max_examples=100)
@given(hello=HELLOS, lines=st.lists(LINES, max_size=4))
@example(hello={"id": 0, "op": "hello", "settings": {"speed": 10**400}}, lines=[])
@example(hello={"id": [1], "op": "hello", "client": "x" * 10_000, "settings": [1]}, lines=[])
def test_odd_hellos_open_a_session_or_get_an_error(
    daemon: Daemon, hello: dict[str, Any], lines: list[bytes]
) -> None:
    exchange(daemon, [json.dumps(hello).encode(), *lines], hello=False)


@settings(FUZZ, max_examples=60)
@given(
    lines=st.lists(LINES, max_size=4),
    tail=st.binary(min_size=1, max_size=200).map(lambda b: b.replace(b"\n", b" ")),
    hello=st.booleans(),
)
def test_a_request_cut_off_by_a_close_is_dropped(
    daemon: Daemon, lines: list[bytes], tail: bytes, hello: bool
) -> None:
    counts["cut_off"] += 1
    exchange(daemon, lines, hello=hello, tail=tail)


@settings(FUZZ, max_examples=10)
@given(
    prefix=st.sampled_from([b'{"id": 1, "op": "speak", "text": "', b"", b"[", b"\xff"]),
    # The cap holds to within one socket read (64 KiB): anyio checks it between reads.
    extra=st.integers(READ_SIZE + 1, 400_000),
    hello=st.booleans(),
)
def test_a_line_over_the_cap_gets_an_error_and_that_connection_closes(
    daemon: Daemon, prefix: bytes, extra: int, hello: bool
) -> None:
    counts["cases"] += 1
    counts["oversized"] += 1
    with connect(daemon) as sock:
        if hello:
            sock.sendall(json.dumps(HELLO).encode() + b"\n")
            assert read_answers(sock, 1)[0]["ok"] is True
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it stops reading
            sock.sendall(prefix + b"y" * (MAX_REQUEST_BYTES + extra - len(prefix)) + b"\n")
        (answer,) = read_answers(sock, 0, until_closed=True)
    assert_answer(answer)
    assert answer["ok"] is False and "longer than" in answer["error"]["message"], answer


def test_the_daemon_kept_serving_and_let_go_of_every_bad_client(daemon: Daemon) -> None:
    daemon.check()
    # The silent ones were told off and closed by the daemon after the handshake timeout.
    silent = daemon.stalled[0::2]
    time.sleep(max(0.0, daemon.stalled_at + HANDSHAKE_TIMEOUT - time.monotonic()))
    for sock in silent:
        (answer,) = read_answers(sock, 0, until_closed=True)
        assert f"no hello within {HANDSHAKE_TIMEOUT:.0f} s" in answer["error"]["message"]
    for sock in daemon.stalled:
        sock.close()
    daemon.stalled.clear()
    back = wait_until(lambda: fd_count(daemon.pid) <= daemon.baseline_fds, 10.0)
    assert back is not None, (
        f"{fd_count(daemon.pid)} fds open, {daemon.baseline_fds} before the fuzz:"
        f" {open_fds(daemon.pid)}"
    )
    good = daemon.good
    assert not good.misses, good.misses[:5]
    assert len(good.latencies) > 50, "the good client was hardly polled"
    assert max(good.latencies) < GOOD_BUDGET, f"slowest answer {max(good.latencies):.2f} s"
    assert daemon.home.daemon_alive()
    assert counts["crashes"] == 0 and counts["hangs"] == 0
