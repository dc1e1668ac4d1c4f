"""Backend selection: `auto` means mlx on Apple Silicon when mlx-audio is importable, else onnx;
an explicit `onnx` or `mlx` always wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kokoro_mcp.engine import create_engine
from kokoro_mcp.engine.mlx_select import is_apple_silicon, mlx_available, select_engine_name
from kokoro_mcp.errors import InvalidInputError


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("darwin", "arm64", "mlx"),
        ("darwin", "x86_64", "onnx"),  # Intel Mac, or Python under Rosetta
        ("linux", "x86_64", "onnx"),
        ("linux", "aarch64", "onnx"),
        ("win32", "AMD64", "onnx"),
    ],
)
def test_auto_picks_mlx_only_on_apple_silicon(system: str, machine: str, expected: str) -> None:
    assert mlx_available(), "these tests run where mlx[cpu] and mlx-audio are installed"
    assert select_engine_name("auto", system=system, machine=machine) == expected


@pytest.mark.parametrize("requested", ["onnx", "mlx", " MLX ", "Onnx"])
@pytest.mark.parametrize(("system", "machine"), [("darwin", "arm64"), ("linux", "x86_64")])
def test_an_explicit_engine_always_wins(requested: str, system: str, machine: str) -> None:
    assert select_engine_name(requested, system=system, machine=machine) == (
        requested.strip().lower()
    )


def test_this_machine_is_not_apple_silicon() -> None:
    assert not is_apple_silicon()  # CI and development run on Linux x86_64
    assert select_engine_name("auto") == "onnx"


def test_unknown_engine_names_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="auto, onnx, mlx"):
        select_engine_name("metal")


def test_auto_falls_back_to_onnx_when_mlx_audio_is_missing() -> None:
    """A real interpreter in which mlx_audio cannot be imported."""
    code = (
        "import sys; sys.modules['mlx_audio'] = None\n"
        "from kokoro_mcp.engine.mlx_select import mlx_available, select_engine_name\n"
        "print(mlx_available(), select_engine_name('auto', system='darwin', machine='arm64'))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout.split() == ["False", "onnx"]


@pytest.mark.parametrize(("name", "class_name"), [("mlx", "MlxEngine"), ("onnx", "OnnxEngine")])
def test_create_engine_honours_the_override(tmp_path: Path, name: str, class_name: str) -> None:
    engine = create_engine(name, tmp_path)
    assert type(engine).__name__ == class_name
    assert engine.name == name
    assert not engine.loaded
