"""Replace slow node chains of the Kokoro graph with kernels that do the same arithmetic faster.

- STFT: onnxruntime's STFT kernel is slow for the harmonic source's 20-point transform. The
  same frames are one strided Conv1d with the windowed DFT basis as its weights.
- Instance norms: every AdaIN layer computes mean, variance and the normalized tensor with
  seven elementwise and reduce nodes, each a pass over the whole [1, C, L] tensor;
  onnxruntime's InstanceNormalization kernel does it in one.
- Pow(x, 2) becomes Mul(x, x): the same value from a cheaper kernel.
- Snake activations, y + sin(a*y)^2 / a, right after an instance norm: the norm's scale and
  shift take the factor a (per-channel, [C]-sized work), and (t + sin(t)^2) / a with t = a*y
  gives the same value with one full-size pass fewer.

The fused graph says the same as the unfused one (durations, transcripts, and a spectrum closer
to it than the unfused graph is to the original); what it saves is measured by
`benchmarks/bench_onnx_rewrite.py --fused` and reported in README's Performance section.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from kokoro_mcp.model.fast_graph.graph import (
    GraphIndex,
    attributes,
    other_input,
    remove_dead,
    splice,
)

logger = logging.getLogger(__name__)

_TAG = "fused"  # prefix of every name added here
# torch.stft, which Kokoro was trained with, gives the DC and Nyquist bins an imaginary part
# of exactly 0, so torch.angle is pi where their real part is negative. onnxruntime's STFT
# leaves +-1e-6 of rounding noise there, and the exported atan2 (Atan plus a Where on the
# imaginary sign) flips between +pi and -pi at random. A tiny positive imaginary part gives
# torch's +pi (and 0 for positive real parts): measured closer to both than exact zeros.
_POSITIVE_ZERO = 1e-20


def fuse_graph(graph: onnx.GraphProto) -> Counter[str]:
    """Apply every fusion here to `graph` in place; return how many of each were made."""
    counts: Counter[str] = Counter()
    counts["stft_as_conv"] = stft_as_convolution(graph)
    counts["instance_norm"] = fuse_instance_norms(graph)
    counts["square"] = square_powers(graph)
    counts["snake_scale"] = fold_snake_scales(graph)
    remove_dead(graph)
    return counts


# -- STFT -> Conv ---------------------------------------------------------------------------


def dft_basis(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conv weights [2 * bins, 1, n] (real rows, then imaginary rows) and bias [2 * bins]
    such that a stride-`hop` Conv1d over a real signal gives its one-sided STFT frames."""
    size = len(window)
    bins = size // 2 + 1
    angle = 2.0 * np.pi * np.outer(np.arange(bins), np.arange(size)) / size
    window64 = window.astype(np.float64)
    real = window64 * np.cos(angle)
    imaginary = -window64 * np.sin(angle)
    bias = np.zeros(2 * bins, dtype=np.float32)
    exact_zero = np.all(np.abs(imaginary) < 1e-9 * max(1.0, float(np.abs(window64).max())), axis=1)
    imaginary[exact_zero] = 0.0
    bias[bins + np.flatnonzero(exact_zero)] = _POSITIVE_ZERO
    basis = np.concatenate([real, imaginary]).astype(np.float32).reshape(2 * bins, 1, size)
    return basis, bias


