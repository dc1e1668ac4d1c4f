"""Where audio may be written, and writing it there without harming anything else.

A path given by a user (`say -o PATH`, later an MCP save tool) is checked before any work:
only a new or existing plain file in an existing folder is accepted. Folders, device nodes,
FIFOs, sockets, symbolic links and anything under /proc, /sys or /dev are refused with one
line that says why, and nothing is touched. `-` means standard output.

Accepted files are written atomically: the data goes to a new file beside the target, created
with O_EXCL under a random name (a planted symlink can neither be followed nor guessed), and
is renamed over the target only when complete. Any failure removes that file, so a full disk
or a permission problem never leaves a half-written WAV or a stray temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kokoro_mcp.errors import OutputFileError

STDOUT = "-"
# Kernel and device trees: a "file" there is an interface, never a place for audio.
SYSTEM_TREES = ("/proc", "/sys", "/dev")
_TEMP_ATTEMPTS = 16
_NAME_IN_TEMP = 80  # keep the temporary name within NAME_MAX even for long target names

_REASONS = {
    errno.ENOSPC: "the disk is full (no space left on device); free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is exceeded; free some space or write elsewhere",
    errno.EACCES: "permission denied; write to a folder you own",
    errno.EPERM: "the operation is not permitted there (permissions or file attributes);"
    " write to a folder you own",
    errno.EROFS: "the file system is read-only; write somewhere else",
    errno.EFBIG: "the file grew beyond what the file system or this process may write",
    errno.ENAMETOOLONG: "the file name is too long; use a shorter one",
    errno.EISDIR: "it is a folder; give a file name inside it",
    errno.EPIPE: "the reader closed the pipe before the audio was complete",
}


@dataclass(frozen=True)
class OutputTarget:
    """A checked place to write: a file path, or standard output (`path` is None)."""

    shown: str  # the path as the user gave it, for messages
    path: Path | None
    mode: int | None = None  # permission bits of the file being replaced, if any

    @property
    def is_stdout(self) -> bool:
        return self.path is None


def describe_os_error(shown: str, error: OSError) -> str:
    """One line naming the path and the problem, from an OSError of any origin."""
    reason = _REASONS.get(error.errno or 0) or (error.strerror or str(error)).lower()
    return f"cannot write {shown}: {reason}"


def check_output_path(raw: str | os.PathLike[str]) -> OutputTarget:
    """Return where to write `raw`, or raise OutputFileError saying why not (nothing changed)."""
    shown = os.fspath(raw)
    if shown == STDOUT:
        return OutputTarget(shown, None)
    if not shown or "\0" in shown:
        raise OutputFileError(f"cannot write {shown!r}: give a file name such as speech.wav")
    absolute = Path(os.path.abspath(shown))  # symlinks in the folder part resolved below
    folder = absolute.parent
    resolved = Path(os.path.realpath(folder)) / absolute.name
    for candidate in (absolute, resolved):
        tree = _system_tree(candidate)
        if tree is not None:
            raise OutputFileError(
                f"cannot write {shown}: it is under {tree}, which holds devices and kernel"
                " interfaces, not files; write to a normal folder, or use -o - for stdout"
            )
    _check_folder(shown, folder)
    try:
        status = os.lstat(absolute)
    except FileNotFoundError:
        return OutputTarget(shown, absolute)
    except OSError as error:
        raise OutputFileError(describe_os_error(shown, error)) from None
    refuse_kind(shown, absolute, status)
    return OutputTarget(shown, absolute, stat.S_IMODE(status.st_mode))


def refuse_kind(shown: str, path: Path, status: os.stat_result) -> None:
    """Raise unless `status` (from lstat) is a plain file we may replace."""
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        target = os.readlink(path)
        raise OutputFileError(
            f"cannot write {shown}: it is a symbolic link (to {target}) and links are not"
            " written through; remove it, or give the file it points to"
        )
    if stat.S_ISDIR(mode):
        raise OutputFileError(
            f"cannot write {shown}: it is a folder; give a file name inside it, e.g."
            f" {os.path.join(shown, 'speech.wav')}"
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise OutputFileError(
            f"cannot write {shown}: it is a device, not a file; give a file name, or use -o -"
            " to send the WAV to stdout"
        )
    if stat.S_ISFIFO(mode):
        raise OutputFileError(
            f"cannot write {shown}: it is a named pipe (FIFO); to pipe the audio, use -o -"
            " and redirect stdout"
        )
    if stat.S_ISSOCK(mode):
        raise OutputFileError(f"cannot write {shown}: it is a socket, not a file")
    raise OutputFileError(f"cannot write {shown}: it is not a plain file")


def _system_tree(path: Path) -> str | None:
    if os.name != "posix":
        return None
    text = str(path)
    for tree in SYSTEM_TREES:
        if text == tree or text.startswith(tree + "/"):
            return tree
    return None


def _check_folder(shown: str, folder: Path) -> None:
    try:
        status = folder.stat()
    except FileNotFoundError:
        raise OutputFileError(f"cannot write {shown}: folder {folder} does not exist") from None
    except NotADirectoryError:
        raise OutputFileError(
            f"cannot write {shown}: {folder} is not a folder (a file is in the way)"
        ) from None
    except OSError as error:
        raise OutputFileError(describe_os_error(shown, error)) from None
    if not stat.S_ISDIR(status.st_mode):
        raise OutputFileError(f"cannot write {shown}: {folder} is not a folder")
    # Whether the folder takes new files is learnt by creating the temporary file (before
    # any synthesis): access() would call a read-only mount "permission denied".


class AtomicFile:
    """A new, exclusively created file beside `target`; `commit()` renames it into place.

    Leaving the `with` block without `commit()` (an error, Ctrl-C) removes the file.
    """

    def __init__(self, target: OutputTarget) -> None:
        if target.path is None:
            raise ValueError("AtomicFile needs a file target, not stdout")
        self.target = target
        self.path = target.path
        self.temp_path, fd = self._create()
        self.file: BinaryIO = os.fdopen(fd, "wb")
        self._committed = False

    def _create(self) -> tuple[Path, int]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        flags |= getattr(os, "O_BINARY", 0)
        # The replaced file's permissions, else 0666 less the umask (what `>` would give).
        mode = 0o666 if self.target.mode is None else self.target.mode
        stem = self.path.name[:_NAME_IN_TEMP]
        for _ in range(_TEMP_ATTEMPTS):
            temp = self.path.with_name(f".{stem}.{secrets.token_hex(6)}.partial")
            try:
                fd = os.open(temp, flags, mode)
            except FileExistsError:
                continue
            except OSError as error:
                raise OutputFileError(describe_os_error(self.target.shown, error)) from None
            if self.target.mode is not None and hasattr(os, "fchmod"):
                with contextlib.suppress(OSError):  # not every file system keeps modes
                    os.fchmod(fd, self.target.mode)
            return temp, fd
        raise OutputFileError(
            f"cannot write {self.target.shown}: could not create a temporary file beside it"
        )

    def commit(self, *, overwrite: bool = True) -> None:
        """Flush to disk and rename over the target (re-checked: it may have changed). With
        `overwrite=False` the file is linked into place instead, which fails rather than
        replace anything that appeared at the target meanwhile."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            with contextlib.suppress(FileNotFoundError):
                refuse_kind(self.target.shown, self.path, os.lstat(self.path))
            if overwrite or not self._link_into_place():
                os.replace(self.temp_path, self.path)
        except OSError as error:
            raise OutputFileError(describe_os_error(self.target.shown, error)) from None
        self._committed = True

    def _link_into_place(self) -> bool:
        """Hard-link the finished file to the target unless something is there; False where
        the file system has no hard links (then the caller's earlier check has to do)."""
        try:
            os.link(self.temp_path, self.path, follow_symlinks=False)
        except FileExistsError:
            raise OutputFileError(
                f"cannot write {self.target.shown}: a file of that name appeared while the"
                " audio was being made; it was left alone (pass overwrite to replace it)"
            ) from None
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            if os.path.lexists(self.path):
                raise FileExistsError(errno.EEXIST, "File exists", str(self.path)) from None
            return False
        os.unlink(self.temp_path)
        return True

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temp_path)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._committed:
            self.discard()


@dataclass(frozen=True)
class StdoutStream:
    """Standard output opened for binary data (the original fd 1, while a guard diverts it)."""

    file: BinaryIO
    seekable: bool  # a plain file not in append mode: the WAV header can be patched at the end


def open_stdout(fd: int) -> StdoutStream:
    """Wrap `fd` (the real stdout) for a WAV; refuse a terminal."""
    try:
        status = os.fstat(fd)
    except OSError:
        raise OutputFileError("cannot write to stdout: it is closed") from None
    if os.isatty(fd):
        raise OutputFileError(
            "not writing binary WAV data to a terminal: redirect stdout (-o - > speech.wav,"
            " or pipe it to a player), or give a file name"
        )
    seekable = stat.S_ISREG(status.st_mode) and not _appending(fd)
    return StdoutStream(os.fdopen(fd, "wb", closefd=False), seekable)


def _appending(fd: int) -> bool:
    if sys.platform == "win32":
        return False
    import fcntl

    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
