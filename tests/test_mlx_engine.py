"""The mlx backend on MLX's CPU build: it speaks (checked by a speech recognizer), matches the
ONNX backend's durations, voices and errors, keeps MLX on one thread and stdout clean.

MLX's CPU build runs ~30x slower than real time, so exactly one short phrase is synthesized;
every other test reuses it (cached) or stops before any synthesis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kokoro_mcp.engine.base import SAMPLE_RATE, AudioChunk
from kokoro_mcp.engine.mlx import MlxEngine
from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.errors import InvalidInputError, ModelError, UnsupportedLanguageError
from kokoro_mcp.model.mlx_convert import CONVERT_COMMAND, MLX_SUBDIR
from tests.asr import transcribe, word_error_rate

pytest_plugins = ["tests.model_fixtures"]

PHRASE = "Hello world."
VOICE = "af_heart"


@pytest.fixture(scope="module")
def mlx_engine(mlx_model_dir: Path) -> Any:
    engine = MlxEngine(mlx_model_dir)
    engine.load()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def spoken(mlx_engine: MlxEngine) -> dict[str, Any]:
    """The one synthesis: PHRASE, streamed on a thread other than the one that loaded."""
    result: dict[str, Any] = {}

    def work() -> None:
        result["thread"] = threading.get_ident()
        result["chunks"] = list(mlx_engine.stream(PHRASE, VOICE))

    worker = threading.Thread(target=work, name="synthesis")
    worker.start()
    worker.join(timeout=900)
    assert not worker.is_alive(), "mlx synthesis of two words took over 15 minutes"
    assert "chunks" in result, "synthesis failed (see the worker thread's exception above)"
    return result


def _audio(chunks: list[AudioChunk]) -> np.ndarray:
    return np.concatenate([chunk.samples for chunk in chunks])


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
@pytest.mark.asr
def test_speaks_a_phrase_a_recognizer_understands(spoken: dict[str, Any]) -> None:
    audio = _audio(spoken["chunks"])
    assert audio.dtype == np.float32 and np.isfinite(audio).all()
    assert 0.05 < float(np.max(np.abs(audio))) <= 1.0
    heard = transcribe(audio, SAMPLE_RATE)
    assert word_error_rate(PHRASE, heard) == 0, heard


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_duration_matches_the_onnx_backend(spoken: dict[str, Any], onnx_engine: OnnxEngine) -> None:
    mlx_seconds = len(_audio(spoken["chunks"])) / SAMPLE_RATE
    onnx_seconds = len(_audio(list(onnx_engine.stream(PHRASE, VOICE)))) / SAMPLE_RATE
    assert abs(mlx_seconds / onnx_seconds - 1) <= 0.10, (mlx_seconds, onnx_seconds)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_every_mlx_call_runs_on_one_dedicated_thread(
    spoken: dict[str, Any], mlx_engine: MlxEngine
) -> None:
    mlx_thread = mlx_engine.mlx_thread_ident
    assert mlx_thread is not None
    assert mlx_thread not in (spoken["thread"], threading.main_thread().ident)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_cancellation_stops_between_chunks(spoken: dict[str, Any], mlx_engine: MlxEngine) -> None:
    text = f"{PHRASE} The quick brown fox jumps over the lazy dog and keeps running far away."
    assert list(mlx_engine.stream(text, VOICE, cancelled=lambda: True)) == []
    chunks: list[AudioChunk] = []
    for chunk in mlx_engine.stream(text, VOICE, cancelled=lambda: len(chunks) >= 1):
        chunks.append(chunk)
    # The first chunk is PHRASE (already synthesized, so cached); cancelling stops before
    # the model ever sees the rest.
    assert [chunk.text for chunk in chunks] == [PHRASE]


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_voices_are_the_onnx_backends(mlx_engine: MlxEngine, onnx_engine: OnnxEngine) -> None:
    assert mlx_engine.voices() == onnx_engine.voices()


def _error(call: Any) -> BaseException:
    with pytest.raises(InvalidInputError) as caught:
        list(call())
    return caught.value


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
@pytest.mark.parametrize(
    ("text", "voice", "speed", "kind"),
    [
        (PHRASE, "af_hart", 1.0, InvalidInputError),  # typo: close matches listed
        (PHRASE, "jf_alpha", 1.0, UnsupportedLanguageError),
        (PHRASE, VOICE, 3.0, InvalidInputError),
        ("🎉🚀✨", VOICE, 1.0, InvalidInputError),  # nothing speakable
    ],
)
def test_errors_match_the_onnx_backend(
    mlx_engine: MlxEngine,
    onnx_engine: OnnxEngine,
    text: str,
    voice: str,
    speed: float,
    kind: type[Exception],
) -> None:
    mlx_error = _error(lambda: mlx_engine.stream(text, voice, speed))
    onnx_error = _error(lambda: onnx_engine.stream(text, voice, speed))
    assert type(mlx_error) is type(onnx_error)
    assert isinstance(mlx_error, kind)
    assert str(mlx_error) == str(onnx_error)


def test_a_folder_without_weights_says_how_to_get_them(tmp_path: Path) -> None:
    engine = MlxEngine(tmp_path)
    with pytest.raises(ModelError, match=CONVERT_COMMAND):
        engine.load()
    assert not engine.loaded


def test_mlx_thread_keeps_stdout_clean() -> None:
    """In a real process (stdout a pipe, as in the MCP server): prints made on the MLX thread,
    by Python or by native code, land on stderr."""
    code = """
import os, sys, threading
from kokoro_mcp.engine.mlx_thread import MlxThread
worker = MlxThread()
def noisy():
    print("python print")
    os.write(1, b"native write\\n")
    return threading.get_ident()
ident = worker.run(noisy)
nested = worker.run(lambda: worker.run(threading.get_ident))
worker.close()
sys.stderr.write(f"same={ident == nested == worker.ident != threading.get_ident()}\\n")
print("after")
"""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout == "after\n"
    assert "python print" in run.stderr and "native write" in run.stderr
    assert "same=True" in run.stderr


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
@pytest.mark.parametrize(("engine", "exit_code"), [("mlx", 0), ("onnx", 1)])
def test_engine_flag_picks_the_backend(mlx_model_dir: Path, engine: str, exit_code: int) -> None:
    """An mlx-only folder: `--engine mlx` lists its voices, `--engine onnx` can't use it."""
    mlx_only = mlx_model_dir / MLX_SUBDIR
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kokoro_mcp",
            "voices",
            "--engine",
            engine,
            "--model-dir",
            str(mlx_only),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KOKORO_MCP_ENGINE": "auto"},
    )
    assert run.returncode == exit_code, run.stderr
    if exit_code == 0:
        assert "af_heart" in run.stdout
    else:
        assert "af_heart" not in run.stdout and run.stderr.strip()
