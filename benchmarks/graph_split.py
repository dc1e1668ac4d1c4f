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


def _generator_inputs(model: onnx.ModelProto) -> tuple[str, str]:
    """What the upsampling generator reads from the decoder's frame-rate blocks: their output
    (the input of the generator's first LeakyRelu) and the pitch curve it builds its harmonic
    source from (the input of its f0 upsampler)."""
    by_name = {node.name: node for node in model.graph.node}
    features = by_name["/decoder/decoder/generator/LeakyRelu"].input[0]
    pitch = by_name["/decoder/decoder/generator/f0_upsamp/Resize"].input[0]
    return features, pitch


class SplitGraph:
    """Two onnxruntime sessions, text side and vocoder, with the engine's session options.

    With `generator_cut`, the vocoder is also cut in two: `front` (the decoder's AdaIN blocks at
    the frame rate) and `generator` (upsampling to audio, where nearly all of its time goes)."""

    def __init__(
        self, model_path: Path, threads: int | None = None, generator_cut: bool = False
    ) -> None:
        model = onnx.load(str(model_path))
        boundary = _boundary(model)
        self.generator_inputs = _generator_inputs(model)
        declared = [*boundary, *((name, TensorProto.FLOAT) for name in self.generator_inputs)]
        for name, kind in declared:  # the extractor needs a declared type for each cut tensor
            model.graph.value_info.append(helper.make_tensor_value_info(name, kind, None))
        extractor = Extractor(model)
        self.boundary = [name for name, _ in boundary]
        parts = {
            "text": extractor.extract_model(GRAPH_INPUTS, self.boundary),
            "vocoder": extractor.extract_model([*self.boundary, "style"], ["audio"]),
        }
        if generator_cut:
            cut = list(self.generator_inputs)
            parts["front"] = extractor.extract_model([*self.boundary, "style"], cut)
            parts["generator"] = extractor.extract_model([*cut, "style"], ["audio"])
        with tempfile.TemporaryDirectory() as folder:
            sessions = {}
            for name, part in parts.items():
                path = Path(folder) / f"{name}.onnx"
                onnx.save(part, str(path))
                sessions[name] = open_session(path, threads)
        self.text, self.vocoder = sessions["text"], sessions["vocoder"]
        self.front, self.generator = sessions.get("front"), sessions.get("generator")
        self._vocoder_inputs = {i.name for i in self.vocoder.get_inputs()}

    def run_front(self, boundary: dict[str, Any], style: Any) -> tuple[np.ndarray, np.ndarray]:
        """The decoder's frame-rate output and the pitch curve, for `run_generator`."""
        assert self.front is not None, "made without generator_cut"
        feeds = {k: v for k, v in {**boundary, "style": style}.items() if k in self._vocoder_inputs}
        features, pitch = self.front.run(None, feeds)
        return features, pitch

    def run_generator(self, features: np.ndarray, pitch: np.ndarray, style: Any) -> np.ndarray:
        assert self.generator is not None, "made without generator_cut"
        names = self.generator_inputs
        audio: np.ndarray = self.generator.run(
            None, {names[0]: features, names[1]: pitch, "style": style}
        )[0]
        return audio

    def run_text(self, feeds: dict[str, Any]) -> dict[str, Any]:
        return dict(zip(self.boundary, self.text.run(None, feeds), strict=True))

    def run_vocoder(self, boundary: dict[str, Any], style: Any) -> np.ndarray:
        feeds = {k: v for k, v in {**boundary, "style": style}.items() if k in self._vocoder_inputs}
        audio: np.ndarray = self.vocoder.run(None, feeds)[0]
        return audio
