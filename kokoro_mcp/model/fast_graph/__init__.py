"""Install-time surgery on the int8 Kokoro graph: the faster graph `model install` writes.

`rewrite` turns eligible ConvInteger nodes into integer matmuls and drives the rest: `lead`
stops the graph from vocoding the silence before every piece, `fuse` replaces slow node chains
with faster kernels doing the same arithmetic, and `graph` holds the small graph-editing helpers
they share. Only `onnx` is needed here; the engine runs the result with onnxruntime.
"""
