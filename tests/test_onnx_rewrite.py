"""The ConvInteger -> im2col + MatMulInteger rewrite: same speech, byte-stable output.

A tiny hand-built graph checks the arithmetic without the model; the rest runs the real int8
Kokoro model, original and rewritten, side by side.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from kokoro_mcp.engine.onnx_session import (
    DISABLED_OPTIMIZERS,
    MAX_THREADS,
    available_cores,
    make_session_options,
    open_session,
)
from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.fast_graph.rewrite import (
    MIN_IN_CHANNELS,
    RewriteReport,
    conv_integer_count,
    fast_model_path,
    recommended_weight_bits,
    rewrite_model,
)
from kokoro_mcp.model.layout import read_voice_file

MODEL_NAME = "kokoro-v1.0.int8.onnx"
RAW_MODEL = Path("/tmp/kokoro.onnx")
RAW_VOICES = Path("/tmp/kjs/package/voices")

# Phonemes from misaki for the sentence beside them (hard-coded: this file tests the graph,
# not G2P).
SENTENCES = {
    "Build finished.": "bˈɪld fˈɪnəʃt.",
    "The quick brown fox jumps over the lazy dog near the river bank.": (
        "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˈOvəɹ ðə lˈAzi dˈɔɡ nˌɪɹ ðə ɹˈɪvəɹ bˈæŋk."
    ),
    "All the tests passed, and the coverage report is ready for review.": (
        "ˈɔl ðə tˈɛsts pˈæst, ænd ðə kˈʌvəɹɪʤ ɹəpˈɔɹt ɪz ɹˈɛdi fɔɹ ɹəvjˈu."
    ),
    "Done.": "dˈʌn.",
}
VOICES = ("af_heart", "am_michael", "bf_emma", "bm_george")


# ---------------------------------------------------------------- the model and its inputs


def _model_candidates() -> Iterator[Path]:
    env = os.environ.get("KOKORO_MCP_MODEL_DIR")
    if env:
        yield Path(env) / MODEL_NAME
    yield Path.home() / ".local" / "share" / "kokoro-mcp" / "model" / MODEL_NAME
    yield RAW_MODEL


@pytest.fixture(scope="module")
def int8_model() -> Path:
    """The int8 Kokoro model: the installed one if there is one, else the raw download."""
    for path in _model_candidates():
        if path.is_file():
            return path
    pytest.skip(
        f"no {MODEL_NAME}: run `kokoro-mcp model install`, set $KOKORO_MCP_MODEL_DIR, "
        f"or put the raw model at {RAW_MODEL}"
    )


@dataclass
class ModelInputs:
    vocab: dict[str, int]
    voices: Path

    def feeds(self, phonemes: str, voice: str) -> dict[str, npt.NDArray[np.generic]]:
        ids = [self.vocab[ch] for ch in phonemes if ch in self.vocab]
        tokens = np.array([[0, *ids, 0]], dtype=np.int64)
        styles = read_voice_file(self.voices / f"{voice}.bin")
        return {
            "tokens": tokens,
            "style": styles[len(ids)],
            "speed": np.array([1.0], dtype=np.float32),
        }


@pytest.fixture(scope="module")
def model_inputs(int8_model: Path) -> ModelInputs:
    config = int8_model.parent / "config.json"
    if not config.is_file():
        config = Path(str(resources.files("kokoro_onnx") / "config.json"))
    vocab = json.loads(config.read_text(encoding="utf-8"))["vocab"]
    for voices in (int8_model.parent / "voices", RAW_VOICES):
        if all((voices / f"{name}.bin").is_file() for name in VOICES):
            return ModelInputs(vocab, voices)
    pytest.skip(f"voices {', '.join(VOICES)} not found beside the model or in {RAW_VOICES}")


@pytest.fixture(scope="module")
def rewritten(
    int8_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, RewriteReport]:
    dst = fast_model_path(tmp_path_factory.mktemp("fast") / int8_model.name)
    return dst, rewrite_model(int8_model, dst, weight_bits=8)


@pytest.fixture(scope="module")
def sessions(
    int8_model: Path, rewritten: tuple[Path, RewriteReport]
) -> tuple[ort.InferenceSession, ort.InferenceSession]:
    return open_session(int8_model), open_session(rewritten[0])


def _frame_log_energy(audio: npt.NDArray[np.float32], frame: int = 600) -> npt.NDArray[np.float64]:
    usable = len(audio) // frame * frame
    frames = audio[:usable].astype(np.float64).reshape(-1, frame)
    energy: npt.NDArray[np.float64] = np.log10(1e-8 + np.mean(frames**2, axis=1))
    return energy


# ---------------------------------------------------------------- a tiny hand-built graph


def _quantized_conv_graph(
    c_in: int, c_out: int, kernel: int, dilation: int, with_bias: bool
) -> tuple[onnx.ModelProto, npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """One conv laid out the way onnxruntime's dynamic quantizer writes it; returns the model,
    its float weights (as the quantizer saw them) and bias."""
    rng = np.random.default_rng(1234 + kernel * 10 + dilation)
    w_zero, w_scale = 131, np.float32(0.01)
    # Centered weights span all of int8 but for what uint8 can't hold (131 + 127 > 255).
    w_q = rng.integers(w_zero - 128, 256, size=(c_out, c_in, kernel), dtype=np.int64)
    w_q = w_q.astype(np.uint8)
    bias = rng.normal(size=c_out).astype(np.float32)
    pad = dilation * (kernel - 1) // 2
    inits = [
        numpy_helper.from_array(w_q, "w_q"),
        numpy_helper.from_array(np.array(w_zero, np.uint8), "w_zero"),
        numpy_helper.from_array(np.array(w_scale, np.float32), "w_scale"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array([1, -1, 1], np.int64), "bias_shape"),
    ]
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["x_q", "x_scale", "x_zero"]),
        helper.make_node("Mul", ["x_scale", "w_scale"], ["scale"]),
        helper.make_node(
            "ConvInteger",
            ["x_q", "w_q", "x_zero", "w_zero"],
            ["acc"],
            name="conv",
            dilations=[dilation],
            group=1,
            kernel_shape=[kernel],
            pads=[pad, pad],
            strides=[1],
        ),
    ]
    if with_bias:
        nodes += [
            helper.make_node("Div", ["bias", "scale"], ["bias_div"]),
            helper.make_node("Floor", ["bias_div"], ["bias_floor"]),
            helper.make_node("Cast", ["bias_floor"], ["bias_int"], to=TensorProto.INT32),
            helper.make_node("Reshape", ["bias_int", "bias_shape"], ["bias_q"]),
            helper.make_node("Add", ["acc", "bias_q"], ["acc_biased"]),
        ]
    acc = "acc_biased" if with_bias else "acc"
    nodes += [
        helper.make_node("Cast", [acc], ["acc_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["acc_float", "scale"], ["y"]),
        helper.make_node("Relu", ["y"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, "L"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, c_out, "L"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    weights = (w_q.astype(np.float32) - w_zero) * w_scale
    return model, weights, bias if with_bias else np.zeros(c_out, np.float32)


def _reference_conv(
    x: npt.NDArray[np.float32],
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    dilation: int,
) -> npt.NDArray[np.float32]:
    kernel = weights.shape[2]
    pad = dilation * (kernel - 1) // 2
    padded = np.pad(x[0], ((0, 0), (pad, pad)))
    length = x.shape[2]
    out = np.tile(bias[:, None], (1, length)).astype(np.float64)
    for k in range(kernel):
        out += weights[:, :, k].astype(np.float64) @ padded[:, k * dilation : k * dilation + length]
    return np.maximum(out, 0)[None].astype(np.float32)


@pytest.mark.parametrize(
    ("kernel", "dilation", "with_bias", "bits"),
    [(1, 1, False, 8), (3, 1, True, 8), (7, 3, True, 8), (5, 5, False, 8), (7, 3, True, 7)],
)
def test_rewrite_computes_the_same_convolution(
    tmp_path: Path, kernel: int, dilation: int, with_bias: bool, bits: int
) -> None:
    c_in, c_out, length = MIN_IN_CHANNELS, 24, 37
    model, weights, bias = _quantized_conv_graph(c_in, c_out, kernel, dilation, with_bias)
    onnx.save(model, tmp_path / "conv.onnx")
    report = rewrite_model(tmp_path / "conv.onnx", tmp_path / "conv.fast.onnx", weight_bits=bits)
    assert (report.rewritten, report.kept, report.weight_bits) == (1, 0, bits)
    fast = onnx.load(tmp_path / "conv.fast.onnx")
    assert conv_integer_count(fast.graph.node) == 0
    assert any(node.op_type == "MatMulInteger" for node in fast.graph.node)
    wcol = next(numpy_helper.to_array(i) for i in fast.graph.initializer if i.name.endswith("wcol"))
    assert wcol.dtype == np.int8
    assert np.abs(wcol.astype(np.int16)).max() == (64 if bits == 7 else 128)

    x = np.random.default_rng(7).normal(size=(1, c_in, length)).astype(np.float32)
    original = ort.InferenceSession(str(tmp_path / "conv.onnx")).run(None, {"x": x})[0]
    result = open_session(tmp_path / "conv.fast.onnx").run(None, {"x": x})[0]
    reference = _reference_conv(x, weights, bias, dilation)
    assert result.shape == original.shape == (1, c_out, length)
    # Quantizing the input costs a little; the 8-bit rewrite itself adds almost nothing: it is
    # exact integer arithmetic, and its float bias is if anything closer than the floored one.
    # 7 bits round each weight by up to half a (doubled) step: a little more error.
    tolerance = 0.02 * float(np.abs(reference).max())
    assert np.abs(original - reference).max() < tolerance
    assert np.abs(result - reference).max() < tolerance
    closeness = 1e-2 if bits == 8 else 2e-2
    assert np.abs(result - original).max() <= float(np.abs(original).max()) * closeness


def test_weight_bits_are_checked_and_recommended(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="weight_bits must be 7 or 8"):
        rewrite_model(tmp_path / "any.onnx", tmp_path / "out.onnx", weight_bits=6)
    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine() != "x86_64" or not cpuinfo.is_file():
        pytest.skip("the VNNI check is exercised on x86-64 Linux")
    flags = set(cpuinfo.read_text().split())
    expected = 8 if {"avx512_vnni", "avx_vnni"} & flags else 7
    assert recommended_weight_bits() == expected
    model, _, _ = _quantized_conv_graph(MIN_IN_CHANNELS, 8, 3, 1, True)
    onnx.save(model, tmp_path / "conv.onnx")
    report = rewrite_model(tmp_path / "conv.onnx", tmp_path / "conv.fast.onnx")
    assert report.weight_bits == expected


def test_small_and_strided_convolutions_are_kept(tmp_path: Path) -> None:
    model, _, _ = _quantized_conv_graph(MIN_IN_CHANNELS - 1, 8, 3, 1, True)
    onnx.save(model, tmp_path / "small.onnx")
    report = rewrite_model(tmp_path / "small.onnx", tmp_path / "small.fast.onnx")
    assert (report.rewritten, report.kept) == (0, 1)
    assert report.kept_reasons == {f"fewer than {MIN_IN_CHANNELS} input channels": 1}

    model, _, _ = _quantized_conv_graph(MIN_IN_CHANNELS, 8, 3, 1, True)
    conv = next(node for node in model.graph.node if node.op_type == "ConvInteger")
    next(a for a in conv.attribute if a.name == "strides").ints[:] = [2]
    onnx.save(model, tmp_path / "strided.onnx")
    report = rewrite_model(tmp_path / "strided.onnx", tmp_path / "strided.fast.onnx")
    assert report.kept_reasons == {"strided": 1}

    model, _, _ = _quantized_conv_graph(MIN_IN_CHANNELS, 8, 3, 1, True)
    weights = next(init for init in model.graph.initializer if init.name == "w_q")
    too_wide = numpy_helper.to_array(weights).copy()
    too_wide[0, 0, 0] = 0  # 0 - 131 does not fit int8
    weights.CopyFrom(numpy_helper.from_array(too_wide, "w_q"))
    onnx.save(model, tmp_path / "wide.onnx")
    report = rewrite_model(tmp_path / "wide.onnx", tmp_path / "wide.fast.onnx")
    assert report.kept_reasons == {"weights outside int8 after centering": 1}


def test_unreadable_model_raises_and_writes_nothing(tmp_path: Path) -> None:
    src, dst = tmp_path / "broken.onnx", tmp_path / "broken.fast.onnx"
    src.write_bytes(b"this is not a protobuf")
    with pytest.raises(ModelError, match="could not read the ONNX model"):
        rewrite_model(src, dst)
    assert list(tmp_path.iterdir()) == [src]


def test_fast_model_path_sits_beside_the_original() -> None:
    assert fast_model_path(Path("/m/kokoro-v1.0.int8.onnx")) == Path(
        "/m/kokoro-v1.0.int8.fast.onnx"
    )


# ---------------------------------------------------------------- session options


def test_session_options() -> None:
    options = make_session_options(3)
    assert options.intra_op_num_threads == 3
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.enable_cpu_mem_arena
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    disabled = options.get_session_config_entry("optimization.disable_specified_optimizers")
    assert disabled.split(";") == list(DISABLED_OPTIMIZERS)

    single = make_session_options(1)
    assert single.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert make_session_options().intra_op_num_threads == min(available_cores(), MAX_THREADS)


# ---------------------------------------------------------------- the real model


@pytest.mark.slow
@pytest.mark.model
def test_report_counts(rewritten: tuple[Path, RewriteReport], int8_model: Path) -> None:
    dst, report = rewritten
    # docs/design.md: 83 of the model's 87 ConvInteger nodes qualify; three are strided (F0/N
    # downsampling, the first noise conv) and one has 22 input channels (the second noise conv).
    assert report.rewritten == 83
    assert report.kept == 4
    assert report.kept_reasons == {
        "strided": 3,
        f"fewer than {MIN_IN_CHANNELS} input channels": 1,
    }
    fast = onnx.load(dst)
    onnx.checker.check_model(fast)
    assert conv_integer_count(fast.graph.node) == 4
    assert conv_integer_count(onnx.load(int8_model).graph.node) == 87
    assert [out.name for out in fast.graph.output] == ["audio"]
    assert not list(dst.parent.glob(".*.tmp"))


@pytest.mark.slow
@pytest.mark.model
def test_rewrite_is_deterministic_and_idempotent(
    rewritten: tuple[Path, RewriteReport], int8_model: Path, tmp_path: Path
) -> None:
    dst, _ = rewritten
    again = tmp_path / "again.onnx"
    rewrite_model(int8_model, again, weight_bits=8)
    assert again.read_bytes() == dst.read_bytes()

    twice = tmp_path / "twice.onnx"
    report = rewrite_model(dst, twice, weight_bits=8)
    assert (report.rewritten, report.kept) == (0, 4)
    assert twice.read_bytes() == dst.read_bytes()


@pytest.mark.slow
@pytest.mark.model
def test_rewritten_model_speaks_the_same(
    sessions: tuple[ort.InferenceSession, ort.InferenceSession], model_inputs: ModelInputs
) -> None:
    original, fast = sessions
    for index, phonemes in enumerate(SENTENCES.values()):
        for voice in (VOICES[index % len(VOICES)], VOICES[(index + 1) % len(VOICES)]):
            feeds = model_inputs.feeds(phonemes, voice)
            expected = original.run(["audio"], feeds)[0]
            got = fast.run(["audio"], feeds)[0]
            where = f"{voice}: {phonemes}"
            # Durations come from the text side, which the rewrite touches little: exact.
            assert got.shape == expected.shape, where
            assert np.isfinite(got).all(), where
            energy = np.corrcoef(_frame_log_energy(expected), _frame_log_energy(got))[0, 1]
            assert energy > 0.99, f"{where}: frame-energy correlation {energy:.4f}"
            waveform = np.corrcoef(expected, got)[0, 1]
            assert waveform > 0.9, f"{where}: waveform correlation {waveform:.4f}"
            rms_expected, rms_got = np.sqrt(np.mean(expected**2)), np.sqrt(np.mean(got**2))
            assert abs(rms_got / rms_expected - 1) < 0.05, where


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.asr
def test_rewritten_model_is_understood(
    sessions: tuple[ort.InferenceSession, ort.InferenceSession], model_inputs: ModelInputs
) -> None:
    from tests.asr import transcribe, word_error_rate

    _, fast = sessions
    for index, (text, phonemes) in enumerate(list(SENTENCES.items())[:3]):
        audio = fast.run(["audio"], model_inputs.feeds(phonemes, VOICES[index]))[0]
        heard = transcribe(audio)
        assert word_error_rate(text, heard) <= 0.1, f"said {text!r}, heard {heard!r}"


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.asr
def test_seven_bit_rewrite_speaks_the_same(
    int8_model: Path,
    sessions: tuple[ort.InferenceSession, ort.InferenceSession],
    model_inputs: ModelInputs,
    tmp_path: Path,
) -> None:
    """The saturation-proof variant for CPUs without VNNI: same timing, envelope and words
    (its waveform phase drifts from the original's, so no sample-level comparison)."""
    from tests.asr import transcribe, word_error_rate

    dst = tmp_path / "seven.onnx"
    report = rewrite_model(int8_model, dst, weight_bits=7)
    assert (report.rewritten, report.kept, report.weight_bits) == (83, 4, 7)
    original, _ = sessions
    seven = open_session(dst)
    for index, (text, phonemes) in enumerate(list(SENTENCES.items())[1:3]):
        feeds = model_inputs.feeds(phonemes, VOICES[index])
        expected = original.run(["audio"], feeds)[0]
        got = seven.run(["audio"], feeds)[0]
        assert got.shape == expected.shape, text
        energy = np.corrcoef(_frame_log_energy(expected), _frame_log_energy(got))[0, 1]
        assert energy > 0.99, f"{text}: frame-energy correlation {energy:.4f}"
        rms_expected, rms_got = np.sqrt(np.mean(expected**2)), np.sqrt(np.mean(got**2))
        assert abs(rms_got / rms_expected - 1) < 0.15, text
        heard = transcribe(got)
        assert word_error_rate(text, heard) <= 0.1, f"said {text!r}, heard {heard!r}"
