"""Settings from KOKORO_MCP_* variables and flags: parsed, validated, clear errors."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import pytest

from kokoro_mcp.cli import UsageError, build_parser, flag_overrides
from kokoro_mcp.config import BOOL, SETTINGS, ConfigError, Settings, from_env, parse_device, to_env


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
            "KOKORO_MCP_AUDIO_LATENCY": "0.04",
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
    assert settings.audio_latency == 0.04


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


# -- every setting is described once; the rest follows from the description ------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_settings() -> dict[str, tuple[set[str], str]]:
    """README's Configuration table: variable -> (flags, default column)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[set[str], str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`KOKORO_MCP_"):
            flags = set(re.findall(r"`(-[-\w]+)`", cells[1]))
            rows[cells[0].strip("`")] = (flags, cells[2])
    return rows


def test_readme_lists_exactly_the_described_settings() -> None:
    rows = _readme_settings()
    assert set(rows) == {described.env for described in SETTINGS}
    for described in SETTINGS:
        flags, default = rows[described.env]
        if described.kind is BOOL:  # a switch may be shown by its --no- form
            flags = {flag.replace("--no-", "--") for flag in flags}
        assert flags == set(described.flags), described.env
        if isinstance(described.default, (str, int, float)) and not isinstance(
            described.default, bool
        ):
            assert default == f"`{described.default}`", described.env


def test_each_setting_has_one_field_and_one_variable() -> None:
    assert [described.name for described in SETTINGS] == [f.name for f in fields(Settings)]
    assert len({described.env for described in SETTINGS}) == len(SETTINGS)
    flags = [flag for described in SETTINGS for flag in described.flags]
    assert len(flags) == len(set(flags))


def test_settings_survive_the_trip_through_the_environment() -> None:
    """doctor hands its settings to a child server as variables: nothing may change."""
    chosen = Settings(
        voice="bm_george",
        speed=1.25,
        mode="queue",
        model_dir=Path("/tmp/models"),
        engine="onnx",
        device="tts_sink",
        keep_alive=True,
        max_queue=3,
        audio_latency=0.04,
        code_blocks="skip",
        load_timeout=12.5,
    )
    assert from_env(to_env(chosen)) == chosen
    assert from_env(to_env(Settings())) == Settings()
    assert from_env(to_env(replace(chosen, device=2, keep_alive=False))).device == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--voice", "bm_george", "--max-queue", "3"], {"voice": "bm_george", "max_queue": 3}),
        (["serve", "--mode", "queue", "--keep-alive"], {"mode": "queue", "keep_alive": True}),
        (["--speed", "1.5", "say", "-v", "bf_emma", "hi"], {"speed": 1.5, "voice": "bf_emma"}),
        (["say", "--device", "3", "--audio-latency", "0.1"], {"device": 3, "audio_latency": 0.1}),
        (["model", "install", "--engine", "mlx"], {"engine": "mlx"}),
        (["voices", "--model-dir", "/tmp/m"], {"model_dir": Path("/tmp/m")}),
        (["--no-keep-alive"], {"keep_alive": False}),
        (["say", "hi"], {}),
    ],
)
def test_flags_come_from_the_descriptions(args: list[str], expected: dict[str, object]) -> None:
    assert flag_overrides(build_parser().parse_args(args)) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["say", "--mode", "queue", "hi"],  # serve-only settings stay off other commands
        ["say", "--max-queue", "3", "hi"],
        ["voices", "--voice", "bm_george"],
        ["doctor", "--speed", "1.5"],
        ["--load-timeout", "5"],  # environment only
        ["--max-queue", "0"],  # flags are checked as they are read
        ["--audio-latency", "fast"],
    ],
)
def test_flags_outside_their_commands_or_range_are_usage_errors(args: list[str]) -> None:
    with pytest.raises(UsageError):
        build_parser().parse_args(args)


def test_a_flag_value_error_says_what_is_allowed() -> None:
    with pytest.raises(UsageError, match=r"max queue must be a whole number from 1 to 1000"):
        build_parser().parse_args(["--max-queue", "many"])
