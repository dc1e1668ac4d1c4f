"""Every tool's arguments, described once: the JSON schema clients see, the strict checks, and
the one-sentence errors. The MCP server (both fronts) and the daemon's socket use it, so a bad
argument gets the same answer wherever it arrives.

Checks are strict on purpose: JSON `true` is not the number 1 and the string "yes" is not a
boolean; a model that sends either should hear what to send instead, not be guessed at. Values
are quoted back cut short, so a 100,000-character mistake gives a short error.
Standard library only: the thin MCP proxy imports it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kokoro_mcp.config import CODE_BLOCK_CHOICES, MODES, PRIORITIES
from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.limits import (
    MAX_REPLACE_KEY_CHARS,
    MAX_SPEED,
    MAX_TTL_SECONDS,
    MIN_SPEED,
    MIN_TTL_SECONDS,
)
from kokoro_mcp.voice_blend import BLEND_EXAMPLE, MAX_BLEND_VOICES, MAX_VOICE_CHARS

Kind = Literal["string", "number", "boolean"]

SHOWN_CHARS = 40  # how much of a rejected value or name an error quotes back
MAX_NAME_CHARS = 64  # request ids, client names and other short identifiers
MAX_FILE_NAME_CHARS = 120


@dataclass(frozen=True)
class Argument:
    name: str
    kind: Kind
    description: str
    accepts: str  # completes "<name> must be ...": what a caller may send
    required: bool = False
    nullable: bool = True  # null means "use the default"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    min_length: int | None = None  # of the text without surrounding spaces
    default: Any = None

    def schema(self) -> dict[str, Any]:
        """This argument as JSON Schema (the shape pydantic gives an optional field)."""
        own: dict[str, Any] = {}
        if self.choices:
            own["enum"] = list(self.choices)
        if self.minimum is not None:
            own["minimum"] = self.minimum
        if self.maximum is not None:
            own["maximum"] = self.maximum
        if self.min_length is not None:
            own["minLength"] = self.min_length
        if self.max_length is not None:
            own["maxLength"] = self.max_length
        own["type"] = self.kind
        described = {"description": self.description, "title": _title(self.name)}
        if self.required:
            return {**described, **own}
        if not self.nullable:
            return {"default": self.default, **described, **own}
        return {"anyOf": [own, {"type": "null"}], "default": self.default, **described}

    def check(self, value: Any) -> Any:
        """`value` if it is acceptable, else InvalidInputError naming what is accepted."""
        if value is None and self.nullable and not self.required:
            return self.default
        if self.fits(value):
            return float(value) if self.kind == "number" else value
        raise InvalidInputError(f"{self.name} must be {self.accepts}; got {shown(value)}.")

    def fits(self, value: Any) -> bool:
        if self.kind == "boolean":
            return isinstance(value, bool)
        if self.kind == "number":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            try:
                number = float(value)  # an integer of 400 digits does not fit
            except OverflowError:
                return False
            return (
                math.isfinite(number)
                and (self.minimum is None or number >= self.minimum)
                and (self.maximum is None or number <= self.maximum)
            )
        if not isinstance(value, str):
            return False
        if self.choices and value not in self.choices:
            return False
        if self.min_length is not None and len(value.strip()) < self.min_length:
            return False
        return self.max_length is None or len(value) <= self.max_length


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shown(value: Any) -> str:
    """`value` as JSON cut to a few dozen characters, with its kind: `"yes" (a string)`."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + f"… ({len(text):,} characters)"
    kind = _kind_of(value)
    return text if kind == "null" else f"{text} ({kind})"


def short_name(name: Any) -> str:
    """A caller-supplied name cut short and quoted, for errors."""
    text = str(name)
    return repr(text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else ""))


