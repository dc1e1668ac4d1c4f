"""`kokoro-mcp model install|verify|path`: thin CLI wrappers; messages go to stderr."""

from __future__ import annotations

import sys

from kokoro_mcp.config import Settings
from kokoro_mcp.model.install import install_model, verify_model_dir
from kokoro_mcp.model.layout import locate_model
from kokoro_mcp.model.paths import INSTALL_COMMAND, resolve_model_dir


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def install(settings: Settings, *, force: bool = False) -> int:
    root = resolve_model_dir(settings.model_dir)
    result = install_model(root, force=force, on_step=lambda step: _err(f"  {step}…"))
    if result.installed:
        _err(f"Kokoro model installed in {root} ({result.seconds:.1f} s).")
    else:
        _err(f"Kokoro model already installed and verified in {root}; nothing to do.")
    if settings.engine == "mlx":
        from kokoro_mcp.model.mlx_convert import install_mlx_weights

        install_mlx_weights(root, force=force, on_step=lambda step: _err(f"  {step}…"))
    return 0


def verify(settings: Settings) -> int:
    root = resolve_model_dir(settings.model_dir)
    if (root / "manifest.json").is_file():
        problems = verify_model_dir(root)
        if problems:
            _err(f"Model folder {root} has problems:")
            for problem in problems:
                _err(f"  - {problem}")
            _err(f"Fix: `{INSTALL_COMMAND} --force`.")
            return 1
    files = locate_model(root)
    _err(f"OK: {root} ({len(files.voice_names())} voices, graph {files.onnx.name}).")
    return 0


def path(settings: Settings) -> int:
    print(resolve_model_dir(settings.model_dir))
    return 0
