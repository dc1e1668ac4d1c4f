"""JSON-RPC over stdio, the parts both MCP fronts share (standard library only): taking stdin
away from everything else, repairing lone surrogate escapes, and the errors for lines that are
not requests a server can run. Why each exists: see kokoro_mcp/server/sdk_front.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from typing import TextIO

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

# Lines longer than this skip the extra checks (ids, surrogates): a request carrying the
# longest accepted text is ~120 KB even with every character escaped.
CHECKED_LINE_CHARS = 1_000_000
# Answered before `initialize` as the SDK does (ping is how clients probe a server).
EXEMPT_BEFORE_INITIALIZE = frozenset({"initialize", "ping"})

# An escape sequence in a JSON string: a surrogate pair, a single \\uD800-\\uDFFF, or any
# other backslash pair (consumed whole, so an escaped backslash never starts a match).
_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|\\.",
    re.DOTALL,
)
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]")


NOT_JSON = "Parse error: the line is not valid JSON ({}). Send one JSON-RPC 2.0 message per line."
NOT_JSONRPC = (
    "Invalid Request: the line is JSON but not a JSON-RPC 2.0 message. Send an object with"
    ' "jsonrpc": "2.0", a "method", "params" as an object and an "id" for requests.'
)


def not_initialized(method: str) -> str:
    return (
        f"Not initialized: this session has not been initialized yet, so {method} cannot run."
        " Send an initialize request first (then the notifications/initialized notification),"
        " as every MCP client does."
    )


def replace_lone_surrogates(line: str) -> tuple[str, int]:
    """`line` with every unpaired \\uD800-\\uDFFF escape turned into \\uFFFD; how many."""
    if not _SURROGATE_HINT.search(line):
        return line, 0
    replaced = 0

    def one(match: re.Match[str]) -> str:
        nonlocal replaced
        escape = match.group()
        if len(escape) == 6 and escape[1] == "u":  # a surrogate without its other half
            replaced += 1
            return "\\ufffd"
        return escape

    return _ESCAPE.sub(one, line), replaced


def repaired(line: str) -> str:
    """`line` with lone surrogate escapes replaced (lines too long to check pass as they are),
    and a warning in the log when any were."""
    if len(line) > CHECKED_LINE_CHARS:
        return line
    line, replaced = replace_lone_surrogates(line)
    if replaced:
        logger.warning(
            "replaced %d unpaired surrogate escape(s) (a string cut mid-emoji?) with U+FFFD",
            replaced,
        )
    return line


def bad_id_error(line: str) -> str | None:
    """Why a request's id is one JSON-RPC 2.0 does not allow (answer -32600), else None."""
    if '"id"' not in line:
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None  # the parse error is reported on its own
    if not isinstance(message, dict) or "id" not in message or "method" not in message:
        return None  # not a request (a response may carry id null)
    return bad_id(message["id"])


def bad_id(request_id: object) -> str | None:
    """Why `request_id` is not a JSON-RPC 2.0 id of a request, else None. (The spec allows
    null but discourages it; a null id cannot be told from a notification's answer, and the SDK
    never answered one, so it gets this error.)"""
    if isinstance(request_id, str):
        return None
    if isinstance(request_id, int) and not isinstance(request_id, bool):
        return None
    if isinstance(request_id, float) and request_id.is_integer():
        return None  # 1.0: the SDK reads it as 1
    kind = {dict: "an object", list: "an array", bool: "a boolean", float: "a fraction",
            type(None): "null"}  # fmt: skip
    got = kind.get(type(request_id), type(request_id).__name__)
    return (
        f'Invalid Request: "id" must be a string or an integer (JSON-RPC 2.0), got {got};'
        " the request was not run. Resend it with a string or integer id."
    )


@contextlib.contextmanager
def claimed_stdin() -> Iterator[TextIO]:
    """The protocol's stdin as text, with fd 0 pointing at the null device meanwhile (a
    child process or a library reading stdin gets EOF, not protocol bytes)."""
    if sys.platform == "win32":
        wire = os.dup(0)
    else:
        import fcntl

        wire = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        yield open(wire, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    finally:
        # The reader thread may still be blocked on `wire`: put it back, never close it.
        os.dup2(wire, 0)
