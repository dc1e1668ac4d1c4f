"""Which output device the system calls its default, so the player can follow it.

PortAudio opens a concrete device. Where that device is a sound server's routing endpoint
(ALSA's `default` on Linux goes to PulseAudio/PipeWire, which move the stream to a new
default sink themselves) nothing is needed. On macOS, CoreAudio keeps a stream on the device
it was opened on: plugging in headphones or picking AirPods changes the default, and speech
would stay on the speakers. There the player asks CoreAudio for the default device's id and
reopens the stream when it changes (PortAudio must be re-initialized to see it). A probe is
any callable returning an identity of the current default (the tests use PulseAudio's default
sink name to drive the same code on Linux).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)

# An identity of the system's current default output; None when it can't be told.
DefaultOutputProbe = Callable[[], Hashable | None]


def _fourcc(code: bytes) -> int:
    return int.from_bytes(code, "big")


# CoreAudio's AudioHardware.h constants.
_SYSTEM_OBJECT = 1  # kAudioObjectSystemObject
_DEFAULT_OUTPUT_DEVICE = _fourcc(b"dOut")  # kAudioHardwarePropertyDefaultOutputDevice
_SCOPE_GLOBAL = _fourcc(b"glob")  # kAudioObjectPropertyScopeGlobal
_ELEMENT_MAIN = 0  # kAudioObjectPropertyElementMain


class _PropertyAddress(ctypes.Structure):
    _fields_ = [
        ("selector", ctypes.c_uint32),
        ("scope", ctypes.c_uint32),
        ("element", ctypes.c_uint32),
    ]


class CoreAudioDefaultOutput:
    """The AudioDeviceID of macOS's default output device, read through ctypes."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("CoreAudio")
        if path is None:
            raise OSError("the CoreAudio framework was not found (not macOS?)")
        library = ctypes.CDLL(path)
        self._get = library.AudioObjectGetPropertyData
        self._get.argtypes = [
            ctypes.c_uint32,
            ctypes.POINTER(_PropertyAddress),
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_uint32),
            ctypes.c_void_p,
        ]
        self._get.restype = ctypes.c_int32

    def __call__(self) -> int | None:
        address = _PropertyAddress(_DEFAULT_OUTPUT_DEVICE, _SCOPE_GLOBAL, _ELEMENT_MAIN)
        device = ctypes.c_uint32(0)
        size = ctypes.c_uint32(ctypes.sizeof(device))
        status = self._get(
            _SYSTEM_OBJECT, ctypes.byref(address), 0, None, ctypes.byref(size), ctypes.byref(device)
        )
        return int(device.value) if status == 0 else None


def system_probe() -> DefaultOutputProbe | None:
    """The probe this platform needs, or None where the default is followed already."""
    if sys.platform != "darwin":
        return None
    try:
        return CoreAudioDefaultOutput()
    except OSError as exc:
        logger.info("cannot watch the default output device: %s", exc)
        return None
