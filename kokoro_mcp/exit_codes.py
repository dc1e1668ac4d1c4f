"""How the programs end: exit codes, and what to do when stdout's reader has gone."""

from __future__ import annotations

import contextlib
import os

from kokoro_mcp.errors import KokoroError, UnknownVoiceError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports after Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: how other Unix tools end in `... | head -1`

STDOUT_FD = 1


def exit_code_for(error: KokoroError) -> int:
    """A voice the model lacks is the command line's fault (as a bad --speed is): usage.
    Everything else that failed is a failure."""
    return EXIT_USAGE if isinstance(error, UnknownVoiceError) else EXIT_FAILURE


def reader_gone() -> int:
    """stdout's reader closed the pipe (`kk status --json | head -1`): end quietly.

    Python flushes stdout again at exit, which would fail again and print a traceback; with
    fd 1 pointing at /dev/null that flush has somewhere to go.
    """
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, STDOUT_FD)
        os.close(devnull)
    return EXIT_BROKEN_PIPE
