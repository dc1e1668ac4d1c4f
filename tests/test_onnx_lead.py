"""The lead-silence cut: the vocoder skips the silence before speech, the speech stays the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.engine.onnx_session import open_session
from kokoro_mcp.engine.trim import trim_silence
from kokoro_mcp.model.fast_graph.lead import KEEP_FRAMES, crop_leading_silence
from kokoro_mcp.model.layout import FAST_ONNX_NAME, ONNX_NAME
from tests.asr import transcribe, word_error_rate
from tests.graph_audio import raw_audio

pytest_plugins = ["tests.model_fixtures"]

FRAME = 600  # samples per predicted-duration frame
SENTENCE = "Deployment to staging finished without errors."


def first_loud(samples: np.ndarray, threshold: float = 0.005) -> int:
    return int(np.flatnonzero(np.abs(samples) > threshold)[0])


@pytest.fixture(scope="module")
def sessions(onnx_engine: OnnxEngine):  # type: ignore[no-untyped-def]
    """The installed fast graph (cut) and the original int8 graph (uncut, not rewritten)."""
    assert onnx_engine.files().onnx.name == FAST_ONNX_NAME  # what the engine runs
    root = onnx_engine.files().root
    return open_session(root / FAST_ONNX_NAME), open_session(root / ONNX_NAME)


@pytest.mark.slow
def test_vocoder_skips_the_lead_silence_but_keeps_the_speech(
    onnx_engine: OnnxEngine, sessions
) -> None:  # type: ignore[no-untyped-def]
    cut, whole = (raw_audio(session, onnx_engine, SENTENCE) for session in sessions)
    # The whole graph spends 0.3 s+ on silence; the cut one keeps only its context frames.
    assert first_loud(whole) >= 10 * FRAME
    assert first_loud(cut) <= (KEEP_FRAMES + 1) * FRAME
    assert len(whole) - len(cut) >= 6 * FRAME
    kept, reference = trim_silence(cut), trim_silence(whole)
    assert abs(len(kept) - len(reference)) <= 0.02 * len(reference)  # no speech lost
    level = 20 * np.log10(np.sqrt(np.mean(kept**2)) / np.sqrt(np.mean(reference**2)))
    assert abs(level) < 1.5
    assert word_error_rate(SENTENCE, transcribe(kept)) <= 0.15


@pytest.mark.slow
def test_the_first_word_survives_the_cut(onnx_engine: OnnxEngine, sessions) -> None:  # type: ignore[no-untyped-def]
    # Shortening the start token instead (tried first) swallowed the first ~150 ms of speech:
    # compare the first 300 ms of speech energy with the uncut graph's.
    cut, whole = (trim_silence(raw_audio(s, onnx_engine, "Build finished.")) for s in sessions)
    head = int(0.3 * 24_000)
    ratio = np.sqrt(np.mean(cut[:head] ** 2)) / np.sqrt(np.mean(whole[:head] ** 2))
    assert 0.7 < ratio < 1.4
    assert "build" in transcribe(cut).lower()


def test_other_graphs_are_left_alone(tmp_path: Path) -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph)
    before = model.SerializeToString()
    assert crop_leading_silence(model) is False
    assert model.SerializeToString() == before
    path = tmp_path / "toy.onnx"
    onnx.save(model, path)
    x = np.array([[-1.0, 0.0, 2.0, -3.0]], dtype=np.float32)
    assert open_session(path).run(None, {"x": x})[0].tolist() == [[0.0, 0.0, 2.0, 0.0]]


def test_cut_is_applied_once(onnx_engine: OnnxEngine) -> None:
    model = onnx.load(str(onnx_engine.files().root / ONNX_NAME))
    assert not any(node.name.startswith("lead_crop") for node in model.graph.node)
    assert crop_leading_silence(model) is True
    count = len(model.graph.node)
    assert crop_leading_silence(model) is True
    assert len(model.graph.node) == count
    with pytest.raises(ValueError, match="keep_frames"):
        crop_leading_silence(model, keep_frames=-1)
