"""The package's import arrows, read from the source: install-time `model/` never imports the
run-time `engine/`, and no module imports another that imports it back, directly or round a
longer loop. Every import counts, the lazy ones inside functions too; only `TYPE_CHECKING`
blocks are left out (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "kokoro_mcp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _owner(dotted: str) -> str | None:
    """The package module that `dotted` (a module, or a name inside one) lives in."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def _imported_names(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = here[: len(here) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_owner(name) for name in _imported_names(module, path)}
        graph[module] = {target for target in targets if target and target != module}
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


GRAPH = _import_graph()


def test_the_graph_is_read_from_the_source() -> None:
    # Guards the checks below against reading nothing: known arrows must be there.
    assert "kokoro_mcp.engine.base" in GRAPH["kokoro_mcp.engine.onnx"]
    assert "kokoro_mcp.speaker_types" in GRAPH["kokoro_mcp.speaker"]
    assert any(target.startswith("kokoro_mcp.model") for target in GRAPH["kokoro_mcp.engine.onnx"])


def test_install_time_model_never_imports_the_run_time_engine() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("kokoro_mcp.model")
        for target in targets
        if target.startswith("kokoro_mcp.engine")
    )
    assert not wrong, "the arrow runs engine -> model only: " + "; ".join(wrong)


@pytest.mark.parametrize("shape", ["as it is", "with a loop added"])
def test_no_module_imports_one_that_imports_it_back(shape: str) -> None:
    graph = {module: set(targets) for module, targets in GRAPH.items()}
    if shape == "with a loop added":  # the check itself must see a loop when there is one
        graph["kokoro_mcp.speaker_types"].add("kokoro_mcp.speaker")
        assert ["kokoro_mcp.speaker", "kokoro_mcp.speaker_types"] in _loops(graph)
    else:
        assert _loops(graph) == []
