"""Diffs, fenced or pasted: what changed, said briefly.

Read line by line, "- timeout = 30" and "+ timeout = 60" are two sentences a listener
can't tell apart, and "@@ -12,7 +12,7 @@" is a string of numbers. A one-line change with a
short difference is said as "changed timeout from 30 to 60"; other hunks as counts of
lines removed and added, per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_HUNKS_SAID = 3
_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_FILE_NEW = re.compile(r"\+\+\+ (?:b/)?(\S+)")
_GIT_HEADER = re.compile(r"diff --git a/(\S+) b/")
_KEY = re.compile(r"([A-Za-z_][\w.-]{0,40})\s*[:=]\s*$|([A-Za-z_][\w.-]{0,40})\s*\(\s*$")
_MAX_VALUE_WORDS = 6


def looks_like_diff(lines: list[str]) -> bool:
    """A hunk header, or a `--- a/x` + `+++ b/x` pair: not a markdown list of - and +."""
    return any(
        starts_diff(line, lines[index + 1] if index + 1 < len(lines) else "")
        for index, line in enumerate(lines)
    )


def starts_diff(line: str, next_line: str) -> bool:
    """Does a pasted diff start at `line`? A hunk or git header, or `--- a` then `+++ b`."""
    if _HUNK.match(line) or _GIT_HEADER.match(line):
        return True
    return line.startswith("--- ") and next_line.startswith("+++ ")


def is_diff_line(line: str) -> bool:
    """Lines that belong to a diff once one has started."""
    return bool(line) and (
        line[0] in " +-\\"
        or line.startswith(("@@", "diff ", "index ", "new file", "deleted file", "similarity"))
        or line.startswith(("rename ", "old mode", "new mode", "Binary files"))
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _is_value_char(char: str) -> bool:
    return char.isalnum() or char in "._"


def _one_line_change(old: str, new: str) -> str:
    """ "timeout = 30" -> "timeout = 60": "changed timeout from 30 to 60"; "sleep(0.5)" ->
    "sleep(1.5)": "changed sleep from 0.5 to 1.5"; "" when the change is not that simple."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    while prefix > 0 and _is_value_char(old[prefix - 1]):
        prefix -= 1  # whole values: "30" -> "60", not "3" -> "6"
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    while suffix > 0 and _is_value_char(old[len(old) - suffix]):
        suffix -= 1
    old_value = old[prefix : len(old) - suffix].strip().rstrip(",;")
    new_value = new[prefix : len(new) - suffix].strip().rstrip(",;")
    if not old_value or not new_value:
        return ""
    if max(len(old_value.split()), len(new_value.split())) > _MAX_VALUE_WORDS:
        return ""
    key = _KEY.search(old[:prefix])
    if key is not None:
        return f"changed {key.group(1) or key.group(2)} from {old_value} to {new_value}"
    if prefix == 0 and " " not in old_value + new_value:
        return f"changed {old_value} to {new_value}"
    return ""


class _Hunk:
    def __init__(self) -> None:
        self.removed: list[str] = []
        self.added: list[str] = []

    def say(self) -> str:
        if len(self.removed) == 1 and len(self.added) == 1:
            change = _one_line_change(self.removed[0].strip(), self.added[0].strip())
            if change:
                return change
        if len(self.removed) == 1 and len(self.added) == 1:
            return "changed 1 line"
        if self.removed and self.added:
            return f"{_plural(len(self.removed), 'line')} removed and {len(self.added)} added"
        if self.added:
            return f"{_plural(len(self.added), 'line')} added"
        return f"{_plural(len(self.removed), 'line')} removed"


def summarize_diff(lines: Iterable[str]) -> str:
    """What a diff changes, as one or two sentences of plain words (markup still inside
    file names and values: the caller prepares the result like any text)."""
    files: list[tuple[str, list[_Hunk]]] = []
    current: list[_Hunk] = []
    name = ""
    for line in lines:
        header = _GIT_HEADER.match(line) or _FILE_NEW.match(line)
        if header:
            found = header.group(1)
            if found != name:
                if current or name:
                    files.append((name, current))
                name, current = found, []
            continue
        if line.startswith(("--- ", "index ", "diff ")):
            continue
        if line.startswith("@@") or not current:
            current.append(_Hunk())
            if line.startswith("@@"):
                continue
        if line.startswith("+"):
            current[-1].added.append(line[1:])
        elif line.startswith("-"):
            current[-1].removed.append(line[1:])
    files.append((name, current))
    sentences = []
    for file_name, hunks in files:
        said = [hunk.say() for hunk in hunks if hunk.removed or hunk.added]
        if not said:
            continue
        more = len(said) - MAX_HUNKS_SAID
        said = said[:MAX_HUNKS_SAID] + ([f"and {_plural(more, 'more change')}"] if more > 0 else [])
        where = f"In {file_name}: " if file_name and file_name != "/dev/null" else "Diff: "
        sentences.append(where + "; ".join(said) + ".")
    return " ".join(sentences) if sentences else "Empty diff."
