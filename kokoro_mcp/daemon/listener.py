"""The daemon's socket: one session per connection, requests answered concurrently.

Every line is checked before it reaches the SpeechService: size (a cap, then the connection is
closed), JSON shape, the handshake, argument types and ranges. A bad request gets an error
answer and the daemon keeps serving everyone else. A client that goes away does not stop
speech it had accepted; only an explicit `cancel` of a waiting `speak` does.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream
from anyio.streams.buffered import BufferedByteReceiveStream
from pydantic import BaseModel

from kokoro_mcp import __version__
from kokoro_mcp.arguments import (
    CODE_BLOCKS,
    MAX_NAME_CHARS,
    SAVE_SPEECH,
    SPEAK,
    SPEED,
    check_arguments,
)
from kokoro_mcp.config import MODES, Settings
from kokoro_mcp.daemon.host import SpeakerHost
from kokoro_mcp.daemon.service import Caller, SpeechService
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.ipc.daemon_settings import differences, to_wire
from kokoro_mcp.ipc.peer import peer_uid
from kokoro_mcp.ipc.protocol import (
    HANDSHAKE_TIMEOUT,
    MAX_REQUEST_BYTES,
    PROTOCOL_VERSION,
    Message,
    ProtocolError,
    decode,
    encode,
    failure,
    ok,
)
from kokoro_mcp.results import DaemonInfo, Defaults

logger = logging.getLogger(__name__)

CLI_KIND = "cli"  # every command-line client is one owner: `kk "b"` replaces `kk "a"`
SPEAK_OVER_SOCKET = (*SPEAK, CODE_BLOCKS)
SAVE_OVER_SOCKET = (*SAVE_SPEECH, CODE_BLOCKS)


@dataclass
class Session:
    id: int
    client: str
    kind: str
    owner: str
    defaults: Defaults
    notes: list[str]
    scopes: dict[Any, anyio.CancelScope] = field(default_factory=dict)


class DaemonListener:
    """Serves sessions on accepted sockets; `on_retire` / `on_shutdown` reach the process."""

    def __init__(
        self,
        service: SpeechService,
        settings: Settings,
        *,
        socket_path: str,
        log_path: str | None,
        idle_minutes: float,
        on_retire: Callable[[], None],
        on_shutdown: Callable[[], None],
    ) -> None:
        self.service = service
        self.settings = settings
        self.socket_path = socket_path
        self.log_path = log_path
        self.idle_minutes = idle_minutes
        self.started = time.monotonic()
        self.sessions: dict[int, Session] = {}
        self._senders: dict[int, Callable[[Message], Awaitable[None]]] = {}
        self._ids = itertools.count(1)
        self._on_retire = on_retire
        self._on_shutdown = on_shutdown
        self._wire_settings = to_wire(settings)

    async def broadcast_closing(self, reason: str) -> None:
        """Tell every client the daemon is leaving on purpose (they relaunch, not fail)."""
        await self._broadcast({"event": "closing", "reason": reason})

    async def broadcast_install_step(self, step: str) -> None:
        """Tell every client what a first run's model install is doing (MCP proxies pass it on
        as a log message, `kk` prints it): the first speech waits for it."""
        await self._broadcast(install_event(step))

    async def _broadcast(self, event: Message) -> None:
        for send in list(self._senders.values()):
            with anyio.move_on_after(0.2):
                await send(event)

    # -- one connection ----------------------------------------------------------------------

    async def handle(self, stream: SocketStream) -> None:
        session_id = next(self._ids)
        lock = anyio.Lock()
        closed = False

        async def send(message: Message) -> None:
            nonlocal closed
            if closed:
                return
            try:
                async with lock:
                    await stream.send(encode(message))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                closed = True

        try:
            uid = peer_uid(stream.extra(SocketAttribute.raw_socket))
            if uid is not None and uid != os.getuid():
                logger.warning("refused a connection from uid %d", uid)
                await send(failure(None, ProtocolError(
                    "refused: this speech daemon serves only the user who started it"
                )))  # fmt: skip
                return
            reader = BufferedByteReceiveStream(stream)
            session = await self._handshake(session_id, reader, send)
            if session is None:
                return
            self.sessions[session_id] = session
            self._senders[session_id] = send
            logger.info("client %s (%s) connected", session.client, session.kind)
            step = self.service.host.install_step
            if step is not None:  # arrived in the middle of a first run's install
                await send(install_event(step))
            async with anyio.create_task_group() as group:
                await self._serve(session, reader, send, group)
                # The client is gone or done: speech it asked for plays out.
        except Exception as error:
            # The listener's task group would end the whole daemon: one connection's failure
            # costs that connection only, and its client is told.
            logger.exception("connection %d failed", session_id)
            await send(failure(None, _internal(error)))
        finally:
            self.sessions.pop(session_id, None)
            self._senders.pop(session_id, None)
            closed = True
            await stream.aclose()

    async def _read_line(self, reader: BufferedByteReceiveStream) -> bytes | None:
        """The next line; None when the peer closed. ProtocolError if it is too long."""
        try:
            return await reader.receive_until(b"\n", MAX_REQUEST_BYTES)
        except anyio.DelimiterNotFound:
            raise ProtocolError(
                f"request longer than {MAX_REQUEST_BYTES:,} bytes; send shorter text (speak"
                " takes at most 20,000 characters)"
            ) from None
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError,
                anyio.ClosedResourceError, OSError):  # fmt: skip
            return None

    async def _handshake(
        self,
        session_id: int,
        reader: BufferedByteReceiveStream,
        send: Callable[[Message], Awaitable[None]],
    ) -> Session | None:
        try:
            with anyio.fail_after(HANDSHAKE_TIMEOUT):
                line = await self._read_line(reader)
            if line is None:
                return None
            message = decode(line)
        except TimeoutError:
            await send(failure(None, ProtocolError(
                f"no hello within {HANDSHAKE_TIMEOUT:.0f} s; connection closed"
            )))  # fmt: skip
            return None
        except ProtocolError as error:
            await send(failure(None, error))
            return None
        request_id = message.get("id")
        if message.get("op") != "hello":
            await send(failure(_safe_id(request_id), ProtocolError(
                'the first message must be {"op": "hello", "protocol": 1, ...}'
            )))  # fmt: skip
            return None
        client = _name(message.get("client"), "client")
        kind = _name(message.get("kind"), "client")
        owner = CLI_KIND if kind == CLI_KIND else f"{client}#{session_id}"
        requested = message.get("settings")
        notes = differences(self._wire_settings, requested)
        for note in notes:
            logger.info("client %s: %s", client, note)
        session = Session(
            id=session_id,
            client=client,
            kind=kind,
            owner=owner,
            defaults=_client_defaults(self.settings, requested),
            notes=notes,
        )
        await send(ok(_safe_id(request_id), {
            "protocol": PROTOCOL_VERSION,
            "version": __version__,
            "pid": os.getpid(),
            "session": session_id,
            "notes": notes,
        }))  # fmt: skip
        return session

    async def _serve(
        self,
        session: Session,
        reader: BufferedByteReceiveStream,
        send: Callable[[Message], Awaitable[None]],
        group: anyio.abc.TaskGroup,
    ) -> None:
        while True:
            try:
                line = await self._read_line(reader)
            except ProtocolError as error:
                await send(failure(None, error))
                return  # the rest of that line cannot be told from the next request
            if line is None:
                return
            self.service.last_request = time.monotonic()
            try:
                message = decode(line)
            except ProtocolError as error:
                await send(failure(None, error))
                continue
            request_id = message.get("id")
            if not _valid_id(request_id):
                await send(failure(None, ProtocolError(
                    "each request needs an \"id\" (a number or a string) to answer to"
                )))  # fmt: skip
                continue
            op = message.get("op")
            if op in ("speak", "save_speech"):
                handler = self._speak if op == "speak" else self._save_speech
                group.start_soon(handler, session, request_id, message, send)
                continue
            try:
                result = await self._simple(session, op, message)
            except KokoroError as error:
                await send(failure(request_id, error))
            except Exception as error:
                logger.exception("request %r failed", op)
                await send(failure(request_id, _internal(error)))
            else:
                await send(ok(request_id, result))

    async def _simple(self, session: Session, op: Any, message: Message) -> Any:
        if op == "status":
            status = await self.service.status(session.defaults)
            status.daemon = self._info(session)
            return status.model_dump(mode="json")
        if op in ("pause", "resume", "stop"):
            action = {"pause": self.service.pause, "resume": self.service.resume,
                      "stop": self.service.stop}[op]  # fmt: skip
            return (await action()).model_dump(mode="json")
        if op == "voices":
            return (await self.service.voices(session.defaults.voice)).model_dump(mode="json")
        if op == "cancel":
            target = message.get("target")
            scope = session.scopes.get(target) if _valid_id(target) else None
            if scope is not None:
                scope.cancel()
            return {"cancelled": scope is not None}
        if op == "retire":
            logger.info("asked to retire by %s: exiting once idle", session.client)
            self._on_retire()
            return {"retiring": True}
        if op == "shutdown":
            logger.info("asked to exit by %s", session.client)
            self._on_shutdown()
            return {"exiting": True}
        if op == "hello":
            raise ProtocolError("hello was already received on this connection")
        raise ProtocolError(
            f"unknown op {str(op)[:40]!r}; use speak, save_speech, cancel, pause, resume, stop,"
            " status, voices, retire or shutdown"
        )

    async def _speak(
        self,
        session: Session,
        request_id: Any,
        message: Message,
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        async def progress(played: int, total: int | None, text: str) -> None:
            await send({"id": request_id, "event": "progress", "played": played,
                        "total": total, "message": text})  # fmt: skip

        async def call() -> BaseModel:
            arguments = _speak_arguments(message, session.defaults, self.settings)
            return await self.service.speak(
                Caller(owner=session.owner, client=session.client),
                progress=progress if arguments["wait"] else None,
                **arguments,
            )

        await self._answer(session, request_id, send, call, "speech stopped")

    async def _save_speech(
        self,
        session: Session,
        request_id: Any,
        message: Message,
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        async def call() -> BaseModel:
            fields = {key: value for key, value in message.items() if key not in ("id", "op")}
            checked = check_arguments("save_speech", fields, SAVE_OVER_SOCKET)
            return await self.service.save_speech(
                Caller(owner=session.owner, client=session.client),
                checked["text"],
                file_name=checked["file_name"],
                voice=checked["voice"] or session.defaults.voice,
                speed=session.defaults.speed if checked["speed"] is None else checked["speed"],
                overwrite=checked["overwrite"],
                code_blocks=checked["code_blocks"] or self.settings.code_blocks,
            )

        await self._answer(session, request_id, send, call, "no file was written")

    async def _answer(
        self,
        session: Session,
        request_id: Any,
        send: Callable[[Message], Awaitable[None]],
        call: Callable[[], Awaitable[BaseModel]],
        on_cancel: str,
    ) -> None:
        """Run a long request in its own cancel scope (the client may `cancel` it) and send
        its answer; `on_cancel` completes "cancelled by the client; ..."."""
        with anyio.CancelScope() as scope:
            session.scopes[request_id] = scope
            try:
                result = await call()
                await send(ok(request_id, result.model_dump(mode="json")))
            except KokoroError as error:
                await send(failure(request_id, error))
            except Exception as error:
                logger.exception("request %r failed", request_id)
                await send(failure(request_id, _internal(error)))
            finally:
                session.scopes.pop(request_id, None)
        if scope.cancelled_caught:
            await send(failure(request_id, KokoroError(f"cancelled by the client; {on_cancel}")))

    def _info(self, session: Session) -> DaemonInfo:
        return DaemonInfo(
            pid=os.getpid(),
            version=__version__,
            uptime=round(time.monotonic() - self.started, 1),
            clients=[s.client for s in self.sessions.values()],
            socket=self.socket_path,
            log=self.log_path,
            idle_exit_minutes=self.idle_minutes,
            notes=session.notes,
        )


# -- argument checks (the socket is an edge: nothing is trusted) ---------------------------------


def _internal(error: Exception) -> KokoroError:
    """What a client is told when the daemon failed inside (the traceback is in the log)."""
    return KokoroError(f"internal error ({type(error).__name__}); see the daemon log")


def install_event(step: str) -> Message:
    return {"event": "log", "level": "info", "message": SpeakerHost.install_notice(step)}


def _valid_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and len(value) <= MAX_NAME_CHARS
    )


def _safe_id(value: Any) -> Any:
    return value if _valid_id(value) else None


def _name(value: Any, fallback: str) -> str:
    if not isinstance(value, str) or not value.strip():
        return fallback
    return "".join(ch for ch in value.strip() if ch.isprintable())[:MAX_NAME_CHARS] or fallback


def _client_defaults(settings: Settings, requested: Any) -> Defaults:
    """The client's own voice/speed/mode where it sent valid ones, else the daemon's."""
    asked = requested if isinstance(requested, dict) else {}
    voice = asked.get("voice")
    speed = asked.get("speed")
    mode = asked.get("mode")
    return Defaults(
        voice=voice if isinstance(voice, str) and voice else settings.voice,
        speed=float(speed) if speed is not None and SPEED.fits(speed) else settings.speed,
        mode=mode if mode in MODES else settings.mode,
    )


def _speak_arguments(message: Message, defaults: Defaults, settings: Settings) -> dict[str, Any]:
    """speak's arguments, checked like the MCP tool's (plus `code_blocks` for `kk`), with the
    client's defaults filled in."""
    fields = {key: value for key, value in message.items() if key not in ("id", "op")}
    checked = check_arguments("speak", fields, SPEAK_OVER_SOCKET)
    return {
        **checked,
        "voice": checked["voice"] or defaults.voice,
        "speed": defaults.speed if checked["speed"] is None else checked["speed"],
        "mode": checked["mode"] or defaults.mode,
        "code_blocks": checked["code_blocks"] or settings.code_blocks,
    }
