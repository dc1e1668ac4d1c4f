"""docs/design.md matches the code: its thread table names every thread the package starts,
and its error tree (drawn again in errors.py's docstring) is the real class hierarchy."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import threading
from pathlib import Path

import pytest

import kokoro_mcp
from kokoro_mcp import errors
from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.speaker import Speaker

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "kokoro_mcp"
DESIGN = (REPO / "docs" / "design.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return DESIGN.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _table_threads() -> set[str]:
    """The first column of the thread table, where it names a thread (`kokoro-...`)."""
    rows = re.findall(r"^\| `([^`]+)` \|", _section("2. Threads"), re.M)
    return set(rows)


def _thread_name_pattern(call: ast.Call, where: str) -> re.Pattern[str]:
    """The names a `threading.Thread(..., name=...)` call can give, as a pattern."""
    name = next((k.value for k in call.keywords if k.arg == "name"), None)
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return re.compile(re.escape(name.value))
    if isinstance(name, ast.JoinedStr):  # f"kokoro-{name}": the literal parts must match
        parts = [
            re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
            for part in name.values
        ]
        return re.compile("".join(parts))
    raise AssertionError(f"{where}: every thread needs a literal name= (or an f-string)")


def _thread_call_sites() -> dict[str, re.Pattern[str]]:
    sites: dict[str, re.Pattern[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Thread"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "threading"
            ):
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                sites[where] = _thread_name_pattern(node, where)
    return sites


def test_every_thread_call_site_is_in_the_thread_table() -> None:
    listed = _table_threads()
    sites = _thread_call_sites()
    assert sites, "found no threading.Thread( call in the package"
    for where, pattern in sites.items():
        assert any(pattern.fullmatch(name) for name in listed), (
            f"{where} starts a thread named like {pattern.pattern!r}, which docs/design.md's"
            " thread table does not list: add a row (who starts it, what it owns, how it ends)"
        )


def test_the_threads_a_running_speaker_starts_are_in_the_table(pulse_server: None) -> None:
    """The f-string names too: start a Speaker and look at the threads it really made."""
    before = set(threading.enumerate())
    speaker = Speaker(ToneEngine())
    speaker.start()
    try:
        assert speaker.wait_ready(10)
        names = {thread.name for thread in set(threading.enumerate()) - before}
    finally:
        speaker.close()
    assert {"kokoro-synthesis", "kokoro-monitor", "kokoro-audio"} <= names
    assert names <= _table_threads()


def _tree(text: str) -> dict[str, str | None]:
    """class -> parent, from a box-drawing tree (four columns per level)."""
    block = text.split("```", 2)[1]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in block.splitlines():
        match = re.search(r"[A-Z]\w+", line)
        if match is None:
            continue
        depth = match.start() // 4
        del stack[depth:]
        parents[match.group()] = stack[-1] if stack else None
        stack.append(match.group())
    return parents


def _real_tree() -> dict[str, str | None]:
    """class -> parent for every KokoroError the package defines (all modules imported, so
    the answer does not depend on which tests ran before)."""
    for module in pkgutil.walk_packages(kokoro_mcp.__path__, "kokoro_mcp."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    parents: dict[str, str | None] = {errors.KokoroError.__name__: None}
    todo = [errors.KokoroError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            parents[sub.__name__] = cls.__name__
            todo.append(sub)
    return parents


@pytest.mark.parametrize("where", ["docs/design.md", "errors.py"])
def test_the_error_tree_is_the_class_hierarchy(where: str) -> None:
    text = _section("3. Errors") if where == "docs/design.md" else str(errors.__doc__)
    assert _tree(text) == _real_tree()
