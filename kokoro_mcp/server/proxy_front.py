"""The thin proxy's MCP front: JSON-RPC 2.0 over stdio without the MCP SDK.

Every MCP client starts its own proxy, so its memory is paid once per agent. Importing the SDK
alone takes ~65 MB here (it brings its HTTP client and server stack, telemetry and the types of
every protocol revision); this front answers the same requests with the standard library,
anyio and the result models, in about half of that. What it serves is exactly what the SDK
front in sdk_front.py serves for the same backend (tests/test_proxy_front.py compares the two line
by line): the handshake-era protocol revisions, tools, the voices resource, progress
notifications and cancellation. The SDK front stays for `--no-daemon`, where the model's
memory dwarfs the SDK's.

Requests run concurrently (a `speak` with wait=true must not hold up `stop`); responses are
written whole, one line each, under a lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import anyio
from anyio.abc import TaskGroup

from kokoro_mcp.errors import KokoroError
from kokoro_mcp.server import texts
from kokoro_mcp.server.backends import SpeechBackend
from kokoro_mcp.server.catalog import (
    VOICES_MIME,
    VOICES_URI,
    call_params_problem,
    client_name,
    resource_listing,
    server_info,
    tool_error,
    tool_listing,
    tool_result,
)
from kokoro_mcp.server.jsonrpc import (
    EXEMPT_BEFORE_INITIALIZE,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    NOT_JSON,
    NOT_JSONRPC,
    PARSE_ERROR,
    bad_id,
    claimed_stdin,
    not_initialized,
    repaired,
)
from kokoro_mcp.server.tools import SpeechTools

logger = logging.getLogger(__name__)

# The revisions reached through `initialize`, oldest to newest (the SDK's list: a test checks
# they agree). A client asking for another gets the newest, as the SDK answers.
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
CAPABILITIES = {
    "prompts": {"listChanged": False},
    "resources": {"listChanged": False, "subscribe": False},
    "tools": {"listChanged": False},
}

RequestId = str | int
# Methods whose answer waits on the daemon: each runs as its own task.
WAITING_METHODS = frozenset({"tools/call", "resources/read"})


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class ProxyFront:
    """One MCP session on stdin/stdout over `tools` (whose backend is the daemon proxy)."""

    def __init__(self, tools: SpeechTools, backend: SpeechBackend, wire_fd: int) -> None:
        self.tools = tools
        self.backend = backend
        self._wire_fd = wire_fd
        self._write_lock = threading.Lock()
        self._initialized = False
        self._running: dict[RequestId, anyio.CancelScope] = {}
        backend.on_log = self.log

    # -- the wire --------------------------------------------------------------------------

    def send(self, message: Mapping[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8", "replace")
        with self._write_lock:  # a response is never interleaved with another
            view = memoryview(data)
            while view:
                view = view[os.write(self._wire_fd, view) :]

    def log(self, message: str) -> None:
        """An MCP log message (`notifications/message`), as the SDK sends them in the
        handshake-era revisions: without a logging capability or a level set."""
        params = {"data": message, "level": "info", "logger": "kokoro-mcp"}
        self.send({"jsonrpc": "2.0", "method": "notifications/message", "params": params})

    def _error(
        self, request_id: RequestId | None, code: int, message: str, data: Any = None
    ) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.send({"jsonrpc": "2.0", "id": request_id, "error": error})

    async def serve(self) -> None:
        """Answer requests until stdin closes."""
        with claimed_stdin() as stdin:
            async with anyio.create_task_group() as group:
                while True:
                    line = await anyio.to_thread.run_sync(stdin.readline, abandon_on_cancel=True)
                    if not line:
                        break
                    self._receive(line, group)
                group.cancel_scope.cancel()

    # -- one line --------------------------------------------------------------------------

    def _receive(self, line: str, group: TaskGroup) -> None:
        if not line.strip():
            return
        line = repaired(line)
        try:
            message = json.loads(line)
        except ValueError as error:
            self._error(None, PARSE_ERROR, NOT_JSON.format(_reason(error)))
            return
        except RecursionError:
            self._error(None, PARSE_ERROR, NOT_JSON.format("nested too deeply"))
            return
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            self._error(None, INVALID_REQUEST, NOT_JSONRPC)
            return
        method = message.get("method")
        if method is None and ("result" in message or "error" in message):
            return  # a response: this server never asks the client anything
        params = message.get("params")
        if not isinstance(method, str) or (params is not None and not isinstance(params, dict)):
            self._error(None, INVALID_REQUEST, NOT_JSONRPC)
            return
        if "id" not in message:
            self._notification(method, params or {})
            return
        problem = bad_id(message["id"])
        if problem is not None:
            self._error(None, INVALID_REQUEST, problem)
            return
        request_id = message["id"]
        if isinstance(request_id, float):
            request_id = int(request_id)  # 1.0 is 1, as the SDK reads it
        self._request(request_id, method, params or {}, group)

    def _notification(self, method: str, params: dict[str, Any]) -> None:
        if method == "notifications/initialized":
            self._initialized = True
            self.backend.proceed()
        elif method == "notifications/cancelled":
            target = params.get("requestId")
            scope = self._running.get(target) if isinstance(target, (str, int)) else None
            if scope is not None:
                scope.cancel()
        elif self._initialized:
            self.backend.proceed()

    def _request(
        self, request_id: RequestId, method: str, params: dict[str, Any], group: TaskGroup
    ) -> None:
        if method == "initialize":
            self._answer(request_id, lambda: self._initialize(params))
            return
        answers = self._answers()
        if method not in answers and method not in WAITING_METHODS:
            self._error(request_id, METHOD_NOT_FOUND, "Method not found", method)
            return
        if not self._initialized and method not in EXEMPT_BEFORE_INITIALIZE:
            self._error(request_id, INVALID_REQUEST, not_initialized(method))
            return
        if self._initialized:
            self.backend.proceed()  # the handshake is over: connect to the daemon now
        if method == "tools/call":
            problem = call_params_problem(params)
            if problem is not None:
                self._error(request_id, INVALID_PARAMS, problem)
                return
            group.start_soon(self._call_tool, request_id, params)
        elif method == "resources/read":
            group.start_soon(self._read_resource, request_id, params)
        else:
            self._answer(request_id, answers[method])

    def _answers(self) -> dict[str, Callable[[], dict[str, Any]]]:
        """The methods answered at once, each with what produces its result."""
        return {
            "ping": dict,
            "tools/list": lambda: {"tools": tool_listing(self.tools.settings)},
            "resources/list": lambda: {"resources": resource_listing()},
            "resources/templates/list": lambda: {"resourceTemplates": []},
            "prompts/list": lambda: {"prompts": []},
        }

    def _answer(self, request_id: RequestId, produce: Callable[[], dict[str, Any]]) -> None:
        try:
            result = produce()
        except RpcError as error:
            self._error(request_id, error.code, error.message, error.data)
            return
        self.send({"jsonrpc": "2.0", "id": request_id, "result": result})

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("protocolVersion")
        info = params.get("clientInfo")
        if not isinstance(requested, str) or not isinstance(info, dict):
            raise RpcError(
                INVALID_PARAMS,
                "Invalid request parameters: initialize needs protocolVersion (a string),"
                " capabilities and clientInfo (an object with name and version).",
            )
        self.backend.client_name = client_name(params) or self.backend.client_name
        self._initialized = True  # later requests are served; speech starts after the next line
        version = requested if requested in HANDSHAKE_VERSIONS else HANDSHAKE_VERSIONS[-1]
        return {
            "capabilities": CAPABILITIES,
            "instructions": texts.INSTRUCTIONS,
            "protocolVersion": version,
            "serverInfo": server_info(),
        }

    # -- requests that wait on the daemon ----------------------------------------------------

    async def _call_tool(self, request_id: RequestId, params: dict[str, Any]) -> None:
        meta = params.get("_meta")
        token = meta.get("progressToken") if isinstance(meta, dict) else None

        async def progress(played: int, total: int | None, message: str) -> None:
            if token is None:
                return
            note: dict[str, Any] = {"progressToken": token, "progress": played}
            if total is not None:
                note["total"] = total
            if message:
                note["message"] = message
            self.send({"jsonrpc": "2.0", "method": "notifications/progress", "params": note})

        with anyio.CancelScope() as scope:
            self._running[request_id] = scope
            try:
                result = await self.tools.call(
                    params.get("name"), params.get("arguments"), progress
                )
                answer = tool_result(result)
            except KokoroError as error:
                answer = tool_error(str(error))
            except Exception as error:
                logger.exception("tool %r failed", params.get("name"))
                answer = tool_error(f"internal error ({type(error).__name__}); see the log")
            finally:
                self._running.pop(request_id, None)
            self.send({"jsonrpc": "2.0", "id": request_id, "result": answer})
        # A cancelled request gets no answer (the client has moved on, as MCP specifies).

    async def _read_resource(self, request_id: RequestId, params: dict[str, Any]) -> None:
        uri = params.get("uri")
        if not isinstance(uri, str):
            message = 'Invalid request parameters: resources/read needs "uri" (a string).'
            self._error(request_id, INVALID_PARAMS, message)
            return
        if uri != VOICES_URI:
            shown = str(uri)[:80]
            self._error(request_id, INVALID_PARAMS, f"Unknown resource: {shown}", {"uri": uri})
            return
        try:
            body = await self.tools.voices_json()
        except KokoroError as error:
            self._error(request_id, INVALID_PARAMS, f"Error reading resource {VOICES_URI}: {error}")
            return
        contents = {"mimeType": VOICES_MIME, "text": body, "uri": VOICES_URI}
        self.send({"jsonrpc": "2.0", "id": request_id, "result": {"contents": [contents]}})


def _reason(error: ValueError) -> str:
    """json's complaint, short (the SDK names the same problem its own way)."""
    return str(error).split(":", 1)[0]


async def serve_proxy(tools: SpeechTools, backend: SpeechBackend, wire_fd: int) -> None:
    await ProxyFront(tools, backend, wire_fd).serve()
