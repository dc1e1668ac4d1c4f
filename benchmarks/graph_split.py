"""The installed graph cut in two where the text side hands its frame-aligned tensors to the
vocoder, so a benchmark can time each half of one synthesis on its own.

The boundary is the lead-silence cut's (model/fast_graph/lead.py): durations, the text features
aligned to frames, and the pitch and energy curves. Both halves together give the same audio
as the whole graph (bench_first_sound.py checks that on every run).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx.utils import Extractor

from kokoro_mcp.engine.onnx_session import open_session
from kokoro_mcp.model.fast_graph.lead import DURATIONS, FEATURES, FRAME_CURVES

GRAPH_INPUTS = ["tokens", "style", "speed"]


def _boundary(model: onnx.ModelProto) -> list[tuple[str, int]]:
    """The tensors the vocoder reads from the text side, cropped ones where the graph crops."""
    consumed = {name for node in model.graph.node for name in node.input}
    names = [(DURATIONS, TensorProto.INT64)]
    names += [(name, TensorProto.FLOAT) for name in (FEATURES, *FRAME_CURVES)]
    found: list[tuple[str, int]] = []
    for name, kind in names:
        cropped = next(
            (n.output[0] for n in model.graph.node if n.op_type == "Slice" and n.input[0] == name),
            None,
        )
        found.append((cropped if cropped and cropped in consumed else name, kind))
    return found


class SplitGraph:
    """Two onnxruntime sessions, text side and vocoder, with the engine's session options."""

    def __init__(self, model_path: Path, threads: int | None = None) -> None:
        model = onnx.load(str(model_path))
        boundary = _boundary(model)
        for name, kind in boundary:  # the extractor needs a declared type for each cut tensor
            model.graph.value_info.append(helper.make_tensor_value_info(name, kind, None))
        extractor = Extractor(model)
        self.boundary = [name for name, _ in boundary]
        text = extractor.extract_model(GRAPH_INPUTS, self.boundary)
        vocoder = extractor.extract_model([*self.boundary, "style"], ["audio"])
        with tempfile.TemporaryDirectory() as folder:
            paths = Path(folder) / "text.onnx", Path(folder) / "vocoder.onnx"
            onnx.save(text, str(paths[0]))
            onnx.save(vocoder, str(paths[1]))
            self.text = open_session(paths[0], threads)
            self.vocoder = open_session(paths[1], threads)
        self._vocoder_inputs = {i.name for i in self.vocoder.get_inputs()}

    def run_text(self, feeds: dict[str, Any]) -> dict[str, Any]:
        return dict(zip(self.boundary, self.text.run(None, feeds), strict=True))

    def run_vocoder(self, boundary: dict[str, Any], style: Any) -> np.ndarray:
        feeds = {k: v for k, v in {**boundary, "style": style}.items() if k in self._vocoder_inputs}
        audio: np.ndarray = self.vocoder.run(None, feeds)[0]
        return audio
