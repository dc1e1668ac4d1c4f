"""Finding and opening the output device through sounddevice/PortAudio, with errors that say
what to do. Only the audio thread calls these (PortAudio is not re-entrant across threads)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from kokoro_mcp.errors import AudioDeviceError

logger = logging.getLogger(__name__)

NO_DEVICE_HINT = (
    "Start the sound server (PulseAudio or PipeWire) or connect an output device: playback"
    " starts by itself once one appears. To write speech to a file instead, use"
    " `kokoro-mcp say --output FILE.wav`."
)
NAMED_DEVICE_HINT = (
    "List devices with `python -m sounddevice` and pass one of those names or numbers, or leave"
    " the device unset to use the system default."
)
PORTAUDIO_HINT = (
    "Install PortAudio: `apt-get install libportaudio2` (Debian/Ubuntu),"
    " `brew install portaudio` (macOS)."
)

_sounddevice: ModuleType | None = None


class DeviceUnavailable(AudioDeviceError):
    """No usable output: `problem` says what is wrong, `hint` what to do about it."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(f"{problem}. {hint}")
        self.problem = problem
        self.hint = hint


def load_sounddevice() -> ModuleType:
    """Import sounddevice once (importing initializes PortAudio, so do it on the audio thread)."""
    global _sounddevice
    if _sounddevice is None:
        try:
            import sounddevice
        except OSError as exc:  # the PortAudio shared library is missing
            raise DeviceUnavailable(f"PortAudio is not available ({exc})", PORTAUDIO_HINT) from exc
        _sounddevice = sounddevice
    return _sounddevice


def reinitialize() -> None:
    """Re-scan devices. PortAudio lists devices once at initialization, so a device (or sound
    server) that appears later is invisible until PortAudio is terminated and initialized again.
    Closes every open stream: call only when ours is closed."""
    sd = load_sounddevice()
    try:
        sd._terminate()
    except Exception as exc:  # an already-terminated library is fine
        logger.debug("PortAudio terminate: %s", exc)
    sd._initialize()


def describe_output(device: str | int | None) -> str:
    """Name of the output device `device` resolves to, or raise DeviceUnavailable."""
    sd = load_sounddevice()
    try:
        info: Any = sd.query_devices(device, kind="output")
    except (ValueError, sd.PortAudioError) as exc:
        if device is None:
            raise DeviceUnavailable(
                f"no audio output device found ({exc})", NO_DEVICE_HINT
            ) from exc
        raise DeviceUnavailable(
            f"audio output device {device!r} is not available ({exc})", NAMED_DEVICE_HINT
        ) from exc
    if int(info.get("max_output_channels", 0)) < 1:
        raise DeviceUnavailable(
            f"device {info.get('name')!r} has no output channels", NAMED_DEVICE_HINT
        )
    try:
        hostapi = sd.query_hostapis(int(info["hostapi"]))["name"]
    except Exception:  # the host API name is decoration
        hostapi = ""
    name = str(info.get("name", "?"))
    return f"{name} ({hostapi})" if hostapi else name


def open_output_stream(
    device: str | int | None,
    *,
    sample_rate: int,
    latency: float | str,
    blocksize: int,
    callback: Callable[..., None],
    finished_callback: Callable[[], None],
) -> Any:
    """Open (not start) a mono float32 callback stream, or raise DeviceUnavailable."""
    sd = load_sounddevice()
    try:
        return sd.OutputStream(
            samplerate=sample_rate,
            channels=1,
            dtype="float32",
            device=device,
            latency=latency,
            blocksize=blocksize,
            callback=callback,
            finished_callback=finished_callback,
        )
    except (ValueError, sd.PortAudioError) as exc:
        hint = NO_DEVICE_HINT if device is None else NAMED_DEVICE_HINT
        raise DeviceUnavailable(f"could not open the audio output ({exc})", hint) from exc
