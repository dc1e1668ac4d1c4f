"""`kk say` (and `kokoro-mcp say`): text from arguments or a live pipe to the daemon.

With text on stdin, pieces are sent as soon as they are complete (see sentences.py) and queued
behind each other, so a streaming writer is heard sentence by sentence without gaps or overlap.
`kk` waits until its speech has played (like `say` on macOS) unless --no-wait; Ctrl-C stops
the speech it started and nothing else. `-o FILE` renders a WAV and `--show-text` prints the
chunks that would be spoken, both in-process (no daemon).
"""

from __future__ import annotations

import codecs
import os
import selectors
import sys
from collections.abc import Callable
from typing import Any

from kokoro_mcp.client import control
from kokoro_mcp.client.sentences import LINGER_SECONDS, SentenceStream
from kokoro_mcp.config import Settings
from kokoro_mcp.errors import InvalidInputError, KokoroError
from kokoro_mcp.exit_codes import EXIT_OK, exit_code_for
from kokoro_mcp.ipc.connection import Connection
from kokoro_mcp.ipc.protocol import error_from_wire

READ_BYTES = 65536
NOT_LOCAL = (
    "--priority, --ttl and --replace are for speech through the shared daemon, not for"
    " --no-daemon, --output or --show-text; leave them out"
)
READ_ALL_LIMIT = 1 << 20  # the daemon takes at most 20,000 characters anyway


def say(
    settings: Settings,
    words: list[str],
    options: dict[str, Any],
    *,
    manners: dict[str, Any] | None = None,
) -> int:
    """Speak `words` (else stdin). With `manners` (priority, ttl, replace) the whole text is
    one announcement, a pipe read to its end first: a key or a low priority applied to each
    sentence would drop the sentences before it."""
    text = " ".join(words) if words else None
    output = options.get("output")
    if output is not None or options.get("show_text"):
        # A file, or the chunks as text: done here, in this process, with no daemon.
        from kokoro_mcp.say import run_say

        return run_say(settings, text, output, show_text=bool(options.get("show_text")))
    if text is not None and not text.strip():
        text = None
    if text is None and sys.stdin.isatty():
        raise InvalidInputError(
            'nothing to say: give the text as arguments (kk "Hello") or on stdin'
        )
    speech = _Speech(settings, wait=not options.get("no_wait"), manners=manners or {})
    try:
        if manners:
            speech.send([text if text is not None else _read_all_stdin()])
        elif text is not None:
            stream = SentenceStream()
            speech.send([*stream.feed(text), *stream.finish()])
        else:
            _pump_stdin(speech)
        if speech.sent == 0:
            raise InvalidInputError("nothing to say: stdin held no words")
        speech.drain()
    except KeyboardInterrupt:
        speech.cancel()
        raise
    finally:
        speech.close()
    return speech.exit_code


