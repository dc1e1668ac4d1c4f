"""Session-wide access to the real installed model (installed on first use if missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokoro_mcp.model.install import install_model, verify_model_dir
from kokoro_mcp.model.paths import resolve_model_dir


@pytest.fixture(scope="session")
def model_dir() -> Path:
    root = resolve_model_dir(None)
    if verify_model_dir(root):
        install_model(root)
    return root


@pytest.fixture(scope="session")
def onnx_engine(model_dir: Path):  # type: ignore[no-untyped-def]
    from kokoro_mcp.engine.onnx import OnnxEngine

    engine = OnnxEngine(model_dir)
    engine.load()
    return engine
