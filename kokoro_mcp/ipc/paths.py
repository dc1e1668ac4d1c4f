"""Where the daemon's files live: a private runtime folder (socket, locks) and a log file.

The runtime folder is `$XDG_RUNTIME_DIR/kokoro-mcp` where the session has one (already private
to the user), otherwise `kokoro-mcp-<uid>` in the temporary folder. Either way it must be a real
folder (not a symlink) owned by this user with no access for anyone else: another user who
could create it first could otherwise watch or impersonate the daemon.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from kokoro_mcp.errors import KokoroError

APP_NAME = "kokoro-mcp"
SOCKET_NAME = "daemon.sock"
LAUNCH_LOCK_NAME = "launch.lock"  # held by a client while it starts the daemon
DAEMON_LOCK_NAME = "daemon.lock"  # held by the daemon for its whole life
LOG_NAME = "daemon.log"
# sockaddr_un.sun_path holds 104 (macOS) to 108 (Linux) bytes including the final NUL.
MAX_SOCKET_PATH_BYTES = 103


class RuntimeDirError(KokoroError):
    """The private runtime folder cannot be created or is not private."""


def runtime_dir() -> Path:
    """The folder for the socket and locks (not created here)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if xdg and os.path.isabs(xdg) and os.path.isdir(xdg):
        return Path(xdg) / APP_NAME
    import tempfile  # only here: it costs `kk status` a few ms

    return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"


def ensure_runtime_dir() -> Path:
    """Create the runtime folder 0700 if needed and check that only this user can use it."""
    path = runtime_dir()
    try:
        path.mkdir(mode=0o700, parents=False, exist_ok=True)
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as error:
        raise RuntimeDirError(
            f"cannot create the daemon's folder {path}: {error.strerror}. Set XDG_RUNTIME_DIR to"
            " a writable private folder, or run without the daemon (--no-daemon)"
        ) from error
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeDirError(
            f"{path} is not a folder (a symlink or file is in the way); remove it and try again"
        )
    if info.st_uid != os.getuid():
        raise RuntimeDirError(
            f"{path} belongs to another user (uid {info.st_uid}); remove it or set"
            " XDG_RUNTIME_DIR to a private folder of yours"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def socket_path() -> Path:
    path = runtime_dir() / SOCKET_NAME
    if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
        raise RuntimeDirError(
            f"the daemon's socket path {path} is longer than a Unix socket allows; set"
            " XDG_RUNTIME_DIR to a shorter folder"
        )
    return path


def launch_lock_path() -> Path:
    return runtime_dir() / LAUNCH_LOCK_NAME


def daemon_lock_path() -> Path:
    return runtime_dir() / DAEMON_LOCK_NAME


def log_dir() -> Path:
    """~/Library/Logs/kokoro-mcp on macOS, $XDG_STATE_HOME/kokoro-mcp (~/.local/state) elsewhere."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "state"
    return base / APP_NAME


def log_path() -> Path:
    return log_dir() / LOG_NAME
