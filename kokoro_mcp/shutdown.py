"""Leaving a process that may have a thread inside native code.

The synthesis thread may be inside onnxruntime (loading or running the model) and cannot be
interrupted; letting the interpreter finalize around it aborts the process, and a blocked
read delays it. So once the audio is closed, servers end with `exit_now`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    """Flush logs and stdio, then end the process without finalizing worker threads."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
