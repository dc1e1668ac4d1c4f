"""`kokoro-mcp hook install claude-code`: add (or with --uninstall remove) our hooks in Claude
Code's settings.json, keeping every other setting and hook as it was.

Idempotent (a second install changes nothing), careful (a malformed file is refused untouched;
the original is saved beside it first; the file is replaced atomically), and reversible:
uninstalling removes exactly what was added, and gives back the original bytes when nothing
else changed meanwhile.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from kokoro_mcp.errors import KokoroError

EVENTS = ("Stop", "Notification")
MARKER = "kokoro_mcp hook claude-code"  # how our command is recognised
HOOK_TIMEOUT = 10  # seconds Claude Code allows; we hand over in well under one
BACKUP_SUFFIX = ".kokoro-mcp.bak"


class SettingsFileError(KokoroError):
    """Claude Code's settings file cannot be read or written safely."""


def hook_command() -> str:
    """The command the hooks run: this interpreter, so PATH does not matter."""
    return f"{shlex.quote(sys.executable)} -m {MARKER}"


def settings_path(scope: str, cwd: Path | None = None) -> Path:
    """~/.claude/settings.json (user) or .claude/settings.json in `cwd` (project)."""
    if scope == "project":
        return (cwd or Path.cwd()) / ".claude" / "settings.json"
    return Path.home() / ".claude" / "settings.json"


def install(path: Path, *, command: str | None = None) -> str:
    """Add our Stop and Notification hooks; returns what was done, in a sentence."""
    original, data = _read(path)
    command = command or hook_command()
    hooks = data.setdefault("hooks", {})
    added = []
    for event in EVENTS:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise SettingsFileError(f"{path}: hooks.{event} is not a list; fix it and try again")
        if any(_is_ours(hook) for group in groups for hook in _hooks_of(group)):
            continue
        groups.append({"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]})
        added.append(event)
    if not added:
        return f"already installed in {path}"
    if original is not None:
        _backup(path).write_bytes(original)
    _write(path, data)
    return f"added {', '.join(added)} hooks to {path}"


def uninstall(path: Path) -> str:
    """Remove exactly the hooks `install` added."""
    original, data = _read(path)
    if original is None:
        return f"nothing to remove: {path} does not exist"
    hooks = data.get("hooks")
    removed = 0
    if isinstance(hooks, dict):
        for event in list(hooks):
            groups = hooks[event]
            if not isinstance(groups, list):
                continue
            kept_groups = []
            for group in groups:
                inner = _hooks_of(group)
                ours = [hook for hook in inner if _is_ours(hook)]
                removed += len(ours)
                if ours and len(ours) == len(inner):
                    continue  # a group we added
                if ours:
                    group["hooks"] = [hook for hook in inner if not _is_ours(hook)]
                kept_groups.append(group)
            if kept_groups or not groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
        if not hooks:
            del data["hooks"]
    if not removed:
        return f"no kokoro-mcp hooks in {path}"
    backup = _backup(path)
    if backup.exists() and _parse(backup.read_bytes(), backup) == data:
        _replace(path, backup.read_bytes())  # nothing else changed: the original bytes back
        backup.unlink()
    elif not data and not backup.exists():
        path.unlink()  # we created the file: leave no empty one behind
    else:
        _write(path, data)
    return f"removed {removed} kokoro-mcp hook{'s' if removed != 1 else ''} from {path}"


def _read(path: Path) -> tuple[bytes | None, dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except OSError as error:
        raise SettingsFileError(f"cannot read {path}: {error.strerror}") from None
    return raw, _parse(raw, path)


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SettingsFileError(
            f"{path} is not valid JSON ({error}); fix it or move it away, then run this again."
            " Nothing was changed."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("hooks", {}), dict):
        raise SettingsFileError(
            f'{path} does not look like Claude Code settings (an object with a "hooks"'
            " object); nothing was changed"
        )
    return data


def _hooks_of(group: Any) -> list[Any]:
    inner = group.get("hooks") if isinstance(group, dict) else None
    return inner if isinstance(inner, list) else []


def _is_ours(hook: Any) -> bool:
    return isinstance(hook, dict) and MARKER in str(hook.get("command", ""))


def _backup(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def _write(path: Path, data: dict[str, Any]) -> None:
    _replace(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def _replace(path: Path, content: bytes) -> None:
    """Write a temporary file beside `path`, then rename it over (never a half-written file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except OSError as error:
        raise SettingsFileError(f"cannot write {path}: {error.strerror}") from None