def stft_as_convolution(graph: onnx.GraphProto) -> int:
    """Replace each real-input STFT with a constant window and step by Conv1d + reshapes."""
    index = GraphIndex(graph)
    replacements: dict[str, list[onnx.NodeProto]] = {}
    removed: set[str] = set()
    for number, stft in enumerate(n for n in graph.node if n.op_type == "STFT"):
        if stft.domain not in ("", "ai.onnx") or len(stft.input) < 3:
            continue
        onesided = bool(attributes(stft).get("onesided", 1))
        step = index.constant(stft.input[1])
        window = index.constant(stft.input[2]) if stft.input[2] else None
        length = index.constant(stft.input[3]) if len(stft.input) > 3 and stft.input[3] else None
        if step is None or step.size != 1 or window is None or window.ndim != 1:
            logger.debug("STFT %s kept: step or window not constant", stft.name)
            continue
        if length is not None and int(length.reshape(())) != len(window):
            continue
        if not onesided:  # a two-sided STFT may have a complex input: not ours
            continue
        basis, bias = dft_basis(window)
        bins = basis.shape[0] // 2
        prefix = f"{_TAG}/stft{number}"
        graph.initializer.extend(
            [
                numpy_helper.from_array(basis, f"{prefix}/basis"),
                numpy_helper.from_array(bias, f"{prefix}/bias"),
                numpy_helper.from_array(np.array([0, 1, -1], np.int64), f"{prefix}/as_channel"),
                numpy_helper.from_array(np.array([0, 2, bins, -1], np.int64), f"{prefix}/split"),
            ]
        )
        output = stft.output[0]
        # [B, L] or [B, L, 1] -> [B, 1, L] -> Conv -> [B, 2*bins, F] -> [B, 2, bins, F]
        # -> STFT's layout [B, F, bins, 2]. A Transpose right after the STFT is folded in.
        perm = [0, 3, 2, 1]
        after = index.only_consumer(output, "Transpose")
        outer = list(attributes(after).get("perm", [])) if after is not None else []
        if after is not None and sorted(outer) == [0, 1, 2, 3]:
            perm = [perm[axis] for axis in outer]
            removed.add(after.output[0])
            output = after.output[0]
        else:
            after = None
        replacements[(after or stft).output[0]] = [
            helper.make_node("Reshape", [stft.input[0], f"{prefix}/as_channel"], [f"{prefix}/x"]),
            helper.make_node(
                "Conv",
                [f"{prefix}/x", f"{prefix}/basis", f"{prefix}/bias"],
                [f"{prefix}/frames"],
                name=prefix,
                kernel_shape=[len(window)],
                strides=[int(step.reshape(()))],
            ),
            helper.make_node("Reshape", [f"{prefix}/frames", f"{prefix}/split"], [f"{prefix}/ri"]),
            helper.make_node("Transpose", [f"{prefix}/ri"], [output], perm=perm),
        ]
        removed.add(stft.output[0])
    splice(graph, replacements, removed)
    return len(replacements)


# -- instance norms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Norm:
    source: str  # x, [N, C, L]
    gamma: str  # per-channel scale, [1, C, 1]
    beta: str  # per-channel shift, [1, C, 1]
    epsilon: float
    chain: tuple[onnx.NodeProto, ...]


