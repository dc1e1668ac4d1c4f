"""Rewrite the int8 Kokoro graph so its convolutions run on the CPU's fast int8 kernels.

onnxruntime's ConvInteger only accepts uint8 weights, which keeps it off the u8s8 (VNNI) GEMM
paths; its MatMulInteger does take int8 weights. So each eligible 1-D ConvInteger becomes
im2col + MatMulInteger:

    x_q [1, Cin, L] uint8 --Transpose--> [1, L, Cin] --Pad(x_zp)--> [1, L+pads, Cin]
      --Gather(l + k*dilation)--> [1, L', K, Cin] --Reshape--> [1, L', K*Cin]
      --MatMulInteger(Wcol int8 [K*Cin, Cout], x_zp)--> int32 --Cast--> *scale --> +bias
      --Transpose--> [1, Cout, L'] float (the tensor the old chain produced)

with Wcol[k*Cin + c, o] = Wq[o, c, k] - Wzp (fits int8 for this model; checked per node).
onnxruntime fuses MatMulInteger -> Cast -> Mul -> Add into MatMulIntegerToFloat. The float
bias is the numerator of the quantizer's Div(bias, scale) chain, so it is used unrounded.

Only stride-1, group-1 convolutions with >= MIN_IN_CHANNELS input channels are rewritten: the
few small ones (noise convs, F0/N convs with 1 or 22 channels) gain nothing from a GEMM.

x86 CPUs without VNNI run u8 x s8 products through VPMADDUBSW, which adds pairs of products in
int16 and saturates when both are large (255 * 127 * 2 > 32767). The model's own MatMulInteger
weights are 7-bit for that reason (reduce_range). `recommended_weight_bits()` says which width
this CPU can take exactly; with 7 bits the centered weights are halved (rounded, |w| <= 64) and
the scale doubled, which costs one bit of weight precision but can never saturate.
"""

from __future__ import annotations

import importlib
import logging
import os
import platform
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kokoro_mcp.errors import InvalidInputError, ModelError
from kokoro_mcp.model.fast_graph.fuse import fuse_graph
from kokoro_mcp.model.fast_graph.graph import (
    GraphIndex,
    attributes,
    other_input,
    remove_dead,
    splice,
)
from kokoro_mcp.model.fast_graph.lead import crop_leading_silence
from kokoro_mcp.model.paths import INSTALL_COMMAND

logger = logging.getLogger(__name__)

MIN_IN_CHANNELS = 64
WEIGHT_BITS = (7, 8)
FAST_MODEL_SUFFIX = ".fast.onnx"
_TAG = "im2col"  # marks names this module creates


@dataclass(frozen=True)
class RewriteReport:
    """What `rewrite_model` did: how many ConvInteger nodes it replaced and why others stayed."""

    rewritten: int
    kept: int
    weight_bits: int = 8
    kept_reasons: dict[str, int] = field(default_factory=dict)  # reason -> count
    nodes_before: int = 0
    nodes_after: int = 0
    seconds: float = 0.0
    lead_cut: bool = False  # lead's cut applied too
    fused: dict[str, int] = field(default_factory=dict)  # fuse: fusion -> count


def fast_model_path(src: Path) -> Path:
    """`kokoro-v1.0.int8.onnx` -> `kokoro-v1.0.int8.fast.onnx`, beside the original."""
    return src.with_name(src.name.removesuffix(".onnx") + FAST_MODEL_SUFFIX)


