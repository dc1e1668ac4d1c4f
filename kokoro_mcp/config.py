"""Settings from environment variables (KOKORO_MCP_*) and CLI flags, validated once at startup."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.limits import (
    DEFAULT_AUDIO_LATENCY,
    MAX_AUDIO_LATENCY,
    MAX_SPEED,
    MIN_AUDIO_LATENCY,
    MIN_SPEED,
)

ENV_PREFIX = "KOKORO_MCP_"
EngineName = Literal["auto", "onnx", "mlx"]
Mode = Literal["interrupt", "queue"]
CodeBlocks = Literal["placeholder", "skip"]
MODES: tuple[Mode, ...] = ("interrupt", "queue")
ENGINES: tuple[EngineName, ...] = ("auto", "onnx", "mlx")
CODE_BLOCK_CHOICES: tuple[CodeBlocks, ...] = ("placeholder", "skip")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(InvalidInputError):
    """A setting (env var or flag) has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    voice: str = "af_heart"
    speed: float = 1.0
    mode: Mode = "interrupt"
    model_dir: Path | None = None  # None: the per-user default folder
    engine: EngineName = "auto"
    device: str | int | None = None  # None: the system's default output
    keep_alive: bool = False
    max_queue: int = 16
    # Seconds of audio PortAudio keeps queued: lower starts and stops sooner, higher survives
    # a busy CPU without clicks (see limits.py for what was measured).
    audio_latency: float = DEFAULT_AUDIO_LATENCY
    code_blocks: CodeBlocks = "placeholder"
    load_timeout: float = 60.0  # how long a speak waits for the model to finish loading

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply CLI flags (None means "not given") and validate the result."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return validate(replace(self, **given))


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def _parse_number(name: str, raw: str, kind: type[float] | type[int]) -> Any:
    try:
        return kind(raw.strip())
    except ValueError as error:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from error


def parse_device(raw: str | int | None) -> str | int | None:
    """A device is an index ("3") or a name substring ("tts_sink"); empty means default."""
    if raw is None or isinstance(raw, int):
        return raw
    text = raw.strip()
    if not text or text.lower() == "default":
        return None
    return int(text) if text.isdigit() else text


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read KOKORO_MCP_* variables over the defaults; raise ConfigError on a bad value."""
    env = os.environ if environ is None else environ

    def get(key: str) -> str | None:
        value = env.get(ENV_PREFIX + key)
        return None if value is None or value.strip() == "" else value

    values: dict[str, Any] = {}
    if (raw := get("VOICE")) is not None:
        values["voice"] = raw.strip()
    if (raw := get("SPEED")) is not None:
        values["speed"] = _parse_number(ENV_PREFIX + "SPEED", raw, float)
    if (raw := get("MODE")) is not None:
        values["mode"] = raw.strip().lower()
    if (raw := get("MODEL_DIR")) is not None:
        values["model_dir"] = Path(raw).expanduser()
    if (raw := get("ENGINE")) is not None:
        values["engine"] = raw.strip().lower()
    if (raw := get("DEVICE")) is not None:
        values["device"] = parse_device(raw)
    if (raw := get("KEEP_ALIVE")) is not None:
        values["keep_alive"] = _parse_bool(ENV_PREFIX + "KEEP_ALIVE", raw)
    if (raw := get("MAX_QUEUE")) is not None:
        values["max_queue"] = _parse_number(ENV_PREFIX + "MAX_QUEUE", raw, int)
    if (raw := get("AUDIO_LATENCY")) is not None:
        values["audio_latency"] = _parse_number(ENV_PREFIX + "AUDIO_LATENCY", raw, float)
    if (raw := get("CODE_BLOCKS")) is not None:
        values["code_blocks"] = raw.strip().lower()
    if (raw := get("LOAD_TIMEOUT")) is not None:
        values["load_timeout"] = _parse_number(ENV_PREFIX + "LOAD_TIMEOUT", raw, float)
    return validate(Settings(**values))


def validate(settings: Settings) -> Settings:
    """Check every field; the message names the setting and the allowed values."""
    if not (isinstance(settings.speed, (int, float)) and math.isfinite(settings.speed)) or not (
        MIN_SPEED <= settings.speed <= MAX_SPEED
    ):
        raise ConfigError(
            f"speed must be between {MIN_SPEED} and {MAX_SPEED} (1.0 is normal),"
            f" got {settings.speed!r} (set {ENV_PREFIX}SPEED or --speed)"
        )
    if settings.mode not in MODES:
        raise ConfigError(
            f"mode must be one of {', '.join(MODES)}, got {settings.mode!r}"
            f" (set {ENV_PREFIX}MODE or --mode)"
        )
    if settings.engine not in ENGINES:
        raise ConfigError(
            f"engine must be one of {', '.join(ENGINES)}, got {settings.engine!r}"
            f" (set {ENV_PREFIX}ENGINE or --engine)"
        )
    if settings.code_blocks not in CODE_BLOCK_CHOICES:
        raise ConfigError(
            f"code blocks must be one of {', '.join(CODE_BLOCK_CHOICES)},"
            f" got {settings.code_blocks!r} (set {ENV_PREFIX}CODE_BLOCKS or --code-blocks)"
        )
    if not isinstance(settings.max_queue, int) or not (1 <= settings.max_queue <= 1000):
        raise ConfigError(
            f"max queue must be a whole number from 1 to 1000, got {settings.max_queue!r}"
            f" (set {ENV_PREFIX}MAX_QUEUE or --max-queue)"
        )
    latency = settings.audio_latency
    if not (isinstance(latency, (int, float)) and math.isfinite(latency)) or not (
        MIN_AUDIO_LATENCY <= latency <= MAX_AUDIO_LATENCY
    ):
        raise ConfigError(
            f"audio latency must be between {MIN_AUDIO_LATENCY} and {MAX_AUDIO_LATENCY} seconds,"
            f" got {latency!r} (set {ENV_PREFIX}AUDIO_LATENCY or --audio-latency;"
            f" {DEFAULT_AUDIO_LATENCY} is the default; raise it if playback clicks on a busy"
            " machine)"
        )
    if not (math.isfinite(settings.load_timeout) and 1 <= settings.load_timeout <= 600):
        raise ConfigError(
            f"load timeout must be between 1 and 600 seconds, got {settings.load_timeout!r}"
            f" (set {ENV_PREFIX}LOAD_TIMEOUT)"
        )
    if not settings.voice or not settings.voice.replace("_", "").isalnum():
        raise ConfigError(
            f"voice must be a Kokoro voice name such as af_heart, got {settings.voice!r}"
            f" (set {ENV_PREFIX}VOICE or --voice; `kokoro-mcp voices` lists them)"
        )
    return settings
