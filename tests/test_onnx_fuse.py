"""fast_graph.fuse: each fusion computes what the chain it replaces computed, and the fused Kokoro
graph speaks the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from kokoro_mcp.engine.onnx import OnnxEngine
from kokoro_mcp.engine.onnx_session import open_session
from kokoro_mcp.engine.trim import trim_silence
from kokoro_mcp.model.fast_graph.fuse import (
    dft_basis,
    fold_snake_scales,
    fuse_graph,
    fuse_instance_norms,
    square_powers,
    stft_as_convolution,
)
from kokoro_mcp.model.fast_graph.rewrite import rewrite_model
from kokoro_mcp.model.layout import FAST_ONNX_NAME, ONNX_NAME
from tests.asr import transcribe, word_error_rate
from tests.graph_audio import raw_audio, spectral_distance

pytest_plugins = ["tests.model_fixtures"]

OPSET = [helper.make_opsetid("", 19)]


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[Any]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def op_types(model: onnx.ModelProto) -> list[str]:
    return [node.op_type for node in model.graph.node]


# ------------------------------------------------------------------ instance norm, by hand


def adain_model(constant_gamma: bool = False) -> onnx.ModelProto:
    """x [1, C, L], style [1, 2C, 1] -> (x - mean) / sqrt(var + eps) * (1 + gamma) + beta,
    built node by node the way the Kokoro export spells it, then squared with Pow."""
    channels = 4
    inits = [
        numpy_helper.from_array(np.array([2], np.int64), "axes"),
        numpy_helper.from_array(np.array(1e-5, np.float32), "eps"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
        numpy_helper.from_array(np.array([0], np.int64), "gamma_start"),
        numpy_helper.from_array(np.array([channels], np.int64), "beta_start"),
        numpy_helper.from_array(np.array([2 * channels], np.int64), "beta_end"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(
            np.linspace(0.5, 2, channels, dtype=np.float32).reshape(1, -1, 1), "fixed_gamma"
        ),
    ]
    gamma = "fixed_gamma" if constant_gamma else "gamma"
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["mean"], keepdims=1),
        helper.make_node("Sub", ["x", "mean"], ["centered"]),
        helper.make_node("Mul", ["centered", "centered"], ["squared"]),
        helper.make_node("ReduceMean", ["squared", "axes"], ["variance"], keepdims=1),
        helper.make_node("Add", ["variance", "eps"], ["variance_eps"]),
        helper.make_node("Sqrt", ["variance_eps"], ["std"]),
        helper.make_node("Div", ["centered", "std"], ["normalized"]),
        helper.make_node("Slice", ["style", "gamma_start", "beta_start", "axis1"], ["gamma_raw"]),
        helper.make_node("Add", ["gamma_raw", "one"], ["gamma"]),
        helper.make_node("Slice", ["style", "beta_start", "beta_end", "axis1"], ["beta"]),
        helper.make_node("Mul", [gamma, "normalized"], ["scaled"]),
        helper.make_node("Add", ["scaled", "beta"], ["adain"]),
        helper.make_node("Pow", ["adain", "two"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "adain",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, None]),
            helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 2 * channels, 1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels, None])],
        inits,
    )
    return helper.make_model(graph, opset_imports=OPSET)


def adain_feeds(length: int = 300) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((1, 4, length)) * 3 + 1.5).astype(np.float32)
    style = rng.standard_normal((1, 8, 1)).astype(np.float32)
    return {"x": x, "style": style}


def test_instance_norm_chain_becomes_one_node_with_the_same_result() -> None:
    model = adain_model()
    before = run(model, adain_feeds())[0]
    fused = onnx.ModelProto()
    fused.CopyFrom(model)
    assert fuse_instance_norms(fused.graph) == 1
    assert square_powers(fused.graph) == 1
    onnx.checker.check_model(fused)
    types = op_types(fused)
    assert types.count("InstanceNormalization") == 1
    assert "ReduceMean" not in types and "Sqrt" not in types and "Pow" not in types
    after = run(fused, adain_feeds())[0]
    np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-4)
    # Another length, another style: nothing was baked in.
    feeds = adain_feeds(977)
    feeds["style"] = feeds["style"][:, ::-1].copy()
    np.testing.assert_allclose(run(fused, feeds)[0], run(model, feeds)[0], rtol=1e-4, atol=1e-4)


def test_constant_gamma_is_left_alone() -> None:
    model = adain_model(constant_gamma=True)
    assert fuse_instance_norms(model.graph) == 0
    assert "InstanceNormalization" not in op_types(model)


# ------------------------------------------------------------------ Snake after a norm


def snake_model() -> onnx.ModelProto:
    """y = IN(x), then y + (1/a) * sin(a * y)^2: the AdaIN + Snake pair of Kokoro's vocoder."""
    channels = 3
    alpha = np.array([0.7, 1.3, 2.1], np.float32).reshape(1, -1, 1)
    nodes = [
        helper.make_node("InstanceNormalization", ["x", "scale", "shift"], ["y"], epsilon=1e-5),
        helper.make_node("Mul", ["alpha", "y"], ["ay"]),
        helper.make_node("Sin", ["ay"], ["s"]),
        helper.make_node("Mul", ["s", "s"], ["s2"]),
        helper.make_node("Mul", ["reciprocal", "s2"], ["scaled"]),
        helper.make_node("Add", ["y", "scaled"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "snake",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, None]),
            helper.make_tensor_value_info("scale", TensorProto.FLOAT, [channels]),
            helper.make_tensor_value_info("shift", TensorProto.FLOAT, [channels]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, channels, None])],
        [
            numpy_helper.from_array(alpha, "alpha"),
            numpy_helper.from_array((1.0 / alpha).astype(np.float32), "reciprocal"),
        ],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def test_snake_factor_folds_into_the_norm_with_the_same_result() -> None:
    model = snake_model()
    rng = np.random.default_rng(5)
    feeds = {
        "x": (rng.standard_normal((1, 3, 500)) * 2).astype(np.float32),
        "scale": np.array([1.2, 0.4, 2.0], np.float32),
        "shift": np.array([0.3, -1.0, 0.0], np.float32),
    }
    before = run(model, feeds)[0]
    assert fold_snake_scales(model.graph) == 1
    onnx.checker.check_model(model)
    types = op_types(model)
    # Two [C]-sized Muls into the norm, then Sin, square, add, scale: one full-size pass fewer.
    assert types.count("InstanceNormalization") == 1 and types.count("Sin") == 1
    assert len(types) == 7
    np.testing.assert_allclose(run(model, feeds)[0], before, rtol=1e-5, atol=1e-5)


