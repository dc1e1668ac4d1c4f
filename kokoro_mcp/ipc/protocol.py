"""The daemon's wire protocol: newline-delimited JSON objects over a Unix socket.

A connection opens with `hello` (protocol and package versions both ways); after that the
client sends requests `{"id": N, "op": NAME, ...arguments}` and the daemon answers each with
`{"id": N, "ok": true, "result": {...}}` or `{"id": N, "ok": false, "error": {"type": T,
"message": M}}`. A `speak` with `wait` also sends `{"id": N, "event": "progress", ...}` lines
before its answer. Requests on one connection may overlap (answers carry their id).
When the daemon leaves on its own (idle, retired) it sends `{"event": "closing", "reason": R}`
first, so clients know to relaunch it rather than report a failure.

Versions: `hello` and `retire` keep their shape in every protocol version, so any client can
tell any daemon to make way for a newer one.
"""

from __future__ import annotations

import json
from typing import Any

from kokoro_mcp import __version__
from kokoro_mcp.errors import (
    AudioDeviceError,
    InvalidInputError,
    KokoroError,
    ModelError,
    OutputFileError,
    QueueFullError,
    UnknownVoiceError,
)

PROTOCOL_VERSION = 1
PACKAGE_VERSION = __version__
MAX_REQUEST_BYTES = 1024 * 1024  # a 20,000-character text escaped as \uXXXX is ~120 KB
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
HANDSHAKE_TIMEOUT = 10.0  # a connection that says nothing this long is closed

OPS = ("hello", "speak", "save_speech", "cancel", "pause", "resume", "stop", "status", "voices",
       "retire", "shutdown")  # fmt: skip

Message = dict[str, Any]


class DaemonError(KokoroError):
    """The daemon could not be reached, started, or understood."""


class DaemonGoneError(DaemonError):
    """The connection to the daemon closed before the answer came."""


class ProtocolError(DaemonError):
    """A message that does not follow the protocol."""


# Error types on the wire, both ways: a client re-raises the same class the daemon raised.
# The first class an error is an instance of names it, so subclasses come before their bases.
# An older daemon sends "invalid_input" for an unknown voice, which a client takes as such.
_ERROR_TYPES: tuple[tuple[str, type[KokoroError]], ...] = (
    ("unknown_voice", UnknownVoiceError),
    ("invalid_input", InvalidInputError),
    ("queue_full", QueueFullError),
    ("model", ModelError),
    ("audio", AudioDeviceError),
    ("output_file", OutputFileError),
    ("protocol", ProtocolError),
    ("daemon", DaemonError),
    ("error", KokoroError),
)


def error_type(error: BaseException) -> str:
    for name, kind in _ERROR_TYPES:
        if isinstance(error, kind):
            return name
    return "internal"


def error_from_wire(payload: Any) -> KokoroError:
    """The exception a daemon's error object stands for."""
    if not isinstance(payload, dict):
        return ProtocolError(f"the daemon sent an unreadable error: {str(payload)[:200]}")
    message = str(payload.get("message") or "the daemon reported an error without a message")
    kind = dict(_ERROR_TYPES).get(str(payload.get("type")), KokoroError)
    return kind(message)


def encode(message: Message) -> bytes:
    # ASCII-only JSON: a lone surrogate in a text travels as an escape instead of failing.
    return json.dumps(message, separators=(",", ":")).encode("ascii") + b"\n"


def decode(line: bytes) -> Message:
    """One line as a JSON object; ProtocolError says what was wrong with it."""
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"not a JSON line ({error}); send one JSON object per line") from None
    except RecursionError:
        raise ProtocolError("JSON nested too deeply; send one flat JSON object per line") from None
    except ValueError:  # an integer of thousands of digits (Python's int conversion limit)
        raise ProtocolError("a number in the line is too long; send numbers as JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError('each line must be a JSON object, e.g. {"id": 1, "op": "status"}')
    return message


def ok(request_id: Any, result: Any) -> Message:
    return {"id": request_id, "ok": True, "result": result}


def failure(request_id: Any, error: BaseException) -> Message:
    return {
        "id": request_id,
        "ok": False,
        "error": {"type": error_type(error), "message": str(error)},
    }


def hello_request(client: str, kind: str, settings: dict[str, Any] | None = None) -> Message:
    return {
        "id": 0,
        "op": "hello",
        "protocol": PROTOCOL_VERSION,
        "version": PACKAGE_VERSION,
        "client": client,
        "kind": kind,
        "settings": settings or {},
    }


def compatible(hello_result: Message) -> bool:
    """True when a daemon's hello answer matches this package (protocol and release)."""
    return (
        hello_result.get("protocol") == PROTOCOL_VERSION
        and hello_result.get("version") == PACKAGE_VERSION
    )
