"""Stream audio chunks into a 16-bit mono WAV without holding the whole utterance.

The header goes out first, with "unknown length" sizes (0xFFFFFFFF, what streaming WAV
readers expect from a pipe); on a seekable file the sizes are patched in at the end.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from kokoro_mcp.engine.base import SAMPLE_RATE, AudioArray
from kokoro_mcp.errors import OutputFileError
from kokoro_mcp.output_path import (
    AtomicFile,
    OutputTarget,
    check_output_path,
    describe_os_error,
)

UNKNOWN_SIZE = 0xFFFFFFFF
HEADER_BYTES = 44
_SAMPLE_BYTES = 2


def to_pcm16(samples: AudioArray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def wav_header(rate: int, data_bytes: int | None) -> bytes:
    """A 44-byte PCM header; `data_bytes=None` (or too big for RIFF) says "unknown length"."""
    if data_bytes is None or data_bytes > UNKNOWN_SIZE - (HEADER_BYTES - 8):
        riff_size = data_size = UNKNOWN_SIZE
    else:
        riff_size, data_size = HEADER_BYTES - 8 + data_bytes, data_bytes
    return b"".join(
        (
            b"RIFF",
            struct.pack("<I", riff_size),
            b"WAVEfmt ",
            struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * _SAMPLE_BYTES, _SAMPLE_BYTES, 16),
            b"data",
            struct.pack("<I", data_size),
        )
    )


class WavStream:
    """Writes a WAV to an open binary file: header now, samples as they come, sizes at the
    end when the file is seekable (else the streaming header stays). Write failures raise
    OutputFileError naming `shown` (the path as the user gave it)."""

    def __init__(
        self, out: BinaryIO, shown: str, rate: int = SAMPLE_RATE, *, seekable: bool
    ) -> None:
        self.out = out
        self.shown = shown
        self.rate = rate
        self.seekable = seekable
        self.frames = 0
        with self._reporting():
            self._start = out.tell() if seekable else 0
            out.write(wav_header(rate, None))
            out.flush()  # a reader on a pipe can set up its decoder before the first chunk

    def write(self, samples: AudioArray) -> None:
        with self._reporting():
            self.out.write(to_pcm16(samples))
            self.out.flush()
        self.frames += len(samples)

    def finish(self) -> float:
        """Patch the sizes (seekable files); return the seconds written."""
        with self._reporting():
            if self.seekable:
                end = self.out.tell()
                self.out.seek(self._start)
                self.out.write(wav_header(self.rate, self.frames * _SAMPLE_BYTES))
                self.out.seek(end)
            self.out.flush()
        return self.frames / self.rate

    @contextlib.contextmanager
    def _reporting(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise OutputFileError(describe_os_error(self.shown, error)) from None


def stream_wav(
    out: BinaryIO,
    shown: str,
    chunks: Iterable[AudioArray],
    *,
    seekable: bool,
    rate: int = SAMPLE_RATE,
) -> float:
    """Write every chunk to `out` as it arrives; return the seconds written."""
    stream = WavStream(out, shown, rate, seekable=seekable)
    for samples in chunks:
        stream.write(samples)
    return stream.finish()


def write_wav(
    path: Path | OutputTarget,
    chunks: Iterable[AudioArray],
    rate: int = SAMPLE_RATE,
    *,
    overwrite: bool = True,
) -> float:
    """Write a WAV file atomically, refusing what isn't a plain file (see output_path);
    failures raise OutputFileError with one line and leave nothing behind. The temporary
    file exists before the first chunk is asked for, so an unwritable folder fails at once.
    `overwrite=False` never replaces a file that appeared at the target meanwhile."""
    target = path if isinstance(path, OutputTarget) else check_output_path(path)
    with AtomicFile(target) as atomic:
        seconds = stream_wav(atomic.file, target.shown, chunks, seekable=True, rate=rate)
        atomic.commit(overwrite=overwrite)
    return seconds