class _Speech:
    """The speak requests this invocation has in flight."""

    def __init__(self, settings: Settings, *, wait: bool, manners: dict[str, Any]) -> None:
        self.settings = settings
        self.wait = wait
        self.manners = manners
        self.pending: set[int] = set()
        self.exit_code = EXIT_OK  # the gravest refusal's (a usage error outranks a failure)
        self._said: set[str] = set()  # each sentence refused for the same reason: one line
        self.sent = 0
        self._connection: Connection | None = None
        self.on_connect: Callable[[Connection], object] | None = None

    @property
    def connection(self) -> Connection:
        """Connected (starting the daemon) only once there is something to say."""
        if self._connection is None:
            self._connection = control.connect(self.settings, start=True)
            if self.on_connect is not None:
                self.on_connect(self._connection)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def send(self, pieces: list[str]) -> None:
        for piece in pieces:
            if not any(ch.isalnum() for ch in piece):
                continue  # punctuation or markup alone: nothing to say
            mode = self.settings.mode if self.sent == 0 else "queue"
            self.sent += 1
            request_id = self.connection.send(
                "speak",
                text=piece,
                voice=self.settings.voice,
                speed=self.settings.speed,
                mode=mode,
                wait=self.wait,
                code_blocks=self.settings.code_blocks,
                **self.manners,
            )
            self.pending.add(request_id)

    def collect(self, timeout: float | None) -> None:
        """Read answers that are there (waiting up to `timeout` for the first)."""
        message = self.connection.read(timeout)
        while message is not None:
            request_id = message.get("id")
            if message.get("event") == "log" and request_id is None:  # a first run's steps
                print(f"kk: {message.get('message')}", file=sys.stderr)
            if request_id in self.pending and "event" not in message:
                self.pending.discard(request_id)
                if message.get("ok") is not True:
                    error = error_from_wire(message.get("error"))
                    self.exit_code = max(self.exit_code, exit_code_for(error))
                    if str(error) not in self._said:
                        self._said.add(str(error))
                        print(f"kk: {error}", file=sys.stderr)
                elif (message.get("result") or {}).get("state") == "dropped":
                    # Dropped by its own manners (priority, ttl, replace): not a failure.
                    reason = message["result"].get("reason")
                    print(f"kk: not spoken: {reason}", file=sys.stderr)
            message = self.connection.read(0)

    def drain(self) -> None:
        while self.pending:
            self.collect(None)

    def cancel(self) -> None:
        if self._connection is None:
            return
        for request_id in list(self.pending):
            try:
                self.connection.send("cancel", target=request_id)
            except KokoroError:
                return


def manners_from(options: dict[str, Any]) -> dict[str, Any]:
    """--priority/--ttl/--replace checked like the speak tool's arguments (only those given);
    InvalidInputError naming the flag otherwise."""
    from kokoro_mcp.arguments import PRIORITY, REPLACE, TTL

    manners: dict[str, Any] = {}
    for argument in (PRIORITY, TTL, REPLACE):
        value = options.get(argument.name)
        if value is None:
            continue
        if argument is TTL and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise InvalidInputError(f"--ttl must be {TTL.accepts}, got {value!r}") from None
        try:
            manners[argument.name] = argument.check(value)
        except InvalidInputError as error:
            raise InvalidInputError(f"--{error}") from None
    if manners and (options.get("output") is not None or options.get("show_text")):
        raise InvalidInputError(NOT_LOCAL)
    return manners


def _read_all_stdin() -> str:
    data = sys.stdin.buffer.read(READ_ALL_LIMIT + 1)
    if len(data) > READ_ALL_LIMIT:
        raise InvalidInputError(
            f"stdin holds more than {READ_ALL_LIMIT:,} bytes; an announcement is a few sentences"
        )
    text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise InvalidInputError("nothing to say: stdin held no words")
    return text


def _pump_stdin(speech: _Speech) -> None:
    """Read stdin as it arrives; speak each complete piece; answers are read meanwhile."""
    fd = sys.stdin.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    stream = SentenceStream()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ, "stdin")
        speech.on_connect = lambda connection: selector.register(
            connection.fileno(), selectors.EVENT_READ, "daemon"
        )
        while True:
            timeout = LINGER_SECONDS if stream.pending.strip() else None
            events = selector.select(timeout)
            if not events:  # the writer paused a while: say what is there
                speech.send(stream.ready(idle_seconds=LINGER_SECONDS))
                continue
            for key, _ in events:
                if key.data == "daemon":
                    speech.collect(0)
                    continue
                data = os.read(fd, READ_BYTES)
                if not data:
                    speech.send([*stream.feed(decoder.decode(b"", final=True)), *stream.finish()])
                    return
                speech.send(stream.feed(decoder.decode(data)))
                if not _readable_now(selector, fd):
                    speech.send(stream.ready(idle_seconds=0.0))


def _readable_now(selector: selectors.BaseSelector, fd: int) -> bool:
    return any(key.fd == fd for key, _ in selector.select(0))
