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
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
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


def _open_sessions(
    parts: dict[str, onnx.ModelProto], threads: int | None
) -> dict[str, ort.InferenceSession]:
    """An onnxruntime session for each part, with the engine's session options."""
    with tempfile.TemporaryDirectory() as folder:
        sessions = {}
        for name, part in parts.items():
            path = Path(folder) / f"{name}.onnx"
            onnx.save(part, str(path))
            sessions[name] = open_session(path, threads)
    return sessions


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
        sessions = _open_sessions(parts, threads)
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


# The harmonic source's running phase (cycles per harmonic, at the source's reduced rate).
HARMONIC_PHASE = "/decoder/decoder/generator/m_source/l_sin_gen/CumSum_output_0"
_FROZEN = "frozen"  # prefix of every name added for FrozenStatsVocoder


def _vocoder_norms(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    return [
        node
        for node in graph.node
        if node.op_type == "InstanceNormalization" and node.input[0].startswith("/decoder/")
    ]


def _constant(graph: onnx.GraphProto, name: str, value: np.ndarray) -> str:
    graph.initializer.append(numpy_helper.from_array(value, f"{_FROZEN}/{name}"))
    return f"{_FROZEN}/{name}"


def _statistic_names(norm: int) -> tuple[str, str]:
    """The mean and variance of vocoder norm number `norm`: outputs of the measuring graph,
    inputs of the frozen one."""
    return f"{_FROZEN}/mean{norm}", f"{_FROZEN}/var{norm}"


def _add_statistics(graph: onnx.GraphProto) -> list[str]:
    """Output each vocoder norm's input mean and variance over time ([1, C, 1] each)."""
    time_axis = _constant(graph, "time_axis", np.array([2], np.int64))
    names: list[str] = []
    for i, norm in enumerate(_vocoder_norms(graph)):
        x, (mean, var) = norm.input[0], _statistic_names(i)
        graph.node.extend(
            [
                helper.make_node("ReduceMean", [x, time_axis], [mean], keepdims=1),
                helper.make_node("Sub", [x, mean], [f"{_FROZEN}/centred{i}"]),
                helper.make_node("Mul", [f"{_FROZEN}/centred{i}"] * 2, [f"{_FROZEN}/squared{i}"]),
                helper.make_node("ReduceMean", [f"{_FROZEN}/squared{i}", time_axis], [var]),
            ]
        )
        names += [mean, var]
    return names


def _freeze_norms(graph: onnx.GraphProto) -> list[str]:
    """Replace each vocoder norm by x * k + c from given statistics: k = scale / sqrt(var +
    eps), c = shift - mean * k. Returns the new inputs (mean, var per norm), named as
    `_add_statistics` names its outputs."""
    channel = _constant(graph, "channel_axes", np.array([0, 2], np.int64))
    inputs: list[str] = []
    for i, norm in enumerate(_vocoder_norms(graph)):
        x, scale, shift = norm.input
        (mean, var), tag = _statistic_names(i), f"{_FROZEN}/n{i}"
        epsilon = next(a.f for a in norm.attribute if a.name == "epsilon")
        eps = _constant(graph, f"eps{i}", np.array(epsilon, np.float32))
        at = list(graph.node).index(norm)
        graph.node.remove(norm)
        replacement = [
            helper.make_node("Unsqueeze", [scale, channel], [f"{tag}/scale"]),
            helper.make_node("Unsqueeze", [shift, channel], [f"{tag}/shift"]),
            helper.make_node("Add", [var, eps], [f"{tag}/var_eps"]),
            helper.make_node("Sqrt", [f"{tag}/var_eps"], [f"{tag}/deviation"]),
            helper.make_node("Div", [f"{tag}/scale", f"{tag}/deviation"], [f"{tag}/k"]),
            helper.make_node("Mul", [mean, f"{tag}/k"], [f"{tag}/mean_k"]),
            helper.make_node("Sub", [f"{tag}/shift", f"{tag}/mean_k"], [f"{tag}/c"]),
            helper.make_node("Mul", [x, f"{tag}/k"], [f"{tag}/xk"]),
            helper.make_node("Add", [f"{tag}/xk", f"{tag}/c"], [norm.output[0]]),
        ]
        for offset, node in enumerate(replacement):
            graph.node.insert(at + offset, node)
        inputs += [mean, var]
    return inputs


def _continue_phase(graph: onnx.GraphProto) -> str:
    """Add a given start phase to the harmonic source's running phase; returns the input."""
    start, shifted = f"{_FROZEN}/phase_start", f"{_FROZEN}/phase"
    for node in graph.node:
        node.input[:] = [shifted if name == HARMONIC_PHASE else name for name in node.input]
    source = next(i for i, node in enumerate(graph.node) if HARMONIC_PHASE in node.output)
    graph.node.insert(source + 1, helper.make_node("Add", [HARMONIC_PHASE, start], [shifted]))
    return start


class FrozenStatsVocoder:
    """The vocoder in two variants, for a clause vocoded in pieces whose joins match, and the
    harmonic source's running phase on its own.

    `measure` vocodes some frames as the graph does and also returns each instance norm's mean
    and variance over them. `follow` vocodes frames with statistics given (the norms no longer
    look at the piece, so every piece of a clause is normalized alike) and the harmonic
    source's phase continued from where the clause has it at the piece's first frame
    (`phase_at`). Without the phase, a later piece's voiced sound is out of step with the
    piece before and the two cancel in the cross-fade.
    """

    def __init__(self, model_path: Path, threads: int | None = None) -> None:
        plain = onnx.load(str(model_path))
        boundary = _boundary(plain)
        frozen = onnx.ModelProto()
        frozen.CopyFrom(plain)
        statistics = _add_statistics(plain.graph)
        self._statistics = _freeze_norms(frozen.graph)
        self._phase_start = _continue_phase(frozen.graph)
        declared = {name: kind for name, kind in boundary}
        declared.update(dict.fromkeys([*statistics, HARMONIC_PHASE], TensorProto.FLOAT))
        for model in (plain, frozen):
            for name, kind in declared.items():
                model.graph.value_info.append(helper.make_tensor_value_info(name, kind, None))
        # The statistics have the same names in both graphs; only the start phase is new.
        frozen.graph.value_info.append(
            helper.make_tensor_value_info(self._phase_start, TensorProto.FLOAT, None)
        )
        inputs = [*(name for name, _ in boundary), "style"]
        measured = Extractor(plain)
        parts = {
            "measure": measured.extract_model(inputs, ["audio", *statistics]),
            "phase": measured.extract_model(inputs, [HARMONIC_PHASE]),
            "follow": Extractor(frozen).extract_model(
                [*inputs, *self._statistics, self._phase_start], ["audio"]
            ),
        }
        self._sessions = _open_sessions(parts, threads)

    def _run(self, part: str, feeds: dict[str, Any]) -> list[np.ndarray]:
        session = self._sessions[part]
        wanted = {i.name for i in session.get_inputs()}
        result: list[np.ndarray] = session.run(
            None, {k: v for k, v in feeds.items() if k in wanted}
        )
        return result

    def measure(self, boundary: dict[str, Any], style: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        audio, *statistics = self._run("measure", {**boundary, "style": style})
        return audio, statistics

    def phase_at(self, boundary: dict[str, Any], style: Any, frame: int, frames: int) -> np.ndarray:
        """The running phase just before `frame` of a clause of `frames` frames, kept to one
        cycle (at frame 0: nothing to run, a zero that broadcasts over the harmonics)."""
        if frame == 0:
            return np.zeros((1, 1, 1), np.float32)
        phase = self._run("phase", {**boundary, "style": style})[0]
        index = frame * (phase.shape[1] // frames)
        start: np.ndarray = phase[:, index - 1 : index, :]
        wrapped: np.ndarray = (start - np.floor(start)).astype(np.float32)
        return wrapped

    def follow(
        self,
        boundary: dict[str, Any],
        style: Any,
        statistics: list[np.ndarray],
        phase_start: np.ndarray,
    ) -> np.ndarray:
        feeds = {**boundary, "style": style, self._phase_start: phase_start}
        feeds.update(zip(self._statistics, statistics, strict=True))
        return self._run("follow", feeds)[0]