def recommended_weight_bits() -> int:
    """8 where int8 dot products are exact (VNNI on x86, or not x86 at all), else 7."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return 8
    return 8 if _cpu_has_vnni() else 7


def _cpu_has_vnni() -> bool:
    # numpy detects CPU features on every OS (the private module moved in numpy 2), but it has
    # no flag for AVX-VNNI without AVX-512; Linux's cpuinfo covers that case.
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            features = getattr(importlib.import_module(module), "__cpu_features__", None)
        except ImportError:
            continue
        if isinstance(features, dict) and features.get("AVX512VNNI"):
            return True
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return False  # unknown: the 7-bit graph is exact everywhere
    return "avx512_vnni" in flags or "avx_vnni" in flags


def rewrite_model(
    src: Path,
    dst: Path,
    *,
    weight_bits: int | None = None,
    cut_lead_silence: bool = False,
    fuse: bool = False,
) -> RewriteReport:
    """Read the int8 model at `src`, rewrite eligible ConvInteger nodes, write `dst` atomically.

    `weight_bits` 8 keeps the weights exactly; 7 is for x86 CPUs without VNNI (see the module
    docstring); None picks `recommended_weight_bits()` for this CPU. Deterministic: the same
    input and width give byte-identical output. `cut_lead_silence` also applies lead.py's
    cut and `fuse` fuse.py's fusions (the installed fast graph has both; plain rewrites
    compare like for like). Raises
    ModelError when `src` can't be read or the rewritten graph fails ONNX validation (then
    `dst` is left untouched).
    """
    if weight_bits is None:
        weight_bits = recommended_weight_bits()
    if weight_bits not in WEIGHT_BITS:
        raise InvalidInputError(f"weight_bits must be 7 or 8, got {weight_bits!r}")
    started = time.perf_counter()
    try:
        model = onnx.load(str(src))
    except Exception as exc:  # protobuf and onnx raise a variety of types for a bad file
        raise ModelError(
            f"could not read the ONNX model {src}: {exc}; reinstall it with `{INSTALL_COMMAND}`"
        ) from exc
    nodes_before = len(model.graph.node)
    counts = rewrite_graph(model.graph, weight_bits=weight_bits)
    lead_cut = cut_lead_silence and crop_leading_silence(model)
    fused = {name: n for name, n in sorted(fuse_graph(model.graph).items()) if n} if fuse else {}
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelError(
            f"the rewritten model failed ONNX validation ({exc}); use the original {src} "
            "and report this as a bug"
        ) from exc
    _write_atomically(dst, model.SerializeToString(deterministic=True))
    kept_reasons = {reason: n for reason, n in sorted(counts.items()) if reason != "rewritten"}
    report = RewriteReport(
        rewritten=counts.get("rewritten", 0),
        kept=sum(kept_reasons.values()),
        weight_bits=weight_bits,
        kept_reasons=kept_reasons,
        nodes_before=nodes_before,
        nodes_after=len(model.graph.node),
        seconds=time.perf_counter() - started,
        lead_cut=lead_cut,
        fused=fused,
    )
    logger.info(
        "rewrote %d of %d ConvInteger nodes (%d-bit weights; %s; lead silence %s; fused %s)"
        " into %s in %.1f s",
        report.rewritten,
        report.rewritten + report.kept,
        weight_bits,
        ", ".join(f"{n} kept: {why}" for why, n in kept_reasons.items()) or "none kept",
        "cut" if lead_cut else "kept",
        ", ".join(f"{n} {name}" for name, n in fused.items()) or "nothing",
        dst,
        report.seconds,
    )
    return report


def rewrite_graph(graph: onnx.GraphProto, *, weight_bits: int = 8) -> Counter[str]:
    """Rewrite `graph` in place; return a count per outcome ("rewritten" or the kept reason)."""
    index = GraphIndex(graph)
    outcomes: Counter[str] = Counter()
    replacements: dict[str, list[onnx.NodeProto]] = {}
    removed: set[str] = set()
    for conv in list(graph.node):
        if conv.op_type != "ConvInteger" or conv.domain not in ("", "ai.onnx"):
            continue
        plan = _plan(conv, index, weight_bits)
        if isinstance(plan, str):
            outcomes[plan] += 1
            logger.debug("kept %s: %s", conv.name, plan)
            continue
        new_nodes, new_inits = _build(plan)
        graph.initializer.extend(new_inits)
        removed.update(node.output[0] for node in plan.chain)
        replacements[plan.chain[-1].output[0]] = new_nodes
        outcomes["rewritten"] += 1
    splice(graph, replacements, removed)
    remove_dead(graph)
    return outcomes


@dataclass
class _Plan:
    conv: onnx.NodeProto
    chain: list[onnx.NodeProto]  # ConvInteger, [Add int32 bias], Cast, Mul(scale): all replaced
    wcol: np.ndarray[Any, np.dtype[np.int8]]  # [K*Cin, Cout]
    bias: np.ndarray[Any, np.dtype[np.float32]] | None  # [Cout] float, unquantized
    scale: str  # x_scale * w_scale tensor
    scale_factor: float  # 2.0 when the weights were halved to 7 bits
    kernel: int
    dilation: int
    pads: tuple[int, int]
    output: str  # float [1, Cout, L'] that consumers read


def _plan(conv: onnx.NodeProto, index: GraphIndex, weight_bits: int) -> _Plan | str:
    """Check that `conv` and the nodes after it match the quantizer's pattern; else say why not."""
    attrs = attributes(conv)
    if len(conv.input) != 4 or not conv.input[3]:
        return "no weight zero point"
    weights = index.constant(conv.input[1])
    w_zero = index.constant(conv.input[3])
    if weights is None or w_zero is None or weights.ndim != 3 or weights.dtype != np.uint8:
        return "weights not a constant uint8 [Cout, Cin, K]"
    if w_zero.size != 1:
        return "per-channel weight zero point"
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return "auto_pad"
    if int(attrs.get("group", 1)) != 1:
        return "grouped"
    if list(attrs.get("strides", [1])) != [1]:
        return "strided"
    c_out, c_in, kernel = weights.shape
    if c_in < MIN_IN_CHANNELS:
        return f"fewer than {MIN_IN_CHANNELS} input channels"
    dilation = int(next(iter(attrs.get("dilations", [1]))))
    pads_attr = list(attrs.get("pads", [0, 0]))
    if len(pads_attr) != 2:
        return "not 1-D"
    pads = (int(pads_attr[0]), int(pads_attr[1]))

    chain = [conv]
    tail = conv.output[0]
    bias: np.ndarray[Any, np.dtype[np.float32]] | None = None
    bias_add = index.only_consumer(tail, "Add")
    if bias_add is not None:
        bias_input = other_input(bias_add, tail)
        chain.append(bias_add)
        tail = bias_add.output[0]
    cast = index.only_consumer(tail, "Cast")
    if cast is None:
        return "output not followed by Cast"
    chain.append(cast)
    mul = index.only_consumer(cast.output[0], "Mul")
    if mul is None:
        return "Cast not followed by Mul(scale)"
    chain.append(mul)
    scale = other_input(mul, cast.output[0])
    if bias_add is not None:
        found = _float_bias(bias_input, scale, index)
        if found is None:
            return "bias not Div(float bias, scale)"
        bias = found
        if bias.shape != (c_out,):
            return "bias shape"

    # Wcol[k*Cin + c, o] = Wq[o, c, k] - Wzp
    centered = weights.astype(np.int16) - np.int16(w_zero.reshape(()))
    if centered.min() < -128 or centered.max() > 127:
        return "weights outside int8 after centering"
    scale_factor = 1.0
    if weight_bits == 7:  # |w| <= 64: two products of 255 * 64 still fit int16
        centered = np.clip(np.round(centered / 2.0), -64, 64).astype(np.int16)
        scale_factor = 2.0
    wcol = centered.transpose(2, 1, 0).reshape(kernel * c_in, c_out).astype(np.int8)
    return _Plan(
        conv, chain, wcol, bias, scale, scale_factor, int(kernel), dilation, pads, mul.output[0]
    )