TEXT = Argument(
    "text",
    "string",
    "What to say: one to three plain sentences, no markdown or code.",
    'the words to say as a string, e.g. "Build finished."',
    required=True,
)
VOICE = Argument(
    "voice",
    "string",
    "Voice name, e.g. af_heart or bm_george (see list_voices), or a blend of up to"
    f" {MAX_BLEND_VOICES} voices with weights, e.g. {BLEND_EXAMPLE}. Omit for the default.",
    f"a voice name such as af_heart (see list_voices) or a blend such as {BLEND_EXAMPLE}",
    max_length=MAX_VOICE_CHARS,
)
SPEED = Argument(
    "speed",
    "number",
    f"Speaking rate from {MIN_SPEED} to {MAX_SPEED}; 1.0 is normal. Omit for the default.",
    f"a number from {MIN_SPEED} to {MAX_SPEED} (1.0 is normal)",
    minimum=MIN_SPEED,
    maximum=MAX_SPEED,
)
MODE = Argument(
    "mode",
    "string",
    "interrupt: cut off current speech and say this now; queue: say it after the speech"
    " already playing or queued. Omit for the default (normally interrupt).",
    " or ".join(repr(mode) for mode in MODES),
    choices=MODES,
)
WAIT = Argument(
    "wait",
    "boolean",
    "false (default): return once accepted. true: return when playback ends, with"
    " progress per chunk; cancelling the request stops the speech.",
    "true or false",
    nullable=False,
    default=False,
)
PRIORITY = Argument(
    "priority",
    "string",
    "normal (default): wait your turn. high: urgent; plays before all waiting speech, cutting"
    " in where the sentence playing now ends (that speech continues afterwards). low: only if"
    " nothing else is playing or queued, else dropped (the result says so).",
    " or ".join(repr(choice) for choice in PRIORITIES),
    choices=PRIORITIES,
    default="normal",
)
TTL = Argument(
    "ttl",
    "number",
    "Seconds this may wait to start; if it cannot start in time it is dropped (the result"
    " with wait=true, and status, say so). Omit to wait as long as it takes.",
    f"a number of seconds from {MIN_TTL_SECONDS:g} to {MAX_TTL_SECONDS:g}",
    minimum=MIN_TTL_SECONDS,
    maximum=MAX_TTL_SECONDS,
)
REPLACE = Argument(
    "replace",
    "string",
    'A short key naming the topic, e.g. "build:my-app": a newer speak with the same key'
    " replaces this one if it is still queued, or ends it after its current sentence if it"
    " is playing, so only the latest news is heard.",
    f'a key of 1 to {MAX_REPLACE_KEY_CHARS} characters, e.g. "build:my-app"',
    min_length=1,
    max_length=MAX_REPLACE_KEY_CHARS,
)
# Not an MCP argument: `kk say --code-blocks` sends it over the daemon's socket.
CODE_BLOCKS = Argument(
    "code_blocks",
    "string",
    "How fenced code is spoken.",
    " or ".join(repr(choice) for choice in CODE_BLOCK_CHOICES),
    choices=CODE_BLOCK_CHOICES,
)

SPEAK = (TEXT, VOICE, SPEED, MODE, WAIT, PRIORITY, TTL, REPLACE)

FILE_TEXT = Argument(
    "text",
    "string",
    "What to record: plain sentences (markdown and code are prepared as for speak).",
    'a string: the words to record, e.g. "Welcome to the weekly summary."',
    required=True,
)
FILE_NAME = Argument(
    "file_name",
    "string",
    "Name of the WAV file inside the configured speech folder, e.g. summary.wav: no folders"
    " and no '..'; .wav is added when missing. Omit for a name with the date and time.",
    "a plain file name such as summary.wav",
    max_length=MAX_FILE_NAME_CHARS,
)
OVERWRITE = Argument(
    "overwrite",
    "boolean",
    "true replaces a file of the same name; false (default) refuses to.",
    "true or false",
    nullable=False,
    default=False,
)
SAVE_SPEECH = (FILE_TEXT, FILE_NAME, VOICE, SPEED, OVERWRITE)

# Every MCP tool's arguments, in the order clients list them.
TOOL_ARGUMENTS: dict[str, tuple[Argument, ...]] = {
    "speak": SPEAK,
    "save_speech": SAVE_SPEECH,
    "pause": (),
    "resume": (),
    "stop": (),
    "status": (),
    "list_voices": (),
}


def input_schema(tool: str) -> dict[str, Any]:
    """The JSON Schema of `tool`'s arguments, as `tools/list` shows it."""
    accepted = TOOL_ARGUMENTS[tool]
    schema: dict[str, Any] = {
        "properties": {argument.name: argument.schema() for argument in accepted},
        "type": "object",
        "title": f"{tool}Arguments",
    }
    required = [argument.name for argument in accepted if argument.required]
    if required:
        schema["required"] = required
    return schema


def check_arguments(
    tool: str, arguments: Any, accepted: Sequence[Argument] | None = None
) -> dict[str, Any]:
    """`arguments` checked against `accepted` (default: the tool's own) with defaults filled
    in; InvalidInputError with one sentence naming the first problem otherwise."""
    allowed = TOOL_ARGUMENTS[tool] if accepted is None else tuple(accepted)
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise InvalidInputError(
            f"{tool}'s arguments must be an object of names to values; got {shown(arguments)}."
        )
    names = {argument.name for argument in allowed}
    unknown = sorted(str(name) for name in arguments if name not in names)
    if unknown:
        listed = ", ".join(short_name(name) for name in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        plural = "s" if len(unknown) > 1 else ""
        takes = ", ".join(sorted(names, key=[a.name for a in allowed].index)) or "no arguments"
        raise InvalidInputError(f"unknown argument{plural} {listed}{more}; {tool} takes {takes}.")
    checked: dict[str, Any] = {}
    for argument in allowed:
        if argument.name not in arguments:
            if argument.required:
                raise InvalidInputError(
                    f"{argument.name} is missing: {tool} needs {argument.accepts}."
                )
            checked[argument.name] = argument.default
            continue
        checked[argument.name] = argument.check(arguments[argument.name])
    return checked


def unknown_tool(name: Any) -> InvalidInputError:
    """The error for a tool this server does not have."""
    return InvalidInputError(
        f"unknown tool {short_name(name)}; this server's tools are {', '.join(TOOL_ARGUMENTS)}."
    )
