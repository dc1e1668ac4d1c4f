"""`say -o PATH` as users and attackers use it: every kind of target gets an exact outcome.

Written files appear atomically and nothing else in the folder changes; refused targets get
one line and exit 1 with everything left as it was; `-o -` streams a WAV to stdout.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kokoro_mcp.wav import write_wav
from tests.test_cli import run
from tests.wav_files import read_wav

pytest_plugins = ["tests.model_fixtures"]

TEXT = "Hello there."
is_root = os.geteuid() == 0


def say_to(target: Path | str, *extra: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return run("say", *extra, "-o", str(target), TEXT, **kwargs)  # type: ignore[arg-type]


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry's kind and size, without following links."""
    return {p.name: (stat.S_IFMT(p.lstat().st_mode), p.lstat().st_size) for p in folder.iterdir()}


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("kokoro-mcp: cannot write"), result.stderr
    assert message in lines[-1], result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def reference_wav(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> bytes:
    """TEXT written to a plain file: what every other way of writing must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "reference.wav"
    result = say_to(out)
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


# -- files that are written --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.model
def test_planted_partial_symlink_leaves_the_victim_untouched(
    tmp_path: Path, reference_wav: bytes
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted = tmp_path / ".out.wav.partial"
    planted.symlink_to(victim)
    result = say_to(tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)
    assert (tmp_path / "out.wav").read_bytes() == reference_wav
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".out.wav.partial",
        "out.wav",
        "victim.txt",
    ]


@pytest.mark.slow
@pytest.mark.model
def test_an_existing_file_is_replaced_keeping_its_permissions(
    tmp_path: Path, reference_wav: bytes
) -> None:
    out = tmp_path / "out.wav"
    out.write_bytes(b"old take")
    out.chmod(0o640)
    result = say_to(out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == reference_wav
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_a_failed_synthesis_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    out.write_bytes(b"old take")

    def chunks() -> Iterator[np.ndarray]:
        yield np.zeros(2400, dtype=np.float32)
        raise RuntimeError("the model broke")

    with pytest.raises(RuntimeError):
        write_wav(out, chunks())
    assert out.read_bytes() == b"old take"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


# -- targets that are refused ------------------------------------------------------------------


def _device(kind: int, major: int, minor: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if not is_root:
            pytest.skip("device nodes can only be made as root")
        os.mknod(path, kind | 0o666, os.makedev(major, minor))

    return make


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _symlink_to_victim(path: Path) -> None:
    victim = path.with_name("victim.txt")
    victim.write_text("precious\n")
    path.symlink_to(victim)


REFUSED_KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "folder": (lambda p: p.mkdir(), "it is a folder; give a file name inside it"),
    "character device": (_device(stat.S_IFCHR, 1, 3), "it is a device, not a file"),
    "block device": (_device(stat.S_IFBLK, 7, 0), "it is a device, not a file"),
    "fifo": (lambda p: os.mkfifo(p), "it is a named pipe (FIFO); to pipe the audio, use -o -"),
    "socket": (_socket, "it is a socket, not a file"),
    "symlink": (_symlink_to_victim, "it is a symbolic link (to "),
}


@pytest.mark.parametrize("kind", list(REFUSED_KINDS))
def test_non_file_targets_are_refused_before_any_work(tmp_path: Path, kind: str) -> None:
    make, message = REFUSED_KINDS[kind]
    target = tmp_path / "out.wav"
    make(target)
    before = folder_state(tmp_path)
    # No model at all: the path is checked first, so the refusal is what the user sees.
    result = say_to(target, "--model-dir", str(tmp_path / "no-model"))
    assert_one_line_error(result, message)
    assert folder_state(tmp_path) == before
    if kind == "symlink":
        assert (tmp_path / "victim.txt").read_text() == "precious\n"


@pytest.mark.parametrize(
    ("path", "tree"),
    [
        ("/dev/null", "/dev"),
        ("/dev/shm/out.wav", "/dev"),
        ("/proc/self/status", "/proc"),
        ("/proc/self/fd/1", "/proc"),
        ("/sys/kernel/out.wav", "/sys"),
    ],
)
def test_system_trees_are_refused(tmp_path: Path, path: str, tree: str) -> None:
    before = os.lstat("/dev/null")
    result = say_to(path, "--model-dir", str(tmp_path / "no-model"))
    assert_one_line_error(result, f"it is under {tree}, which holds devices and kernel")
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not Path("/dev/shm/out.wav").exists()


def test_a_folder_link_into_dev_is_refused(tmp_path: Path) -> None:
    (tmp_path / "devices").symlink_to("/dev")
    result = say_to(tmp_path / "devices" / "null", "--model-dir", str(tmp_path / "no-model"))
    assert_one_line_error(result, "it is under /dev")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize(
    ("relative", "message"),
    [("missing/out.wav", "does not exist"), ("afile/out.wav", "is not a folder")],
)
def test_a_target_without_a_folder_is_refused(tmp_path: Path, relative: str, message: str) -> None:
    (tmp_path / "afile").write_text("x")
    result = say_to(tmp_path / relative, "--model-dir", str(tmp_path / "no-model"))
    assert_one_line_error(result, message)


# -- write failures: one line, nothing left behind ---------------------------------------------


@contextlib.contextmanager
def small_mount(folder: Path, options: str) -> Iterator[Path]:
    if not is_root or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.slow
@pytest.mark.model
def test_a_full_disk_gives_one_line_and_no_partial_file(tmp_path: Path, model_dir: Path) -> None:
    # 16 KB holds a third of a second of audio: TEXT needs more.
    with small_mount(tmp_path / "small", "size=16k") as folder:
        result = say_to(folder / "out.wav")
        assert_one_line_error(result, "the disk is full (no space left on device)")
        assert list(folder.iterdir()) == []


@pytest.mark.model
def test_a_read_only_folder_gives_one_line(tmp_path: Path, model_dir: Path) -> None:
    with small_mount(tmp_path / "ro", "ro,size=16k") as folder:
        result = say_to(folder / "out.wav")
        assert_one_line_error(result, "the file system is read-only")


@pytest.mark.model
def test_a_forbidden_folder_gives_one_line_and_changes_nothing(
    tmp_path: Path, model_dir: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "out.wav").write_bytes(b"old take")
    # Immutable even for root; an unprivileged user gets EACCES from a 0555 folder instead.
    if is_root:
        locked = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        if locked.returncode != 0:
            pytest.skip("chattr +i is not supported here")
    else:
        folder.chmod(0o555)
    try:
        result = say_to(folder / "out.wav")
    finally:
        if is_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
    assert_one_line_error(result, "not permitted" if is_root else "permission denied")
    assert [p.name for p in folder.iterdir()] == ["out.wav"]
    assert (folder / "out.wav").read_bytes() == b"old take"


# -- standard output -----------------------------------------------------------------------------


def _header_sizes(data: bytes) -> tuple[int, int]:
    riff = struct.unpack_from("<I", data, 4)[0]
    data_size = struct.unpack_from("<I", data, 40)[0]
    return riff, data_size


@pytest.mark.slow
@pytest.mark.model
def test_dash_streams_a_wav_into_a_pipe(reference_wav: bytes) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kokoro_mcp", "say", "-o", "-", TEXT],
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    piped = result.stdout
    assert _header_sizes(piped) == (0xFFFFFFFF, 0xFFFFFFFF)  # a pipe can't be patched
    assert piped[44:] == reference_wav[44:]
    with wave.open(io.BytesIO(piped)) as source:  # a streaming reader decodes it whole
        assert source.getframerate() == 24_000
        frames = source.readframes(1 << 30)
    assert len(frames) // 2 == read_wav_frames(reference_wav) > 12_000


def read_wav_frames(data: bytes) -> int:
    with wave.open(io.BytesIO(data)) as source:
        return source.getnframes()


@pytest.mark.slow
@pytest.mark.model
def test_dash_into_a_file_gets_its_sizes_patched(tmp_path: Path, reference_wav: bytes) -> None:
    out = tmp_path / "redirected.wav"
    with out.open("wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "kokoro_mcp", "say", "-o", "-", TEXT],
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == reference_wav
    samples, rate = read_wav(out)
    assert rate == 24_000 and len(samples) == read_wav_frames(reference_wav)


@pytest.mark.model
def test_dash_refuses_a_terminal(tmp_path: Path, model_dir: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kokoro_mcp", "say", "-o", "-", TEXT],
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "kokoro-mcp: not writing binary WAV data to a terminal: redirect stdout"
        " (-o - > speech.wav, or pipe it to a player), or give a file name"
    )


@pytest.mark.slow
@pytest.mark.model
def test_dash_with_a_reader_that_leaves_early(model_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kokoro_mcp", "say", "-o", "-", TEXT * 4],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=False,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(44)[:4] == b"RIFF"  # the header comes first
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "kokoro-mcp: cannot write stdout: the reader closed the pipe before the audio was complete"
    )
