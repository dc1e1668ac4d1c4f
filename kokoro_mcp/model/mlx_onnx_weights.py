"""Read Kokoro-82M's weights back out of the int8 ONNX export, under PyTorch's names.

The export keeps most parameters' PyTorch names behind an `encoder.` or `decoder.decoder.`
prefix; the rest (weight-normed convolutions folded into `Mul` constants, `onnx::MatMul_*`,
LSTM weights) are named only through the module path of the node that consumes them. This
module walks those nodes, dequantizes (`(q - zero_point) * scale`, per tensor or per output
channel) and returns float32 arrays in PyTorch layout, which is what mlx-audio's Kokoro loader
expects (it transposes convolution weights itself).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.paths import INSTALL_COMMAND

if TYPE_CHECKING:  # onnx loads only when converting, not when the mlx engine imports us
    from kokoro_mcp.model.fast_graph.graph import GraphIndex

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

# Children of Kokoro's top-level model; anything else under `/encoder/` is the predictor's.
_TOP_LEVEL = ("bert", "bert_encoder", "predictor", "text_encoder")
# Named float initializers that are parameters (the rest are buffers or shape constants).
_PARAMETER_NAME = re.compile(r"\.(weight|bias|gamma|beta|alpha[12]\.\d+)$")
# ONNX LSTM gates are i, o, f, c; PyTorch (and mlx-audio) expect i, f, g(=c), o.
_ONNX_TO_TORCH_GATES = (0, 2, 3, 1)
_QUANTIZED = "_quantized"


@dataclass
class OnnxWeights:
    """What came out of the graph: tensors by PyTorch name, plus bookkeeping for the report."""

    tensors: dict[str, FloatArray] = field(default_factory=dict)
    zero_channels: int = 0  # weight-normed output channels that int8 rounding left all-zero

    def put(self, name: str, value: FloatArray) -> None:
        if name in self.tensors:
            if self.tensors[name].shape != value.shape or not np.array_equal(
                self.tensors[name], value
            ):
                raise ModelError(
                    f"the ONNX model maps two different tensors to {name!r}; it is not a"
                    " Kokoro v1.0 export this converter knows. Use kokoro-v1.0.int8.onnx."
                )
            return
        self.tensors[name] = np.ascontiguousarray(value, dtype=np.float32)


def module_path(node_name: str) -> str:
    """`/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant` -> `text_encoder.cnn.0.0`.

    Scope names repeat a container's name before its child (`cnn.0/cnn.0.0`) and number
    repeated calls of a shared module (`query_1`); both are folded away.
    """
    parts = node_name.strip("/").split("/")[:-1]
    if parts[:2] == ["decoder", "decoder"]:
        root, rest = "decoder", parts[2:]
    elif parts[:1] == ["encoder"]:
        root, rest = "", parts[1:]
    else:
        raise ModelError(f"unexpected ONNX node {node_name!r}: not under /encoder or /decoder")
    folded: list[str] = []
    for part in rest:
        part = re.sub(r"_\d+$", "", part)
        if folded and part.startswith(folded[-1] + "."):
            folded[-1] = part
        else:
            folded.append(part)
    path = ".".join(folded)
    if root:
        return f"{root}.{path}"
    return path if folded and folded[0] in _TOP_LEVEL else f"predictor.{path}"


def parameter_name(initializer_name: str) -> str | None:
    """`encoder.predictor.F0.0.conv1.bias` -> `predictor.F0.0.conv1.bias`; None if no param."""
    if not _PARAMETER_NAME.search(initializer_name):
        return None
    if initializer_name.startswith("decoder.decoder."):
        return "decoder." + initializer_name[len("decoder.decoder.") :]
    if initializer_name.startswith("encoder."):
        return initializer_name[len("encoder.") :]
    return None


class _Graph:
    """The shared graph index, with its initializers as arrays."""

    def __init__(self, index: GraphIndex) -> None:
        from onnx import numpy_helper

        self.index = index
        self.arrays: dict[str, np.ndarray] = {
            name: numpy_helper.to_array(init) for name, init in index.inits.items()
        }

    def array(self, name: str) -> np.ndarray:
        try:
            return self.arrays[name]
        except KeyError as error:
            raise ModelError(
                f"the ONNX model lacks the initializer {name!r}; it is not the int8 Kokoro v1.0"
                f" export. Reinstall with `{INSTALL_COMMAND} --force`."
            ) from error

    def dequantize(self, quantized: str, zero_point: str | None, channel_axis: int) -> FloatArray:
        """(q - zp) * scale, where scale/zp are scalars or one value per `channel_axis`."""
        base = quantized.removesuffix(_QUANTIZED)
        q = self.array(quantized).astype(np.float32)
        scale = self.array(base + "_scale").astype(np.float32)
        zp = (
            self.array(zero_point).astype(np.float32)
            if zero_point
            else np.zeros((), dtype=np.float32)
        )
        dequantized = (q - _along(zp, channel_axis, q.ndim)) * _along(scale, channel_axis, q.ndim)
        return np.asarray(dequantized, dtype=np.float32)


def _along(values: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Reshape a per-channel vector so it broadcasts along `axis` of an ndim-array."""
    if values.ndim == 0 or values.size == 1:
        return values.reshape(())
    shape = [1] * ndim
    shape[axis] = values.size
    return values.reshape(shape)


