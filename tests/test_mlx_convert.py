"""ONNX -> mlx-audio conversion: the weights file keeps the converter's promise (names, shapes,
dtypes), fits mlx-audio's own Kokoro model built from the written config, and is reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kokoro_mcp.errors import ModelError
from kokoro_mcp.model.layout import read_voice_file
from kokoro_mcp.model.mlx_convert import (
    CONFIG_NAME,
    EXPECTED_TENSORS,
    MLX_SUBDIR,
    REPORT_NAME,
    VOICES_DIR,
    WEIGHTS_NAME,
    convert_onnx_to_mlx,
    install_mlx_weights,
    read_report,
)
from kokoro_mcp.model.mlx_onnx_weights import module_path, split_weight_norm
from kokoro_mcp.model.mlx_safetensors import read_header
from kokoro_mcp.model.storage import sha256_of

pytest_plugins = ["tests.model_fixtures"]

heavy = [pytest.mark.model, pytest.mark.mlx]


@pytest.fixture(scope="module")
def converted(mlx_model_dir: Path) -> Path:
    return mlx_model_dir / MLX_SUBDIR


# -- fast unit checks (no model) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant", "text_encoder.cnn.0.0"),
        ("/encoder/F0.1/conv1x1/Conv_quant", "predictor.F0.1.conv1x1"),
        ("/encoder/shared/LSTM_quant", "predictor.shared"),
        ("/encoder/predictor/text_encoder/lstms.2/LSTM_quant", "predictor.text_encoder.lstms.2"),
        ("/encoder/bert_encoder/MatMul_quant", "bert_encoder"),
        (
            "/encoder/bert/encoder/albert_layer_groups.0/albert_layers.0/attention/query_3/MatMul_quant",
            "bert.encoder.albert_layer_groups.0.albert_layers.0.attention.query",
        ),
        ("/decoder/decoder/asr_res/asr_res.0/Conv_quant", "decoder.asr_res.0"),
        (
            "/decoder/decoder/generator/resblocks.4/convs2.1/Conv_quant",
            "decoder.generator.resblocks.4.convs2.1",
        ),
    ],
)
def test_module_path_follows_pytorch_names(node: str, expected: str) -> None:
    assert module_path(node) == expected


def test_module_path_refuses_foreign_nodes() -> None:
    with pytest.raises(ModelError, match="not under /encoder or /decoder"):
        module_path("/something/else/Conv")


def test_weight_norm_split_round_trips_and_survives_zero_channels() -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((4, 3, 5)).astype(np.float32)
    weight[2] = 0.0  # int8 rounding left this channel empty
    v, g, zero = split_weight_norm(weight)
    assert zero == 1
    assert g.shape == (4, 1, 1)
    norms = np.sqrt(np.sum(v.astype(np.float64) ** 2, axis=(1, 2), keepdims=True))
    assert np.all(norms > 0), "every v must have a norm, else g*v/|v| is 0/0"
    rebuilt = g * v / norms
    np.testing.assert_allclose(rebuilt, weight, rtol=1e-5, atol=1e-7)
    assert np.all(rebuilt[2] == 0)


def test_missing_voices_are_refused(tmp_path: Path) -> None:
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"not used")
    with pytest.raises(ModelError, match=r"no voices \(\*\.bin\)"):
        convert_onnx_to_mlx(onnx, tmp_path / "voices", {"a": 1}, tmp_path / "out")


# -- the real conversion -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_report_promises_exactly_what_the_weights_file_holds(converted: Path) -> None:
    report = read_report(converted)
    assert report is not None
    header = read_header(converted / report["weights"])
    header.pop("__metadata__", None)
    in_file = {
        name: (tuple(entry["shape"]), {"F32": "float32"}[entry["dtype"]])
        for name, entry in header.items()
    }
    promised = {t["name"]: (tuple(t["shape"]), t["dtype"]) for t in report["tensors"]}
    assert in_file == promised
    assert len(promised) == EXPECTED_TENSORS
    assert report["synthesized"] == ["bert.pooler.bias", "bert.pooler.weight"]


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_weights_fit_mlx_audios_model_built_from_the_config(converted: Path) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_audio.tts.models.kokoro import Model, ModelConfig

    config = json.loads((converted / CONFIG_NAME).read_text(encoding="utf-8"))
    model = Model(ModelConfig.from_dict(config))
    expected = {name: tuple(value.shape) for name, value in tree_flatten(model.parameters())}
    loaded = mx.load(str(converted / WEIGHTS_NAME))
    assert isinstance(loaded, dict)
    sanitized = model.sanitize(loaded)
    got = {name: tuple(value.shape) for name, value in sanitized.items()}
    assert sorted(set(expected) - set(got)) == [], "parameters the file does not provide"
    assert sorted(set(got) - set(expected)) == [], "tensors mlx-audio has no place for"
    assert {n: s for n, s in got.items() if s != expected[n]} == {}
    assert all(value.dtype == mx.float32 for value in sanitized.values())
    model.load_weights(list(sanitized.items()), strict=True)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_weight_norm_pairs_rebuild_finite_weights(converted: Path) -> None:
    import mlx.core as mx

    loaded = mx.load(str(converted / WEIGHTS_NAME))
    assert isinstance(loaded, dict)
    empty_channels = 0
    for name in sorted(n for n in loaded if n.endswith(".weight_g")):
        g = np.array(loaded[name])
        v = np.array(loaded[name.removesuffix("_g") + "_v"])
        norms = np.sqrt(np.sum(v.astype(np.float64) ** 2, axis=(1, 2), keepdims=True))
        assert np.all(norms > 0), name
        assert np.isfinite(g * v / norms).all(), name
        empty_channels += int(np.sum(g == 0))
    report = read_report(converted)
    assert report is not None
    assert empty_channels == report["zero_channels"] > 0


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_voices_are_the_raw_voices_unchanged(converted: Path, mlx_model_dir: Path) -> None:
    import mlx.core as mx

    raw_voices = sorted((mlx_model_dir / VOICES_DIR).glob("*.bin"))
    assert len(raw_voices) >= 50
    assert sorted(p.stem for p in (converted / VOICES_DIR).glob("*.safetensors")) == [
        p.stem for p in raw_voices
    ]
    for raw in raw_voices[:: max(1, len(raw_voices) // 8)] + raw_voices[-1:]:
        loaded = mx.load(str(converted / VOICES_DIR / f"{raw.stem}.safetensors"))
        assert isinstance(loaded, dict)
        expected = read_voice_file(raw)
        np.testing.assert_array_equal(np.array(loaded["voice"]), expected)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_conversion_is_reproducible_and_replaces_atomically(
    converted: Path, mlx_model_dir: Path, tmp_path: Path
) -> None:
    vocab = json.loads((mlx_model_dir / "config.json").read_text(encoding="utf-8"))["vocab"]
    out = tmp_path / "again"
    (out / VOICES_DIR).mkdir(parents=True)
    (out / "stale.safetensors").write_bytes(b"left from an older conversion")
    report = convert_onnx_to_mlx(
        mlx_model_dir / "kokoro-v1.0.int8.onnx", mlx_model_dir / VOICES_DIR, vocab, out
    )
    assert report.out_dir == out and len(report.tensors) == EXPECTED_TENSORS
    assert not (out / "stale.safetensors").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"], "no temporary folders left"
    for name in (WEIGHTS_NAME, CONFIG_NAME, REPORT_NAME, f"{VOICES_DIR}/af_heart.safetensors"):
        assert sha256_of(out / name) == sha256_of(converted / name), name


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_a_rewritten_graph_is_refused(model_dir: Path, tmp_path: Path) -> None:
    fast = model_dir / "kokoro-v1.0.int8.fast.onnx"
    if not fast.is_file():
        pytest.skip("no rewritten graph installed")
    vocab = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["vocab"]
    with pytest.raises(ModelError, match=r"not the int8 Kokoro v1\.0 export"):
        convert_onnx_to_mlx(fast, model_dir / VOICES_DIR, vocab, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.mlx
def test_install_is_a_no_op_once_converted(mlx_model_dir: Path) -> None:
    steps: list[str] = []
    assert install_mlx_weights(mlx_model_dir, on_step=steps.append) is None
    assert steps and "already converted" in steps[0]