def _float_bias(
    quantized: str, scale: str, index: GraphIndex
) -> np.ndarray[Any, np.dtype[np.float32]] | None:
    """Follow Reshape <- Cast <- Floor/Round <- Div(bias, scale) back to the float bias."""
    node = index.producer.get(quantized)
    for op_types in (("Reshape",), ("Cast",), ("Floor", "Round")):
        if node is None or node.op_type not in op_types:
            return None
        node = index.producer.get(node.input[0])
    if node is None or node.op_type != "Div" or node.input[1] != scale:
        return None
    bias = index.constant(node.input[0])
    if bias is None or bias.dtype != np.float32 or bias.ndim != 1:
        return None
    return bias


def _build(plan: _Plan) -> tuple[list[onnx.NodeProto], list[TensorProto]]:
    """The replacement nodes and initializers for one planned ConvInteger chain."""
    prefix = f"{plan.conv.name or plan.conv.output[0]}/{_TAG}"
    x_q, x_zero = plan.conv.input[0], plan.conv.input[2]
    nodes: list[onnx.NodeProto] = []
    inits: list[TensorProto] = []

    def name(part: str) -> str:
        return f"{prefix}/{part}"

    def const(part: str, value: np.ndarray[Any, Any]) -> str:
        inits.append(numpy_helper.from_array(value, name(part)))
        return name(part)

    def node(op: str, inputs: Sequence[str], part: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, list(inputs), [name(part)], name=name(part), **attrs))
        return name(part)

    rows = node("Transpose", [x_q], "x_nlc", perm=[0, 2, 1])  # [1, L, Cin]
    if plan.pads != (0, 0):
        pads = const("pads", np.array(plan.pads, dtype=np.int64))
        axes = const("pad_axes", np.array([1], dtype=np.int64))
        # The float conv pads with 0.0, which is the input zero point once quantized.
        rows = node("Pad", [rows, pads, x_zero, axes], "x_padded", mode="constant")
    if plan.kernel > 1:
        span = plan.dilation * (plan.kernel - 1)
        length = node("Shape", [rows], "padded_len", start=1, end=2)  # [1]
        out_len = node("Sub", [length, const("span", np.array([span], np.int64))], "out_len")
        positions = node(
            "Range",
            [
                const("zero", np.array(0, np.int64)),
                node("Squeeze", [out_len], "out_len_scalar"),
                const("one", np.array(1, np.int64)),
            ],
            "positions",
        )
        column = node("Unsqueeze", [positions, const("axis1", np.array([1], np.int64))], "l_col")
        taps = np.arange(plan.kernel, dtype=np.int64).reshape(1, -1) * plan.dilation
        gather_at = node("Add", [column, const("taps", taps)], "gather_at")  # [L', K]
        windows = node("Gather", [rows, gather_at], "windows", axis=1)  # [1, L', K, Cin]
        shape = np.array([0, -1, plan.wcol.shape[0]], dtype=np.int64)
        rows = node("Reshape", [windows, const("cols_shape", shape)], "cols")  # [1, L', K*Cin]
    product = node("MatMulInteger", [rows, const("wcol", plan.wcol), x_zero], "matmul")
    result = node("Cast", [product], "matmul_float", to=TensorProto.FLOAT)
    scale = plan.scale
    if plan.scale_factor != 1.0:  # a scalar Mul; the big one below still fuses
        factor = const("scale_factor", np.array(plan.scale_factor, dtype=np.float32))
        scale = node("Mul", [scale, factor], "scale")
    result = node("Mul", [result, scale], "scaled")
    if plan.bias is not None:
        result = node("Add", [result, const("bias", plan.bias)], "biased")
    transpose = helper.make_node(
        "Transpose", [result], [plan.output], name=name("to_ncl"), perm=[0, 2, 1]
    )
    nodes.append(transpose)
    return nodes, inits


def _write_atomically(dst: Path, data: bytes) -> None:
    """Write to a temporary file beside `dst`, fsync, then rename over it."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"could not write {dst}: {exc}; check free space and permissions") from exc


def conv_integer_count(nodes: Iterable[onnx.NodeProto]) -> int:
    """How many ConvInteger nodes a graph still has (for reports and tests)."""
    return sum(1 for node in nodes if node.op_type == "ConvInteger")
