"""Stack traces: only the error line is worth saying.

Python's traceback ends with its error line; JavaScript and Java put it before the `at ...`
frames. Used on code blocks; markdown.py takes traces out of plain text the same way.
"""

from __future__ import annotations

import re

_TRACEBACK_START = re.compile(r"\s*Traceback \(most recent call last\):\s*$")
_JS_FRAME = re.compile(r"\s+at\s+\S.*(?:\)|:\d+)\s*$|\s+\.\.\. \d+ more\s*$")
_PY_FRAME = re.compile(r'\s*File "[^"\n]{1,500}", line \d+')
TRACEBACK_START = _TRACEBACK_START
FRAME = re.compile(f"{_JS_FRAME.pattern}|{_PY_FRAME.pattern}")


def trace_error_line(lines: list[str]) -> str | None:
    """The line worth saying from a stack trace: Python's last unindented line after the
    traceback header, or the line before JavaScript/Java `at ...` frames; None if no trace."""
    error: str | None = None
    in_python = False
    for index, line in enumerate(lines):
        if _TRACEBACK_START.match(line):
            in_python = True
            continue
        if in_python and line.strip() and not line[:1].isspace() and not _PY_FRAME.match(line):
            error = line.strip()
            in_python = False
        elif _JS_FRAME.match(line) and index > 0 and lines[index - 1].strip():
            previous = lines[index - 1]
            if not _JS_FRAME.match(previous):
                error = previous.strip()
    return error
