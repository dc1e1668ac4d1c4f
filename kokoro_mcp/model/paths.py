"""The per-user model folder: XDG data dir on Linux, Application Support on macOS."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "kokoro-mcp"
MODEL_DIR_ENV = "KOKORO_MCP_MODEL_DIR"
INSTALL_COMMAND = "kokoro-mcp model install"


def user_data_dir() -> Path:
    """The platform's per-user data folder for this app."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base_dir / APP_NAME


def default_model_dir() -> Path:
    return user_data_dir() / "model"


def resolve_model_dir(explicit: Path | None = None) -> Path:
    """A flag wins over $KOKORO_MCP_MODEL_DIR, which wins over the per-user default."""
    if explicit is not None:
        return explicit.expanduser()
    from_env = os.environ.get(MODEL_DIR_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return default_model_dir()