def _reduces_last_axis(node: onnx.NodeProto, index: GraphIndex) -> bool:
    attrs = attributes(node)
    if int(attrs.get("keepdims", 1)) != 1:
        return False
    axes = index.constant(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    if axes is None and "axes" in attrs:
        axes = np.asarray(attrs["axes"])
    return axes is not None and [int(a) for a in axes.reshape(-1)] in ([2], [-1])


def _match_norm(mean: onnx.NodeProto, index: GraphIndex) -> _Norm | None:
    """(x - mean) / sqrt(mean((x - mean)^2) + eps) * gamma + beta, starting at the first mean."""
    if mean.op_type != "ReduceMean" or not _reduces_last_axis(mean, index):
        return None
    source = mean.input[0]
    center = index.only_consumer(mean.output[0], "Sub")
    if center is None or list(center.input) != [source, mean.output[0]]:
        return None
    users = index.consumers.get(center.output[0], [])
    square = next((u for u in users if u.op_type == "Mul" and len(set(u.input)) == 1), None)
    divide = next((u for u in users if u.op_type == "Div" and u.input[0] == center.output[0]), None)
    if square is None or divide is None or len(users) != 2:
        return None
    variance = index.only_consumer(square.output[0], "ReduceMean")
    if variance is None or not _reduces_last_axis(variance, index):
        return None
    add_eps = index.only_consumer(variance.output[0], "Add")
    if add_eps is None:
        return None
    eps = index.constant(other_input(add_eps, variance.output[0]))
    root = index.only_consumer(add_eps.output[0], "Sqrt")
    if eps is None or eps.size != 1 or root is None or divide.input[1] != root.output[0]:
        return None
    scale = index.only_consumer(divide.output[0], "Mul")
    if scale is None:
        return None
    shift = index.only_consumer(scale.output[0], "Add")
    if shift is None:
        return None
    gamma = other_input(scale, divide.output[0])
    beta = other_input(shift, scale.output[0])
    if index.constant(gamma) is not None or index.constant(beta) is not None:
        return None  # AdaIN's come from the style vector; constants would need other shapes
    chain = (mean, center, square, variance, add_eps, root, divide, scale, shift)
    return _Norm(source, gamma, beta, float(eps.reshape(())), chain)


def fuse_instance_norms(graph: onnx.GraphProto) -> int:
    """Replace each AdaIN-style normalization chain with InstanceNormalization.

    The per-channel gamma/beta are flattened to the [C] the op takes, which assumes a batch
    of one (the only batch Kokoro is run with here).
    """
    index = GraphIndex(graph)
    flat = f"{_TAG}/flat"
    replacements: dict[str, list[onnx.NodeProto]] = {}
    removed: set[str] = set()
    for mean in list(graph.node):
        norm = _match_norm(mean, index)
        if norm is None or any(node.output[0] in removed for node in norm.chain):
            continue
        prefix = f"{_TAG}/norm{len(replacements)}"
        output = norm.chain[-1].output[0]
        replacements[output] = [
            helper.make_node("Reshape", [norm.gamma, flat], [f"{prefix}/scale"]),
            helper.make_node("Reshape", [norm.beta, flat], [f"{prefix}/shift"]),
            helper.make_node(
                "InstanceNormalization",
                [norm.source, f"{prefix}/scale", f"{prefix}/shift"],
                [output],
                name=prefix,
                epsilon=norm.epsilon,
            ),
        ]
        removed.update(node.output[0] for node in norm.chain)
    if replacements:
        graph.initializer.append(numpy_helper.from_array(np.array([-1], np.int64), flat))
    splice(graph, replacements, removed)
    return len(replacements)


# -- Pow(x, 2) ------------------------------------------------------------------------------


def square_powers(graph: onnx.GraphProto) -> int:
    """Turn Pow(x, 2) into Mul(x, x)."""
    index = GraphIndex(graph)
    count = 0
    for node in graph.node:
        if node.op_type != "Pow" or len(node.input) != 2:
            continue
        exponent = index.constant(node.input[1])
        if exponent is None or exponent.size != 1 or float(exponent.reshape(())) != 2.0:
            continue
        node.op_type = "Mul"
        node.input[1] = node.input[0]
        count += 1
    return count


# -- Snake after an instance norm ---------------------------------------------------------------


def fold_snake_scales(graph: onnx.GraphProto) -> int:
    """Fold Snake's inner factor into the InstanceNormalization in front of it.

    Matches y = IN(x), then y + r * sin(a * y)^2 with per-channel constants a and r = 1/a,
    and rewrites it as t = IN'(x) with the norm's scale and shift multiplied by a, then
    (t + sin(t)^2) * r.
    """
    index = GraphIndex(graph)
    replacements: dict[str, list[onnx.NodeProto]] = {}
    removed: set[str] = set()
    for norm in list(graph.node):
        if norm.op_type != "InstanceNormalization" or len(norm.input) != 3:
            continue
        y = norm.output[0]
        users = index.consumers.get(y, [])
        inner = next((u for u in users if u.op_type == "Mul"), None)
        if inner is None or len(users) != 2 or y in index.graph_outputs:
            continue
        alpha = index.constant(other_input(inner, y))
        sine = index.only_consumer(inner.output[0], "Sin")
        square = sine and index.only_consumer(sine.output[0], "Mul")
        if alpha is None or alpha.ndim != 3 or sine is None or square is None:
            continue
        if list(square.input) != [sine.output[0], sine.output[0]]:
            continue
        outer = index.only_consumer(square.output[0], "Mul")
        total = outer and index.only_consumer(outer.output[0], "Add")
        if outer is None or total is None or total not in users:
            continue
        reciprocal_name = other_input(outer, square.output[0])
        reciprocal = index.constant(reciprocal_name)
        if reciprocal is None or reciprocal.shape != alpha.shape:
            continue
        if not np.all(alpha != 0) or not np.allclose(alpha * reciprocal, 1.0, rtol=1e-4):
            continue
        prefix = f"{_TAG}/snake{len(replacements)}"
        graph.initializer.append(
            numpy_helper.from_array(alpha.reshape(-1).astype(np.float32), f"{prefix}/alpha")
        )
        t = inner.output[0]  # Sin already reads it
        replacements[y] = [
            helper.make_node("Mul", [norm.input[1], f"{prefix}/alpha"], [f"{prefix}/scale"]),
            helper.make_node("Mul", [norm.input[2], f"{prefix}/alpha"], [f"{prefix}/shift"]),
            helper.make_node(
                "InstanceNormalization",
                [norm.input[0], f"{prefix}/scale", f"{prefix}/shift"],
                [t],
                name=prefix,
                epsilon=float(attributes(norm).get("epsilon", 1e-5)),
            ),
        ]
        removed.update((y, t))
        # square's consumer: r * s^2 -> t + s^2; the final y + r*s^2 -> (t + s^2) * r
        outer.op_type = "Add"
        del outer.input[:]
        outer.input.extend([t, square.output[0]])
        total.op_type = "Mul"
        del total.input[:]
        total.input.extend([outer.output[0], reciprocal_name])
    splice(graph, replacements, removed)
    return len(replacements)
