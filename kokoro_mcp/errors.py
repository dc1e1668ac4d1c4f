"""One small tree of errors; every message says what failed and what to do about it."""

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
