"""One small tree of errors; every message says what failed and what to do about it.

```
KokoroError                       errors.py
├── InvalidInputError             also a ValueError: an argument or setting we cannot use
│   ├── UnknownVoiceError         no such voice in the installed model
│   ├── BlendError                voice_blend.py: a malformed voice name or blend
│   ├── UnsupportedLanguageError  the voice's language has no G2P here
│   └── ConfigError               config.py: a KOKORO_MCP_* variable or flag
├── ModelError                    the model folder is missing, incomplete or corrupt
│   └── ProvisioningError         assembling it from the package registries failed
├── AudioDeviceError              no usable output device, or it went away
│   └── DeviceUnavailable         audio/devices.py: with `problem` and `hint` apart
├── QueueFullError                the queue is at its configured bound
├── SynthesisInterrupted          a model call abandoned because its speech was stopped
├── OutputFileError               an output path we must not or could not write
├── SettingsFileError             hooks/settings.py: Claude Code's settings.json unusable
├── RuntimeDirError               ipc/paths.py: the daemon's private folder is not private
├── DaemonRunningError            daemon/process.py: another daemon holds the lock
└── DaemonError                   ipc/protocol.py: the daemon cannot be reached or started
    ├── DaemonNotRunning          ipc/connection.py: nobody listens on the socket
    ├── DaemonGoneError           the connection closed before the answer came
    └── ProtocolError             a message that does not follow the protocol
```

The CLI prints one as a single line and exits 1 (with `--debug`, the traceback and, through
`raise ... from error`, its cause); MCP tools return it as an `isError` result. See
docs/design.md, "Errors".
"""

from __future__ import annotations


class KokoroError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidInputError(KokoroError, ValueError):
    """A caller passed an argument we cannot use (text, voice, speed, mode...)."""


class UnknownVoiceError(InvalidInputError):
    """The requested voice does not exist in the installed model."""


class UnsupportedLanguageError(InvalidInputError):
    """The voice's language has no grapheme-to-phoneme support here."""


class ModelError(KokoroError):
    """The model folder is missing, incomplete or corrupt."""


class ProvisioningError(ModelError):
    """Assembling the model from package registries failed."""


class OutputFileError(KokoroError):
    """An output path we must not or could not write (folder, device, full disk...)."""


class AudioDeviceError(KokoroError):
    """No usable audio output device (or it went away)."""


class QueueFullError(KokoroError):
    """The speech queue is at its configured bound."""


class SynthesisInterrupted(KokoroError):
    """A model call was abandoned because its speech was stopped or preempted."""
