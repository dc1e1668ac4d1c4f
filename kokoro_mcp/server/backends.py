"""Where the MCP tools send speech: this process (--no-daemon) or the shared daemon.

Both answer with the same result models and raise the same errors, so a tool does not know
which one it talks to. The daemon backend is a thin proxy: it imports no numpy, onnxruntime or
spaCy, connects (starting the daemon if needed) once the MCP handshake is done, and
reconnects after the daemon left: transparently when it left on purpose (idle, retired), with
a clear error for the calls in flight when it died.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

import anyio
from anyio.abc import TaskGroup
from anyio.streams.buffered import BufferedByteReceiveStream
from anyio.streams.memory import MemoryObjectSendStream

from kokoro_mcp.config import Mode, Priority, Settings
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.ipc.connection import DaemonNotRunning
from kokoro_mcp.ipc.protocol import (
    MAX_RESPONSE_BYTES,
    DaemonError,
    DaemonGoneError,
    Message,
    decode,
    encode,
    error_from_wire,
)
from kokoro_mcp.results import (
    ControlResult,
    Defaults,
    ModelStatus,
    SaveResult,
    SpeakResult,
    StatusResult,
    VoiceList,
)

if TYPE_CHECKING:
    from anyio.abc import SocketStream

    from kokoro_mcp.daemon.host import EngineFactory

logger = logging.getLogger(__name__)

Action = Literal["pause", "resume", "stop"]
Progress = Callable[[int, int | None, str], Awaitable[None]]


class Manners(NamedTuple):
    """How an announcement shares the voice: its priority, time to live and replace key."""

    priority: Priority = "normal"
    ttl: float | None = None
    replace: str | None = None

    def wire(self) -> dict[str, Any]:
        """As speak arguments; the defaults left out, so requests stay as they were."""
        return {name: value for name, value in self._asdict().items() if value != DEFAULT[name]}


POLITE = Manners()  # today's behaviour
DEFAULT: dict[str, Any] = POLITE._asdict()


class SpeechBackend(Protocol):
    client_name: str
    # Told what the daemon announces to everyone (a first run's install steps), to pass on to
    # the MCP client as log messages; None: nobody listens.
    on_log: Callable[[str], None] | None

    def running(self) -> contextlib.AbstractAsyncContextManager[None]: ...
    def proceed(self) -> None: ...
    def close(self, timeout: float) -> None: ...
    async def speak(
        self, text: str, *, voice: str, speed: float, mode: Mode, wait: bool,
        progress: Progress | None, manners: Manners = ...,
    ) -> SpeakResult: ...  # fmt: skip
    async def save_speech(
        self, text: str, *, file_name: str | None, voice: str, speed: float, overwrite: bool
    ) -> SaveResult: ...
    async def control(self, action: Action) -> ControlResult: ...
    async def status(self) -> StatusResult: ...
    async def voices(self) -> VoiceList: ...


def _defaults(settings: Settings) -> Defaults:
    return Defaults(voice=settings.voice, speed=settings.speed, mode=settings.mode)


class LocalBackend:
    """Everything in this process: the SpeechService over a SpeakerHost."""

    def __init__(self, settings: Settings, engine_factory: EngineFactory | None = None) -> None:
        from kokoro_mcp.daemon.host import SpeakerHost, create_engine_for
        from kokoro_mcp.daemon.service import SpeechService

        self.settings = settings
        self.client_name = "local"
        self.on_log: Callable[[str], None] | None = None
        self.host = SpeakerHost(settings, engine_factory or create_engine_for)
        self.service = SpeechService(settings, self.host)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        import anyio.from_thread
        import anyio.lowlevel

        loop = anyio.lowlevel.current_token()
        # A first run's install steps come from the start-up thread; the front is told on the
        # event loop, as a proxy is told by its daemon.
        self.host.on_install_step = lambda step: anyio.from_thread.run_sync(
            self._announce, self.host.install_notice(step), token=loop
        )
        self.host.start()
        try:
            yield None
        finally:
            self.host.close()

    def _announce(self, message: str) -> None:
        if self.on_log is not None:
            self.on_log(message)

    def proceed(self) -> None:
        self.host.proceed()

    def close(self, timeout: float) -> None:
        self.host.close(timeout=timeout)

    async def speak(
        self, text: str, *, voice: str, speed: float, mode: Mode, wait: bool,
        progress: Progress | None, manners: Manners = POLITE,
    ) -> SpeakResult:  # fmt: skip
        from kokoro_mcp.daemon.service import Caller

        return await self.service.speak(
            Caller(client=self.client_name), text, voice=voice, speed=speed, mode=mode,
            wait=wait, code_blocks=self.settings.code_blocks, progress=progress,
            **manners._asdict(),
        )  # fmt: skip

    async def save_speech(
        self, text: str, *, file_name: str | None, voice: str, speed: float, overwrite: bool
    ) -> SaveResult:
        from kokoro_mcp.daemon.service import Caller

        return await self.service.save_speech(
            Caller(client=self.client_name), text, file_name=file_name, voice=voice,
            speed=speed, overwrite=overwrite, code_blocks=self.settings.code_blocks,
        )  # fmt: skip

    async def control(self, action: Action) -> ControlResult:
        return await getattr(self.service, action)()  # type: ignore[no-any-return]

    async def status(self) -> StatusResult:
        return await self.service.status(_defaults(self.settings))

    async def voices(self) -> VoiceList:
        return await self.service.voices(self.settings.voice)


class DaemonBackend:
    """A proxy to the shared daemon over its socket."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client_name = "mcp"
        self.on_log: Callable[[str], None] | None = None
        self._group: TaskGroup | None = None
        self._connection: _Connection | None = None
        self._connect_lock = anyio.Lock()
        self._connecting = False
        self._stops = 0  # bumped by every stop, so speaks waiting for the daemon drop out
        self._waiting = 0  # speaks waiting for the daemon to start

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield None
            finally:
                group.cancel_scope.cancel()
                self._group = None

    def proceed(self) -> None:
        """The handshake is done: connect (and start the daemon) now, so speech is warm."""
        if self._group is not None and self._connection is None and not self._connecting:
            self._connecting = True  # status says "loading" from now, not "not running"
            self._group.start_soon(self._warm_up)

    def close(self, timeout: float) -> None:
        """Nothing to silence here: the daemon's speech belongs to everyone."""

    async def _warm_up(self) -> None:
        try:
            await self._connected(launch=True)
        except KokoroError as error:
            logger.warning("could not reach the speech daemon yet: %s", error)
        finally:
            self._connecting = False

    # -- requests ----------------------------------------------------------------------------

    async def speak(
        self, text: str, *, voice: str, speed: float, mode: Mode, wait: bool,
        progress: Progress | None, manners: Manners = POLITE,
    ) -> SpeakResult:  # fmt: skip
        async def on_event(message: Message) -> None:
            if progress is not None and message.get("event") == "progress":
                total = message.get("total")
                await progress(
                    int(message.get("played") or 0),
                    total if isinstance(total, int) else None,
                    str(message.get("message") or ""),
                )

        stops = self._stops
        self._waiting += 1
        try:
            await self._connected(launch=True)
        finally:
            self._waiting -= 1
        if self._stops != stops:
            # `stop` arrived while this request waited for the daemon to start: honour it.
            return SpeakResult(state="stopped", id=None, voice=voice, speed=speed, mode=mode,
                               characters=len(text), **manners._asdict())  # fmt: skip
        result = await self._call(
            "speak", on_event=on_event, text=text, voice=voice, speed=speed, mode=mode,
            wait=wait, code_blocks=self.settings.code_blocks, **manners.wire(),
        )  # fmt: skip
        return SpeakResult.model_validate(result)

    async def save_speech(
        self, text: str, *, file_name: str | None, voice: str, speed: float, overwrite: bool
    ) -> SaveResult:
        result = await self._call(
            "save_speech", text=text, file_name=file_name, voice=voice, speed=speed,
            overwrite=overwrite, code_blocks=self.settings.code_blocks,
        )  # fmt: skip
        return SaveResult.model_validate(result)

    async def control(self, action: Action) -> ControlResult:
        waiting = self._waiting if action == "stop" else 0
        if action == "stop":
            self._stops += 1
        try:
            result = ControlResult.model_validate(await self._call(action, launch=False))
        except DaemonNotRunning:
            message = "Nothing is playing." if action != "resume" else "Speech was not paused."
            result = ControlResult(action=action, changed=False, state="idle", message=message,
                                   dropped=0 if action == "stop" else None)  # fmt: skip
        if waiting:  # speeches still waiting for the daemon to start count as dropped
            dropped = (result.dropped or 0) + waiting
            result.dropped = dropped
            result.changed = True
            result.message = f"Stopped; {dropped} utterance{'s' if dropped != 1 else ''} dropped."
        return result

    async def status(self) -> StatusResult:
        try:
            result = await self._call("status", launch=False)
        except DaemonNotRunning:
            return StatusResult(
                state="loading" if self._connecting else "idle",
                model=ModelStatus(
                    engine=self.settings.engine, loaded=False, loading=self._connecting
                ),
                audio=None,
                defaults=_defaults(self.settings),
            )
        return StatusResult.model_validate(result)

    async def voices(self) -> VoiceList:
        return VoiceList.model_validate(await self._call("voices"))

    # -- the connection ----------------------------------------------------------------------

    async def _call(
        self,
        op: str,
        *,
        launch: bool = True,
        on_event: Callable[[Message], Awaitable[None]] | None = None,
        **arguments: Any,
    ) -> Any:
        for attempt in (1, 2):
            connection = await self._connected(launch=launch)
            try:
                return await connection.request(op, arguments, on_event)
            except DaemonGoneError:
                if connection.closing_reason is not None and attempt == 1:
                    logger.info("the daemon left (%s); reconnecting", connection.closing_reason)
                    continue  # it left on purpose before answering: ask the next one
                from kokoro_mcp.ipc.paths import log_path

                raise DaemonError(
                    "the speech daemon stopped unexpectedly; the next request starts it again"
                    f" (its log: {log_path()})"
                ) from None
        raise AssertionError("unreachable")

    async def _connected(self, *, launch: bool) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        async with self._connect_lock:
            connection = self._connection
            if connection is not None and not connection.closed:
                return connection
            self._connecting = self._connecting or launch
            try:
                self._connection = await self._open(launch)
            finally:
                self._connecting = False
            return self._connection

    async def _open(self, launch: bool) -> _Connection:
        from anyio.abc import UNIXSocketStream

        from kokoro_mcp.ipc import launch as launcher
        from kokoro_mcp.ipc.daemon_settings import launch_args, to_wire

        def connect() -> Any:
            return launcher.connect(
                client=self.client_name,
                kind="mcp",
                settings=to_wire(self.settings),
                daemon_args=launch_args(self.settings),
                launch=launch,
                announce=lambda line: logger.info("%s", line),
            )

        sync_connection = await anyio.to_thread.run_sync(connect)
        for note in sync_connection.hello.get("notes") or []:
            logger.warning("speech daemon: %s", note)
        sock, leftover = sync_connection.detach()
        stream = await UNIXSocketStream.from_socket(sock)
        connection = _Connection(stream, leftover, self._announce)
        if self._group is None:
            raise DaemonError("the MCP server is shutting down")
        self._group.start_soon(connection.read_loop)
        return connection

    def _announce(self, message: str) -> None:
        logger.info("speech daemon: %s", message)
        if self.on_log is not None:
            self.on_log(message)