def split_weight_norm(weight: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """W -> (v, g, zero_channels) with W = g * v / ||v||, norms over all but axis 0.

    An all-zero channel gets a unit v and g = 0, so the norm is never 0/0.
    """
    axes = tuple(range(1, weight.ndim))
    norms = np.sqrt(np.sum(np.square(weight, dtype=np.float64), axis=axes, keepdims=True))
    zero = (norms == 0).reshape(-1)
    v = weight.copy()
    if zero.any():
        per_channel = int(np.prod(weight.shape[1:]))
        v[zero] = np.float32(1.0 / np.sqrt(per_channel))
    return v, norms.astype(np.float32), int(zero.sum())


def _lstm(graph: _Graph, node: Any, out: OnnxWeights) -> None:
    """DynamicQuantizeLSTM: inputs W, R, B, ..., W scale/zp (8, 9), R scale/zp (10, 11)."""
    target = module_path(node.name)
    inputs = list(node.input)
    w = _dequantize_lstm(graph, inputs[1], inputs[9])  # (dirs, in, 4H)
    r = _dequantize_lstm(graph, inputs[2], inputs[11])  # (dirs, H, 4H)
    b = graph.array(inputs[3]).astype(np.float32)  # (dirs, 8H): input then recurrent bias
    for direction, suffix in enumerate(("l0", "l0_reverse")):
        out.put(f"{target}.weight_ih_{suffix}", _torch_gates(w[direction].T))
        out.put(f"{target}.weight_hh_{suffix}", _torch_gates(r[direction].T))
        bias_ih, bias_hh = np.split(b[direction], 2)
        out.put(f"{target}.bias_ih_{suffix}", _torch_gates(bias_ih))
        out.put(f"{target}.bias_hh_{suffix}", _torch_gates(bias_hh))


def _dequantize_lstm(graph: _Graph, quantized: str, zero_point: str) -> FloatArray:
    q = graph.array(quantized).astype(np.float32)
    scale = graph.array(quantized.removesuffix(_QUANTIZED) + "_scale").astype(np.float32)
    zp = graph.array(zero_point).astype(np.float32)
    return ((q - zp.reshape(-1, 1, 1)) * scale.reshape(-1, 1, 1)).astype(np.float32)


def _torch_gates(stacked: FloatArray) -> FloatArray:
    """Reorder the four gate blocks along axis 0 from ONNX's i,o,f,c to PyTorch's i,f,g,o."""
    blocks = np.split(stacked, 4, axis=0)
    return np.concatenate([blocks[i] for i in _ONNX_TO_TORCH_GATES], axis=0)


def _conv_weight(out: OnnxWeights, target: str, weight_name: str, weight: FloatArray) -> None:
    """Weight-normed layers were folded into `/.../Mul_*` constants: split them back."""
    if weight_name.startswith("/"):
        v, g, zero = split_weight_norm(weight)
        out.put(f"{target}.weight_v", v)
        out.put(f"{target}.weight_g", g)
        out.zero_channels += zero
    elif weight_name.removesuffix(_QUANTIZED).endswith(".weight"):
        out.put(f"{target}.weight", weight)
    # Anything else (the iSTFT's fixed inverse basis) is a buffer, not a parameter.


def _embedding(graph: _Graph, gather: Any, out: OnnxWeights) -> None:
    quantized = gather.input[0]
    dequantize = next(
        (
            n
            for n in graph.index.consumers.get(gather.output[0], [])
            if n.op_type == "DequantizeLinear"
        ),
        None,
    )
    if dequantize is None:
        raise ModelError(f"embedding {quantized!r} has no DequantizeLinear after its Gather")
    name = parameter_name(quantized.removesuffix(_QUANTIZED))
    if name is None:
        raise ModelError(f"cannot name the embedding {quantized!r}")
    zp = dequantize.input[2] if len(dequantize.input) > 2 else None
    out.put(name, graph.dequantize(quantized, zp, channel_axis=0))


def _walk(graph: _Graph, nodes: Iterable[Any], out: OnnxWeights) -> None:
    for node in nodes:
        op, inputs = node.op_type, list(node.input)
        if op == "ConvInteger":
            weight = graph.dequantize(inputs[1], inputs[3] if len(inputs) > 3 else None, 0)
            _conv_weight(out, module_path(node.name), inputs[1], weight)
        elif op in ("Conv", "ConvTranspose") and inputs[1] in graph.arrays:
            weight = graph.array(inputs[1]).astype(np.float32)
            _conv_weight(out, module_path(node.name), inputs[1], weight)
        elif op == "MatMulInteger":
            # Stored (in, out) with one scale/zero point per output column; Linear wants (out, in).
            weight = graph.dequantize(inputs[1], inputs[3] if len(inputs) > 3 else None, 1)
            out.put(f"{module_path(node.name)}.weight", weight.T)
        elif op == "MatMul" and inputs[1] in graph.arrays:
            out.put(f"{module_path(node.name)}.weight", graph.array(inputs[1]).T)
        elif op == "DynamicQuantizeLSTM":
            _lstm(graph, node, out)
        elif op == "Gather" and inputs[0].endswith(_QUANTIZED) and inputs[0] in graph.arrays:
            _embedding(graph, node, out)


def read_onnx_weights(onnx_path: Path) -> OnnxWeights:
    """Every Kokoro parameter the export holds, dequantized, under its PyTorch name."""
    try:
        import onnx

        from kokoro_mcp.model.fast_graph.graph import GraphIndex
    except ImportError as error:
        raise ModelError(
            "converting the ONNX model for the mlx backend needs the `onnx` package:"
            " pip install onnx."
        ) from error
    try:
        model = onnx.load(str(onnx_path))
    except Exception as error:  # onnx raises DecodeError/OSError/ValueError variants
        raise ModelError(
            f"cannot read the ONNX model {onnx_path} ({error}). Reinstall it with"
            f" `{INSTALL_COMMAND} --force`."
        ) from error
    graph = _Graph(GraphIndex(model.graph))
    out = OnnxWeights()
    _walk(graph, graph.index.graph.node, out)
    for initializer_name, array in graph.arrays.items():
        name = parameter_name(initializer_name)
        if name is not None and array.dtype == np.float32:
            out.put(name, array)
    logger.debug(
        "read %d tensors from %s (%d zero channels)",
        len(out.tensors),
        onnx_path,
        out.zero_channels,
    )
    return out
