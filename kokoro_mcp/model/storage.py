"""How install steps touch the disk: a file's checksum and swapping a finished folder in."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

_BLOCK = 1 << 20


def sha256_of(path: Path) -> str:
    """The file's sha256 as hex, read in blocks (the model is ~90 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def replace_dir(staging: Path, target: Path) -> None:
    """Move the finished `staging` folder to `target` (same file system).

    An existing target is renamed aside first and deleted only once `staging` stands in its
    place, so a reader sees the old folder or the new one, never a half-written one; if the
    second rename fails the old folder is put back.
    """
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(retired, ignore_errors=True)
    target.rename(retired)
    try:
        staging.rename(target)
    except OSError:
        retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