def test_snake_with_a_mismatched_reciprocal_is_left_alone() -> None:
    model = snake_model()
    for init in model.graph.initializer:
        if init.name == "reciprocal":
            init.CopyFrom(numpy_helper.from_array(np.full((1, 3, 1), 0.5, np.float32), init.name))
    assert fold_snake_scales(model.graph) == 0


# ------------------------------------------------------------------ STFT, by hand

N_FFT, HOP = 20, 5
HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def stft_model(transpose_after: bool) -> onnx.ModelProto:
    nodes = [helper.make_node("STFT", ["signal", "step", "window", "length"], ["spec"], onesided=1)]
    output = "spec"
    if transpose_after:  # the Kokoro export reads the STFT through this Transpose
        nodes.append(helper.make_node("Transpose", ["spec"], ["spec_t"], perm=[0, 2, 1, 3]))
        output = "spec_t"
    graph = helper.make_graph(
        nodes,
        "stft",
        [helper.make_tensor_value_info("signal", TensorProto.FLOAT, [1, None])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, None, None, 2])],
        [
            numpy_helper.from_array(np.array(HOP, np.int64), "step"),
            numpy_helper.from_array(HANN, "window"),
            numpy_helper.from_array(np.array(N_FFT, np.int64), "length"),
        ],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def test_dft_basis_gives_the_windowed_fft() -> None:
    basis, bias = dft_basis(HANN)
    frame = np.random.default_rng(1).standard_normal(N_FFT)
    bins = N_FFT // 2 + 1
    products = basis.reshape(2 * bins, N_FFT).astype(np.float64) @ frame + bias
    expected = np.fft.rfft(frame * HANN)
    np.testing.assert_allclose(products[:bins], expected.real, atol=1e-5)
    np.testing.assert_allclose(products[bins:], expected.imag, atol=1e-5)
    # DC and Nyquist have no imaginary part: exactly zero weights, a tiny positive bias.
    assert not basis[bins].any() and not basis[-1].any()
    assert 0 < bias[bins] < 1e-12 and 0 < bias[-1] < 1e-12
    assert not bias[:bins].any() and not bias[bins + 1 : -1].any()


