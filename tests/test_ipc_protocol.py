"""Errors cross the daemon's socket as the class the daemon raised, so a client can tell a
refused voice (exit 2) from a failure (exit 1)."""

from __future__ import annotations

import pytest

from kokoro_mcp.errors import (
    AudioDeviceError,
    InvalidInputError,
    KokoroError,
    QueueFullError,
    UnknownVoiceError,
)
from kokoro_mcp.ipc.protocol import error_from_wire, failure


@pytest.mark.parametrize(
    "error",
    [
        UnknownVoiceError("unknown voice 'nobody'"),
        InvalidInputError("text is empty"),
        QueueFullError("the queue is full"),
        AudioDeviceError("no output device"),
    ],
)
def test_each_error_crosses_the_socket_as_its_own_class(error: KokoroError) -> None:
    payload = failure(7, error)["error"]
    received = error_from_wire(payload)
    assert type(received) is type(error) and str(received) == str(error)


def test_an_error_type_from_another_release_keeps_its_message() -> None:
    older = error_from_wire({"type": "invalid_input", "message": "unknown voice 'nobody'"})
    assert type(older) is InvalidInputError  # what a daemon before "unknown_voice" sends
    newer = error_from_wire({"type": "something_new", "message": "a new kind of failure"})
    assert type(newer) is KokoroError and str(newer) == "a new kind of failure"
