"""save_speech's folder and file names: speech is written into one configured folder, never
outside it.

The folder is a setting (KOKORO_MCP_OUTPUT_DIR); by default `kokoro-mcp` in the user's music
folder when there is one, else `speech` in this app's data folder. A caller (a language model)
only names a file: a plain name, no folder part, no `..`, no hidden or control characters,
ending in .wav (added when missing). The name is joined to the folder's real path, an existing
entry must be a plain file (a symlink, even one pointing back inside, is refused: nothing is
written through links) and is replaced only with `overwrite`. The writing itself is
output_path's: an exclusively created temporary file renamed into place, or linked into place
when nothing may be replaced, so a file or link planted meanwhile is never overwritten or
followed.
"""

from __future__ import annotations

import datetime
import os
import re
import stat
from pathlib import Path

from kokoro_mcp.arguments import MAX_FILE_NAME_CHARS
from kokoro_mcp.errors import InvalidInputError, OutputFileError
from kokoro_mcp.model.paths import APP_NAME, user_data_dir
from kokoro_mcp.output_path import OutputTarget, describe_os_error, refuse_kind

WAV_SUFFIX = ".wav"
DATA_SUBFOLDER = "speech"
_USER_DIRS_LINE = re.compile(r'^\s*XDG_MUSIC_DIR\s*=\s*"(?P<path>[^"]*)"\s*$', re.MULTILINE)
_NAME_EXAMPLE = "summary.wav"


def music_dir() -> Path | None:
    """The user's music folder if it exists: $XDG_MUSIC_DIR, the user-dirs.dirs entry, or
    ~/Music (the macOS and Windows name too)."""
    candidates: list[str] = []
    from_env = os.environ.get("XDG_MUSIC_DIR", "").strip()
    if from_env:
        candidates.append(from_env)
    config = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    try:
        text = (Path(config) / "user-dirs.dirs").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    match = _USER_DIRS_LINE.search(text)
    if match:
        candidates.append(match["path"].replace("$HOME", str(Path.home())))
    candidates.append(str(Path.home() / "Music"))
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if path.is_absolute() and path.is_dir() and path.resolve() != Path.home().resolve():
            return path
    return None


def default_output_dir() -> Path:
    music = music_dir()
    return music / APP_NAME if music is not None else user_data_dir() / DATA_SUBFOLDER


def output_dir(configured: Path | None) -> Path:
    """The folder save_speech writes into (the setting, else the default); not created."""
    return (configured if configured is not None else default_output_dir()).expanduser()


def default_file_name(now: datetime.datetime | None = None) -> str:
    moment = now or datetime.datetime.now()
    return f"speech-{moment:%Y%m%d-%H%M%S-%f}"[:-3] + WAV_SUFFIX


def check_file_name(raw: str | None) -> str:
    """A safe file name for the folder (".wav" added when missing); InvalidInputError in one
    sentence otherwise. Nothing here touches the disk."""
    if raw is None:
        return default_file_name()
    name = raw.strip()
    rule = (
        f"give a plain file name such as {_NAME_EXAMPLE}: it is saved in the speech folder,"
        " so no folders, no '..', no leading dot"
    )
    if not name:
        raise InvalidInputError(f"file_name is empty; {rule}.")
    if "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        raise InvalidInputError(f"file_name {name[:60]!r} has a folder part; {rule}.")
    if name in (".", "..") or name.startswith("."):
        raise InvalidInputError(f"file_name {name[:60]!r} starts with a dot; {rule}.")
    if any(not char.isprintable() for char in name):
        raise InvalidInputError(f"file_name has control characters; {rule}.")
    if ":" in name:  # a drive or stream name on Windows
        raise InvalidInputError(f"file_name {name[:60]!r} contains ':'; {rule}.")
    suffix = Path(name).suffix.lower()
    if suffix and suffix != WAV_SUFFIX and suffix.lstrip(".").isalnum() and len(suffix) <= 5:
        raise InvalidInputError(
            f"file_name {name[:60]!r} asks for {suffix} audio; only WAV is written, so end the"
            f" name in .wav, e.g. {_NAME_EXAMPLE} (or leave the ending out)."
        )
    if suffix != WAV_SUFFIX:
        name += WAV_SUFFIX
    if len(name) > MAX_FILE_NAME_CHARS:
        raise InvalidInputError(
            f"file_name is {len(name)} characters; use at most {MAX_FILE_NAME_CHARS}."
        )
    return name


def prepare_folder(folder: Path) -> Path:
    """The folder's real path, created (with parents) when missing; OutputFileError when it
    is not a usable folder."""
    shown = str(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        real = Path(os.path.realpath(folder))
        status = os.stat(real)
    except OSError as error:
        raise OutputFileError(
            f"{describe_os_error(shown, error)} (the speech folder; set KOKORO_MCP_OUTPUT_DIR"
            " to another)"
        ) from None
    if not stat.S_ISDIR(status.st_mode):
        raise OutputFileError(
            f"cannot write into {shown}: it is not a folder; set KOKORO_MCP_OUTPUT_DIR to a folder"
        )
    return real


def save_target(folder: Path, file_name: str, overwrite: bool) -> OutputTarget:
    """Where to write `file_name` in `folder` (its real path), checked; raises
    OutputFileError saying why not. Nothing is written here."""
    path = folder / file_name
    if path.parent != folder or Path(os.path.normpath(path)).parent != folder:
        raise OutputFileError(f"cannot write {file_name}: it would land outside {folder}")
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return OutputTarget(file_name, path)
    except OSError as error:
        raise OutputFileError(describe_os_error(file_name, error)) from None
    if stat.S_ISLNK(status.st_mode):
        raise OutputFileError(
            f"cannot write {file_name}: it is a symbolic link in the speech folder and links"
            " are never written through; choose another name"
        )
    refuse_kind(file_name, path, status)
    if not overwrite:
        raise OutputFileError(
            f"cannot write {file_name}: a file of that name already exists in {folder}; pass"
            " overwrite=true to replace it, or choose another name"
        )
    return OutputTarget(file_name, path, stat.S_IMODE(status.st_mode))