@pytest.mark.parametrize("transpose_after", [False, True])
def test_stft_becomes_a_convolution_with_the_same_frames(transpose_after: bool) -> None:
    model = stft_model(transpose_after)
    signal = np.random.default_rng(3).standard_normal((1, 4000)).astype(np.float32)
    before = run(model, {"signal": signal})[0]
    assert stft_as_convolution(model.graph) == 1
    onnx.checker.check_model(model)
    types = op_types(model)
    assert "STFT" not in types and types.count("Conv") == 1
    assert types.count("Transpose") == 1  # a following Transpose is folded into ours
    after = run(model, {"signal": signal})[0]
    assert after.shape == before.shape
    # Bins 1..9 match onnxruntime's STFT; DC/Nyquist real parts too, and their imaginary
    # parts are the tiny positive value instead of onnxruntime's +-1e-6 rounding noise.
    bins_axis = 1 if transpose_after else 2
    inner = np.take(after, range(1, N_FFT // 2), axis=bins_axis)
    np.testing.assert_allclose(
        inner, np.take(before, range(1, N_FFT // 2), axis=bins_axis), atol=1e-4
    )
    edges = np.take(after, [0, N_FFT // 2], axis=bins_axis)
    np.testing.assert_allclose(
        edges[..., 0], np.take(before, [0, N_FFT // 2], axis=bins_axis)[..., 0], atol=1e-4
    )
    assert np.all(edges[..., 1] > 0) and np.all(edges[..., 1] < 1e-12)


def test_two_sided_or_variable_window_stft_is_kept() -> None:
    model = stft_model(False)
    for attribute in model.graph.node[0].attribute:
        if attribute.name == "onesided":
            attribute.i = 0
    assert stft_as_convolution(model.graph) == 0
    model = stft_model(False)
    model.graph.node[0].input[2] = "signal_window"  # not a constant
    assert stft_as_convolution(model.graph) == 0


# ------------------------------------------------------------------ the Kokoro graph

SENTENCES = (
    "I have finished refactoring the parser, and all forty two unit tests pass now.",
    "Your pull request looks good, but please add a test for the empty input case.",
)


@pytest.fixture(scope="module")
def unfused_session(onnx_engine: OnnxEngine, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The installed graph minus the fusions (same rewrite and lead cut)."""
    root = onnx_engine.files().root
    path = tmp_path_factory.mktemp("unfused") / "kokoro.unfused.onnx"
    report = rewrite_model(root / ONNX_NAME, path, cut_lead_silence=True, fuse=False)
    assert report.lead_cut and not report.fused
    return open_session(path)


def test_installed_graph_is_fused(onnx_engine: OnnxEngine) -> None:
    path = onnx_engine.files().root / FAST_ONNX_NAME
    assert onnx_engine.files().onnx == path
    types = op_types(onnx.load(str(path), load_external_data=False))
    assert "STFT" not in types
    assert types.count("InstanceNormalization") >= 60  # every AdaIN layer of Kokoro-82M
    assert "Pow" not in types


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["af_heart", "am_michael", "bf_emma"])
def test_fused_graph_speaks_like_the_unfused_one(
    onnx_engine: OnnxEngine, unfused_session, voice: str
) -> None:  # type: ignore[no-untyped-def]
    fused_session = open_session(onnx_engine.files().root / FAST_ONNX_NAME)
    for text in SENTENCES:
        fused = raw_audio(fused_session, onnx_engine, text, voice)
        unfused = raw_audio(unfused_session, onnx_engine, text, voice)
        assert len(fused) == len(unfused)  # the same frames
        # The graphs differ in rounding only; the int8 activations amplify that to ~1.3 dB
        # per band (the fast graph vs the original int8 one: ~2 dB).
        assert spectral_distance(fused, unfused) < 2.0
        kept, reference = trim_silence(fused), trim_silence(unfused)
        assert abs(len(kept) - len(reference)) <= 0.02 * len(reference)
        level = 20 * np.log10(np.sqrt(np.mean(kept**2)) / np.sqrt(np.mean(reference**2)))
        assert abs(level) < 1.0
        assert word_error_rate(text, transcribe(kept)) <= 0.15


@pytest.mark.slow
def test_fuse_graph_reports_what_it_did(onnx_engine: OnnxEngine) -> None:
    model = onnx.load(str(onnx_engine.files().root / ONNX_NAME))
    counts = fuse_graph(model.graph)
    assert counts["stft_as_conv"] == 1
    assert counts["instance_norm"] >= 60
    assert counts["square"] >= 48  # one per Snake activation, at least
    assert counts["snake_scale"] >= 40  # the Snakes right after an AdaIN
    onnx.checker.check_model(model)
    again = fuse_graph(model.graph)  # nothing left to fuse: a second pass changes nothing
    assert sum(again.values()) == 0
