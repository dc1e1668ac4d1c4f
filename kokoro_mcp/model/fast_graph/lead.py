"""Stop the Kokoro graph from synthesizing the silence it puts before every piece.

The model gives the start token a third of a second or more and the vocoder turns it into
near-silence that we trim away afterwards, yet vocoding costs the same per frame whether it
is silent or not: part of every first chunk's time went into silence nobody hears (README's
Performance section has what the cut saved).

The cut is made where the text side hands its frame-aligned tensors to the vocoder, keeping
KEEP_FRAMES of the silence as context for the first sound. Cutting earlier, by shortening the
start token's duration, changes what the prosody predictor sees and swallows the first word
(measured, docs/design.md); cutting here leaves the speech itself as it was (same trimmed
length and transcript, nearly the same level: the vocoder's instance norms see fewer silent
frames).

The tensor names are those of the kokoro-v1.0 ONNX export (also in our rewritten fast graph);
other graphs are left as they are.
"""

from __future__ import annotations

import logging

import numpy as np
import onnx
from onnx import helper, numpy_helper

logger = logging.getLogger(__name__)

KEEP_FRAMES = 6  # 150 ms of the leading silence stays: context for the first phoneme
# The kokoro-v1.0 export's tensors at the text side / vocoder boundary.
DURATIONS = "/encoder/Cast_output_0"  # frames per token, int64 [1, tokens]
FEATURES = "/encoder/MatMul_1_output_0"  # text features aligned to frames, [1, 512, frames]
FRAME_CURVES = (
    "/encoder/Reshape_output_0",  # pitch, two points per frame: [1, 2 * frames]
    "/encoder/Reshape_1_output_0",  # energy, [1, 2 * frames]
)
_TAG = "lead_crop"  # prefix of every name added here


def crop_leading_silence(model: onnx.ModelProto, keep_frames: int = KEEP_FRAMES) -> bool:
    """Edit `model` in place so the vocoder skips all but `keep_frames` of the lead silence.

    Returns False (and leaves the model alone) when it isn't the kokoro-v1.0 graph.
    """
    if keep_frames < 0:
        raise ValueError(f"keep_frames must be >= 0, got {keep_frames}")
    graph = model.graph
    position = {output: i for i, node in enumerate(graph.node) for output in node.output}
    needed = (DURATIONS, FEATURES, *FRAME_CURVES)
    if any(node.name.startswith(_TAG) for node in graph.node):
        return True  # already done
    if not all(name in position for name in needed) or any(
        position[DURATIONS] > position[name] for name in needed
    ):
        logger.info("not the kokoro-v1.0 graph: synthesizing its leading silence")
        return False

    def const(name: str, value: int) -> str:
        graph.initializer.append(
            numpy_helper.from_array(np.array([value], dtype=np.int64), f"{_TAG}/{name}")
        )
        return f"{_TAG}/{name}"

    zero, one, two = const("zero", 0), const("one", 1), const("two", 2)
    keep = const("keep", keep_frames)
    end, last_axis, frame_axis = const("end", 2**62), const("last_axis", -1), const("frame_axis", 2)
    start, start2 = f"{_TAG}/start", f"{_TAG}/start2"
    # start = max(0, durations[0, 0] - keep): frames to skip, counted in whole frames.
    bounds = [
        helper.make_node("Slice", [DURATIONS, zero, one, last_axis], [f"{_TAG}/lead"], name=_TAG),
        helper.make_node("Reshape", [f"{_TAG}/lead", one], [f"{_TAG}/lead_1d"]),
        helper.make_node("Sub", [f"{_TAG}/lead_1d", keep], [f"{_TAG}/excess"]),
        helper.make_node("Max", [f"{_TAG}/excess", zero], [start]),
        helper.make_node("Mul", [start, two], [start2]),
    ]
    cuts = {FEATURES: (start, frame_axis), **{curve: (start2, last_axis) for curve in FRAME_CURVES}}
    slices: dict[str, onnx.NodeProto] = {}
    for tensor, (begin, axis) in cuts.items():
        cropped = f"{_TAG}{tensor}"
        slices[tensor] = helper.make_node(
            "Slice", [tensor, begin, end, axis], [cropped], name=cropped
        )
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name == tensor:
                    node.input[i] = cropped
    # Keep the node list topologically sorted: bounds right after the durations (checked to
    # come first), each Slice right after its tensor's producer.
    ordered: list[onnx.NodeProto] = []
    for node in graph.node:
        ordered.append(node)
        if DURATIONS in node.output:
            ordered.extend(bounds)
        ordered.extend(slices[output] for output in node.output if output in slices)
    del graph.node[:]
    graph.node.extend(ordered)
    return True
