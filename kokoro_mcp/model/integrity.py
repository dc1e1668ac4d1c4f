"""Check an installed model folder against its manifest while the model is already in use.

Start-up only checks cheap facts (files present, the base graph's size). A flipped byte in the
middle of a graph changes the audio without failing anything, so once the model has loaded
a background thread hashes every file the manifest lists (~185 MB, about a second of one
core; on Linux at the lowest CPU priority, so speech keeps the cores it needs) and keeps the
verdict for `status` and `doctor`. Speech goes on meanwhile: a damaged file is reported, not
enforced.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Literal

from kokoro_mcp.model.layout import MANIFEST_NAME
from kokoro_mcp.model.paths import INSTALL_COMMAND

logger = logging.getLogger(__name__)

CheckState = Literal["pending", "checking", "ok", "mismatch", "skipped", "failed"]
LOWEST_PRIORITY = 19
SHOWN_PROBLEMS = 3


def describe_problems(root: Path, problems: list[str]) -> str:
    """One line: what differs (the first few) and the command that repairs it."""
    shown = "; ".join(problems[:SHOWN_PROBLEMS])
    if len(problems) > SHOWN_PROBLEMS:
        shown += f"; and {len(problems) - SHOWN_PROBLEMS} more"
    return (
        f"the model files in {root} differ from what was installed ({shown}); speech may"
        f" sound wrong. Repair with `{INSTALL_COMMAND} --force`."
    )


class IntegrityCheck:
    """One background verification of `root` against its manifest. Thread-safe to read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state: CheckState = "pending"
        self.problem: str | None = None  # one line with the repair command, when not ok
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin checking on a daemon thread (once); returns at once."""
        if self._thread is not None:
            return
        if not (self.root / MANIFEST_NAME).is_file():
            # kokoro-onnx's own files come without a manifest: nothing to compare with.
            self.state = "skipped"
            self._done.set()
            return
        self.state = "checking"
        self._thread = threading.Thread(target=self._run, name="kokoro-model-check", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """True once a verdict is in (or there was nothing to check)."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        _lower_this_threads_priority()
        try:
            from kokoro_mcp.model.install import verify_model_dir

            problems = verify_model_dir(self.root)
        except Exception as error:  # an unreadable file is a finding, not a crash
            logger.warning("model check of %s failed: %s", self.root, error)
            self.problem = (
                f"could not check the model files in {self.root} ({error}). Repair with"
                f" `{INSTALL_COMMAND} --force`."
            )
            self.state = "failed"
        else:
            if problems:
                self.problem = describe_problems(self.root, problems)
                self.state = "mismatch"
                logger.warning("%s", self.problem)
            else:
                self.state = "ok"
                logger.info("model files in %s match their manifest", self.root)
        finally:
            self._done.set()


def _lower_this_threads_priority() -> None:
    # Linux applies setpriority() to one thread when given its id: the hashing then only
    # uses a core that speech leaves idle. Elsewhere it would renice the whole process.
    if sys.platform != "linux":
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except OSError as error:
        logger.debug("could not lower the model check's priority: %s", error)