class _Connection:
    """One socket to the daemon: requests multiplexed by id, answers routed by a reader."""

    def __init__(
        self, stream: SocketStream, leftover: bytes, announce: Callable[[str], None]
    ) -> None:
        self.stream = stream
        self._announce = announce
        self.reader = BufferedByteReceiveStream(stream)
        if leftover:
            self.reader.feed_data(leftover)
        self.closed = False
        self.closing_reason: str | None = None
        self._pending: dict[int, MemoryObjectSendStream[Message]] = {}
        self._ids = itertools.count(1)
        self._send_lock = anyio.Lock()

    async def read_loop(self) -> None:
        try:
            while True:
                message = decode(await self.reader.receive_until(b"\n", MAX_RESPONSE_BYTES))
                if message.get("event") == "closing" and "id" not in message:
                    self.closing_reason = str(message.get("reason") or "closing")
                    continue
                if message.get("event") == "log" and "id" not in message:
                    self._announce(str(message.get("message") or ""))
                    continue
                target = self._pending.get(message.get("id"))  # type: ignore[arg-type]
                if target is not None:
                    target.send_nowait(message)
        except Exception as error:
            logger.debug("daemon connection ended: %r", error)
        finally:
            self.closed = True
            for target in self._pending.values():
                target.close()
            with contextlib.suppress(Exception):
                await self.stream.aclose()

    async def request(
        self,
        op: str,
        arguments: dict[str, Any],
        on_event: Callable[[Message], Awaitable[None]] | None,
    ) -> Any:
        if self.closed:
            raise DaemonGoneError("the connection to the daemon is closed")
        request_id = next(self._ids)
        send, receive = anyio.create_memory_object_stream[Message](max_buffer_size=1000)
        self._pending[request_id] = send
        try:
            await self._send({"id": request_id, "op": op, **arguments})
            async for message in receive:
                if "event" in message:
                    if on_event is not None:
                        await on_event(message)
                    continue
                if message.get("ok") is True:
                    return message.get("result")
                raise error_from_wire(message.get("error"))
            raise DaemonGoneError("the daemon closed the connection before answering")
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await self._send({"id": f"cancel-{request_id}", "op": "cancel",
                                  "target": request_id})  # fmt: skip
            raise
        finally:
            self._pending.pop(request_id, None)
            send.close()
            receive.close()

    async def _send(self, message: Message) -> None:
        try:
            async with self._send_lock:
                await self.stream.send(encode(message))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            self.closed = True
            raise DaemonGoneError("the connection to the daemon broke") from None
