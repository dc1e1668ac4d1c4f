"""The MCP Inspector CLI, pinned in tools/inspector and installed with npm on first use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INSPECTOR_DIR = REPO / "tools" / "inspector"
INSPECTOR = INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"


def inspector_cli() -> Path:
    if not INSPECTOR.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the MCP Inspector: apt-get install npm (Node >= 20)"
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"], cwd=INSPECTOR_DIR, check=True, timeout=600
        )
    assert INSPECTOR.exists(), f"npm install did not provide {INSPECTOR}"
    return INSPECTOR
