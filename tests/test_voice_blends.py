"""Voice blends: `af_heart:0.6,bf_emma:0.4` wherever a voice is accepted.

The syntax and its errors without a model; the audio with the real model (a blend sounds like
neither parent, the same every time, whatever the spelling of its weights); the errors through
a real MCP client and through `kk`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

from kokoro_mcp.config import ConfigError, from_env
from kokoro_mcp.errors import InvalidInputError, UnsupportedLanguageError
from kokoro_mcp.voice_blend import canonical_voice, parse_voice
from tests.daemon_helpers import DaemonHome, run_kk
from tests.mcp_helpers import TONE, assert_plain_error, connect, error_text, structured

pytest_plugins = ["tests.model_fixtures"]

BLEND = "af_heart:0.6,bf_emma:0.4"
TEXT = "The quick brown fox jumps over the lazy dog."


# -- the syntax --------------------------------------------------------------------------------


def test_every_spelling_of_a_blend_has_one_canonical_form_heaviest_first() -> None:
    assert canonical_voice("bf_emma:2, af_heart:3") == BLEND  # normalised, reordered
    assert canonical_voice("af_heart:0.6,bf_emma:0.4") == BLEND
    assert canonical_voice("af_heart,bf_emma") == "af_heart:0.5,bf_emma:0.5"  # no weight: 1
    assert canonical_voice("af_heart") == "af_heart"  # a single voice is left alone
    blend = parse_voice("am_michael:1,bf_emma:1,bm_george:1")
    assert blend.lead == "am_michael"  # ties keep their order: the first decides
    assert sum(weight for _, weight in blend.parts) == pytest.approx(1.0)
    assert canonical_voice("af_heart:1,bf_emma:2") == "bf_emma:0.6667,af_heart:0.3333"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("af_heart:-0.5,bf_emma:1", "weight '-0.5' of af_heart is not a number above 0"),
        ("af_heart:0,bf_emma:0", "weight '0' of af_heart is not a number above 0"),
        ("af_heart:loud,bf_emma:1", "weight 'loud' of af_heart is not a number"),
        ("af_heart:nan,bf_emma:1", "weight 'nan' of af_heart is not a number above 0"),
        ("af_heart:1,bf_emma:1,am_adam:1,bm_lewis:1,af_sky:1", "has 5 parts, more than 4"),
        ("af_heart:0.5,af_heart:0.5", "names 'af_heart' twice"),
        ("af_heart:0.5,,bf_emma:0.5", "part '' does not start with a voice name"),
        ("../x:1,af_heart:1", "part '../x:1' does not start with a voice name"),
        ("af heart", "is not a voice name"),
    ],
)
def test_malformed_blends_are_refused_in_one_sentence(spec: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_voice(spec)
    message = str(caught.value)
    assert says in message, message
    assert "e.g. af_heart" in message  # and what to write instead
    assert_plain_error(message)


def test_the_voice_setting_takes_blends_and_refuses_bad_weights() -> None:
    assert from_env({"KOKORO_MCP_VOICE": "af_heart:3,bf_emma:2"}).voice == "af_heart:3,bf_emma:2"
    with pytest.raises(ConfigError) as caught:
        from_env({"KOKORO_MCP_VOICE": "af_heart:-1,bf_emma:2"})
    assert str(caught.value).startswith(
        "voice must be a Kokoro voice name such as af_heart, or a blend such as"
        " af_heart:0.6,bf_emma:0.4, got 'af_heart:-1,bf_emma:2': the blend weight '-1' of"
        " af_heart is not a number above 0 (set KOKORO_MCP_VOICE or --voice"
    ), caught.value


# -- the audio (real model) ----------------------------------------------------------------------


def _say(engine: Any, voice: str) -> np.ndarray:
    engine.clear_cache()  # synthesized now, not served from the audio cache
    return np.concatenate([chunk.samples for chunk in engine.stream(TEXT, voice)])


@pytest.mark.slow
def test_blend_audio_differs_from_both_parents_and_is_the_same_every_time(
    onnx_engine: Any,
) -> None:
    heart, emma = _say(onnx_engine, "af_heart"), _say(onnx_engine, "bf_emma")
    mixed_before = onnx_engine._blends.mixed
    blend = _say(onnx_engine, BLEND)
    for parent in (heart, emma):
        common = min(len(parent), len(blend))
        # Not a parent's audio: another length, or clearly other samples.
        assert len(parent) != len(blend) or np.max(np.abs(parent[:common] - blend)) > 0.05
    assert np.array_equal(blend, _say(onnx_engine, BLEND))  # deterministic
    # Another spelling of the same weights is the same voice, mixed once and then cached.
    assert np.array_equal(blend, _say(onnx_engine, "bf_emma:2,af_heart:3"))
    assert onnx_engine._blends.mixed == mixed_before + 1
    table = onnx_engine._voice_table(BLEND)
    expected = 0.6 * onnx_engine._voice_table("af_heart") + 0.4 * onnx_engine._voice_table(
        "bf_emma"
    )
    assert table.dtype == np.float32 and np.allclose(table, expected, atol=1e-6)


def test_the_heaviest_voice_decides_the_language(onnx_engine: Any) -> None:
    british = onnx_engine.check_voice("af_heart:0.3,bf_emma:0.7")
    assert british.name == "bf_emma:0.7,af_heart:0.3"
    assert (british.language, british.gender) == ("en-GB", "female")
    # British G2P for the blend, American for the same voices weighted the other way.
    assert onnx_engine.phonemize("tomato", british.name) == onnx_engine.phonemize(
        "tomato", "bf_emma"
    )
    assert onnx_engine.phonemize("tomato", BLEND) == onnx_engine.phonemize("tomato", "af_heart")
    assert onnx_engine.check_voice("af_heart:0.5,am_adam:0.5").gender == "mixed"
    # A blend led by a voice whose language this install cannot pronounce is refused.
    with pytest.raises(UnsupportedLanguageError, match="Japanese"):
        list(onnx_engine.split_for_model("hello", "jf_alpha:0.6,af_heart:0.4", first=True))


def test_an_unknown_name_in_a_blend_gets_the_single_voice_error(onnx_engine: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        onnx_engine.check_voice("af_heart:0.6,bf_emmma:0.4")
    message = str(caught.value)
    assert message.startswith("unknown voice 'bf_emmma'. Did you mean bf_emma")
    assert_plain_error(message)


# -- through MCP and kk (tone engine: the checks, not the sound) ---------------------------------


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_blends_through_a_real_mcp_client() -> None:
    async def run() -> None:
        async with connect(TONE) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert "af_heart:0.6,bf_emma:0.4" in (tools["list_voices"].description or "")
            assert "blend" in tools["speak"].input_schema["properties"]["voice"]["description"]
            spoken = structured(
                await session.call_tool(
                    "speak", {"text": "Blended.", "voice": "bf_emma:2,af_heart:3", "wait": True}
                )
            )
            assert spoken["voice"] == BLEND and spoken["state"] == "finished"
            for voice, says in (
                ("af_heart:-1,bf_emma:2", "weight '-1' of af_heart is not a number above 0"),
                ("af_heart:x,bf_emma:2", "weight 'x' of af_heart is not a number"),
                ("af_heart,af_heart", "names 'af_heart' twice"),
                ("af_heart,bf_emma,am_michael,bm_george,af_heart", "more than 4"),
                ("af_heart:0.6,bf_emmma:0.4", "unknown voice 'bf_emmma'. Did you mean bf_emma"),
            ):
                result = await session.call_tool("speak", {"text": "Hello.", "voice": voice})
                assert result.is_error, voice
                assert says in error_text(result), error_text(result)
                assert_plain_error(error_text(result))

    anyio.run(run)


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_blends_through_kk() -> None:
    with DaemonHome() as home:
        bad = run_kk(home, "-v", "af_heart:-1,bf_emma:2", "say", "Hello.")
        assert bad.returncode == 2, bad.stderr
        assert "voice must be a Kokoro voice name such as af_heart, or a blend" in bad.stderr
        assert "the blend weight '-1' of af_heart is not a number above 0" in bad.stderr
        unknown = run_kk(home, "-v", "af_heart:0.6,bf_emmma:0.4", "say", "Hello.")
        assert unknown.returncode == 2, unknown.stderr  # as a bad -v is
        assert "unknown voice 'bf_emmma'. Did you mean bf_emma" in unknown.stderr
        good = run_kk(home, "-v", "af_heart:0.6,bf_emma:0.4", "say", "Hello.")
        assert good.returncode == 0, good.stderr


def test_kokoro_mcp_say_takes_a_blend_and_refuses_a_bad_one(tmp_path: Path) -> None:
    from tests.mcp_helpers import PYTHON, REPO, server_env

    def say(voice: str, out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, "-m", "kokoro_mcp", "say", "-v", voice, "-o", str(out), "Blended words."],
            env=server_env(TONE), cwd=str(REPO), capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    good = say("bf_emma:2,af_heart:3", tmp_path / "blend.wav")
    assert good.returncode == 0 and (tmp_path / "blend.wav").stat().st_size > 44, good.stderr
    bad = say("af_heart:0,bf_emma:1", tmp_path / "bad.wav")
    assert bad.returncode == 2 and not (tmp_path / "bad.wav").exists(), bad.stderr
    assert "got 'af_heart:0,bf_emma:1': the blend weight '0' of af_heart" in bad.stderr
    unknown = say("af_heart:0.5,bf_emmma:0.5", tmp_path / "unknown.wav")
    assert unknown.returncode == 2 and "unknown voice 'bf_emmma'" in unknown.stderr
