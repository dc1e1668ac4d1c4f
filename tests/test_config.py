"""Settings from KOKORO_MCP_* variables and flags: parsed, validated, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokoro_mcp.config import ConfigError, Settings, from_env, parse_device


def test_defaults() -> None:
    settings = from_env({})
    assert settings == Settings()
    assert settings.voice == "af_heart" and settings.mode == "interrupt"


def test_every_variable_is_read() -> None:
    settings = from_env(
        {
            "KOKORO_MCP_VOICE": "bm_george",
            "KOKORO_MCP_SPEED": "1.25",
            "KOKORO_MCP_MODE": "Queue",
            "KOKORO_MCP_MODEL_DIR": "~/models/kokoro",
            "KOKORO_MCP_ENGINE": "onnx",
            "KOKORO_MCP_DEVICE": "3",
            "KOKORO_MCP_KEEP_ALIVE": "yes",
            "KOKORO_MCP_MAX_QUEUE": "4",
            "KOKORO_MCP_CODE_BLOCKS": "skip",
            "KOKORO_MCP_LOAD_TIMEOUT": "30",
            "KOKORO_MCP_AUDIO_LATENCY": "0.025",
        }
    )
    assert settings.voice == "bm_george"
    assert settings.speed == 1.25
    assert settings.mode == "queue"
    assert settings.model_dir == Path("~/models/kokoro").expanduser()
    assert settings.engine == "onnx"
    assert settings.device == 3
    assert settings.keep_alive is True
    assert settings.max_queue == 4
    assert settings.code_blocks == "skip"
    assert settings.load_timeout == 30
    assert settings.audio_latency == 0.025


def test_empty_variables_mean_default() -> None:
    assert from_env({"KOKORO_MCP_SPEED": "", "KOKORO_MCP_DEVICE": " "}) == Settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SPEED", "fast", "KOKORO_MCP_SPEED='fast' is not a valid float"),
        ("SPEED", "nan", "speed must be between 0.5 and 2.0"),
        ("SPEED", "inf", "speed must be between 0.5 and 2.0"),
        ("SPEED", "0", "speed must be between 0.5 and 2.0"),
        ("SPEED", "-1", "speed must be between 0.5 and 2.0"),
        ("MODE", "shout", "mode must be one of interrupt, queue"),
        ("ENGINE", "cuda", "engine must be one of auto, onnx, mlx"),
        ("KEEP_ALIVE", "maybe", "is not a boolean"),
        ("MAX_QUEUE", "0", "max queue must be a whole number from 1 to 1000"),
        ("MAX_QUEUE", "2.5", "is not a valid int"),
        ("CODE_BLOCKS", "read", "code blocks must be one of placeholder, skip"),
        ("VOICE", "af heart; rm", "voice must be a Kokoro voice name"),
        ("LOAD_TIMEOUT", "0", "load timeout must be between 1 and 600"),
        ("AUDIO_LATENCY", "0", "audio latency must be between 0.01 and 0.5 seconds"),
        ("AUDIO_LATENCY", "nan", "audio latency must be between 0.01 and 0.5 seconds"),
        ("AUDIO_LATENCY", "2", "--audio-latency"),
        ("AUDIO_LATENCY", "50ms", "KOKORO_MCP_AUDIO_LATENCY='50ms' is not a valid float"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_env({f"KOKORO_MCP_{name}": value})


def test_flags_override_env_and_are_validated() -> None:
    base = from_env({"KOKORO_MCP_VOICE": "bf_emma"})
    assert base.with_overrides(voice=None, speed=1.5).voice == "bf_emma"
    assert base.with_overrides(voice="am_adam").voice == "am_adam"
    with pytest.raises(ConfigError, match="--speed"):
        base.with_overrides(speed=3.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("default", None), ("2", 2), ("tts_sink", "tts_sink"), (5, 5)],
)
def test_device_values(raw: str | int | None, expected: str | int | None) -> None:
    assert parse_device(raw) == expected
