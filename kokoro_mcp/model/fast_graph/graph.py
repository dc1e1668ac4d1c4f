"""Small helpers for editing ONNX graphs in place: who produces and consumes what, splicing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper


class GraphIndex:
    """Who produces and who consumes each tensor, plus the constants.

    A node that reads a tensor twice (`Mul(x, x)`) is listed once among its consumers.
    """

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.inits = {init.name: init for init in graph.initializer}
        self.producer: dict[str, onnx.NodeProto] = {}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in graph.node:
            for name in node.output:
                self.producer[name] = node
            for name in dict.fromkeys(node.input):
                self.consumers.setdefault(name, []).append(node)
        self.graph_outputs = {out.name for out in graph.output}

    def only_consumer(self, tensor: str, op_type: str) -> onnx.NodeProto | None:
        """The single node reading `tensor`, if it has `op_type` and the tensor isn't an output."""
        users = self.consumers.get(tensor, [])
        if tensor in self.graph_outputs or len(users) != 1 or users[0].op_type != op_type:
            return None
        return users[0]

    def constant(self, tensor: str) -> np.ndarray[Any, Any] | None:
        """The value of an initializer or Constant node output, else None."""
        init = self.inits.get(tensor)
        if init is not None:
            return numpy_helper.to_array(init)
        node = self.producer.get(tensor)
        if node is not None and node.op_type == "Constant" and len(node.attribute) == 1:
            attribute = node.attribute[0]
            if attribute.name == "value":
                return numpy_helper.to_array(attribute.t)
        return None


def other_input(node: onnx.NodeProto, tensor: str) -> str:
    """The input of a two-input node (Add, Mul, ...) that isn't `tensor`."""
    return str(node.input[1] if node.input[0] == tensor else node.input[0])


def attributes(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def splice(
    graph: onnx.GraphProto,
    replacements: Mapping[str, list[onnx.NodeProto]],
    removed: set[str],
) -> None:
    """Insert `replacements[t]` where the node producing `t` stands; drop nodes whose first
    output is in `removed`.

    Placing each group where the last node of the pattern it replaces stood keeps the node
    list topologically sorted: every input of the new nodes was produced before that point.
    Nodes are keyed by their first output: protobuf wrappers aren't stable identities.
    """
    rebuilt: list[onnx.NodeProto] = []
    for node in graph.node:
        rebuilt.extend(replacements.get(node.output[0], []))
        if node.output[0] not in removed:
            rebuilt.append(node)
    del graph.node[:]
    graph.node.extend(rebuilt)


def remove_dead(graph: onnx.GraphProto) -> None:
    """Drop nodes, initializers and value_info that no longer feed the graph outputs."""
    needed = {out.name for out in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    kept.reverse()
    if len(kept) != len(graph.node):
        del graph.node[:]
        graph.node.extend(kept)
    produced = {out for node in kept for out in node.output}
    _filter(graph.initializer, lambda init: init.name in needed)
    _filter(graph.value_info, lambda info: info.name in produced)


def _filter(items: Any, keep: Any) -> None:
    survivors = [item for item in items if keep(item)]
    if len(survivors) != len(items):
        del items[:]
        items.extend(survivors)
