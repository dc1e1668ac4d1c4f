"""`kk`: speak and control the shared speech daemon from a terminal, a script or a hook.

    kk "Build finished."          # say (the default verb); starts the daemon if needed
    some-llm | kk                 # speaks each sentence as soon as it is complete
    kk say|pause|play|resume|stop|status [--json]|kill|stop-daemon|voices|daemon
    -v/--voice and -s/--speed go before or after the verb; -o FILE writes a WAV instead.

Only the standard library is imported on these paths (a `kk status` costs about as much as
starting Python); writing a WAV or running the daemon in the foreground loads the engine.
Exit codes: 0 ok, 1 something failed (one line on stderr), 2 usage (a voice the model lacks
too), 130 interrupted, 141 stdout's reader left (`| head`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from kokoro_mcp import __version__
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.exit_codes import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    reader_gone,
)

PROG = "kk"

VERBS = {
    "say": "say",
    "pause": "pause",
    "play": "resume",
    "resume": "resume",
    "stop": "stop",
    "status": "status",
    "kill": "kill",
    "stop-daemon": "kill",
    "voices": "voices",
    "daemon": "daemon",
}
VALUE_FLAGS = {"-v": "voice", "--voice": "voice", "-s": "speed", "--speed": "speed",
               "-o": "output", "--output": "output", "-m": "mode", "--mode": "mode",
               "--priority": "priority", "--ttl": "ttl", "--replace": "replace"}  # fmt: skip
MANNERS = ("priority", "ttl", "replace")
SWITCHES = {"--json": "json", "--no-wait": "no_wait", "-n": "no_wait", "--show-text": "show_text",
            "--debug": "debug"}  # fmt: skip

USAGE = f"""\
usage: {PROG} [-v VOICE] [-s SPEED] [COMMAND] [TEXT ...]

Speak through the shared kokoro-mcp daemon (started on first use, exits when idle).

commands:
  say TEXT        speak TEXT (the default: `{PROG} "hello"`); no TEXT reads stdin, sentence by
                  sentence as it arrives (an LLM's streamed answer, `tail -f`)
  pause           hold the speech;  play / resume: continue it
  stop            silence everything and clear the queue
  status          idle | playing | paused (--json: everything the daemon knows)
  kill            stop the daemon (alias: stop-daemon)
  voices          list the voices
  daemon          run the daemon in the foreground (logs to stderr)
  hook claude-code        speak a Claude Code hook's payload (see `hook install`)
  hook install claude-code [--user|--project] [--uninstall]

options (before or after the command):
  -v, --voice VOICE   e.g. af_heart, bm_george, or a blend af_heart:0.6,bf_emma:0.4
                      (default: $KOKORO_MCP_VOICE or af_heart)
  -s, --speed SPEED   0.5 .. 2.0 (default: $KOKORO_MCP_SPEED or 1.0)
  -m, --mode MODE     interrupt (default: replace your earlier speech) or queue
  --priority P        say: low (dropped if anything else is speaking or queued), normal, or
                      high (plays next, cutting in where the current sentence ends)
  --ttl SECONDS       say: dropped unless it can start within SECONDS
  --replace KEY       say: replaces queued speech with the same KEY (speech with that KEY
                      already playing ends with its sentence); with any of these three the
                      text is one announcement (a pipe is read to its end first)
  -o, --output FILE   say: write a 24 kHz WAV instead of playing (no daemon needed)
  -n, --no-wait       say: return once the daemon has the text
  --show-text         say: print the chunks that would be spoken (no model, no audio)
  --json              status: print JSON
  -h, --help          this help;  --version: the version
"""


class UsageError(Exception):
    """Bad command line (exit 2)."""


class Invocation:
    """What the command line asks for. (A plain class: importing dataclasses would cost a
    `kk status` about a third of its time.)"""

    def __init__(
        self,
        command: str = "say",
        words: list[str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.command = command
        self.words = words if words is not None else []
        self.options = options if options is not None else {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invocation) and (
            (self.command, self.words, self.options) == (other.command, other.words, other.options)
        )

    def __repr__(self) -> str:
        return f"Invocation({self.command!r}, {self.words!r}, {self.options!r})"


def parse(argv: Sequence[str]) -> Invocation:
    """Verbs and flags in any order; a word like `-3` is text, not a flag."""
    invocation = Invocation()
    chosen = False
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if item == "--":
            invocation.words += items[index:]
            break
        if item in ("-h", "--help"):
            invocation.command = "help"
            return invocation
        if item == "--version":
            invocation.command = "version"
            return invocation
        flag, _, inline = item.partition("=") if item.startswith("--") else (item, "", "")
        if flag in VALUE_FLAGS:
            if inline:
                value = inline
            elif index < len(items):
                value = items[index]
                index += 1
            else:
                raise UsageError(f"{flag} needs a value")
            invocation.options[VALUE_FLAGS[flag]] = value
            continue
        if item in SWITCHES:
            invocation.options[SWITCHES[item]] = True
            continue
        if item.startswith("-") and len(item) > 1 and not _looks_numeric(item):
            raise UsageError(f"unknown option {item}; see `{PROG} --help`")
        if not chosen and not invocation.words and item in VERBS:
            invocation.command = VERBS[item]
            chosen = True
            continue
        invocation.words.append(item)
    if invocation.words and invocation.command not in ("say",):
        raise UsageError(f"`{PROG} {invocation.command}` takes no text")
    return invocation


def _looks_numeric(item: str) -> bool:
    return len(item) > 1 and (item[1].isdigit() or (item[1] == "." and item[2:3].isdigit()))


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["hook"]:  # kk hook claude-code | kk hook install claude-code ...
        _become_kokoro_mcp(args)
    try:
        invocation = parse(args)
        return run(invocation)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KokoroError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return reader_gone()


def run(invocation: Invocation) -> int:
    command = invocation.command
    if command == "help":
        print(USAGE, end="")
        return EXIT_OK
    if command == "version":
        print(f"{PROG} (kokoro-mcp) {__version__}")
        return EXIT_OK
    if command == "daemon":
        _become_kokoro_mcp(["daemon", *_passthrough(invocation.options)])
    from kokoro_mcp.client import control

    # The control verbs need no settings: reading them (config.py) would double their cost.
    if command == "status":
        return control.status(as_json=bool(invocation.options.get("json")))
    if command in ("pause", "resume", "stop"):
        return control.act(command)
    if command == "kill":
        return control.kill()
    settings = _settings(invocation.options)
    if command == "say":
        from kokoro_mcp.client.say import say

        return say(
            settings, invocation.words, invocation.options, manners=_manners(invocation.options)
        )
    if command == "voices":
        return control.voices(settings)
    raise UsageError(f"unknown command {command!r}")


def _become_kokoro_mcp(args: list[str]) -> NoReturn:
    """Run `kokoro-mcp ARGS` in this process's place (same stdin, same exit code), so kk never
    imports the full command line, which imports kk's modules in turn."""
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "kokoro_mcp", *args])


def _passthrough(options: dict[str, Any]) -> list[str]:
    flags = []
    for name, flag in (("voice", "--voice"), ("speed", "--speed"), ("mode", "--mode")):
        if name in options:
            flags += [flag, str(options[name])]
    if options.get("debug"):
        flags.append("--debug")
    return flags


def _manners(options: dict[str, Any]) -> dict[str, Any]:
    from kokoro_mcp.client.say import manners_from

    try:
        return manners_from(options)
    except KokoroError as error:
        raise UsageError(str(error)) from None


def _settings(options: dict[str, Any]) -> Any:
    """KOKORO_MCP_* from the environment with -v/-s/-m on top, validated."""
    from kokoro_mcp import config

    speed = options.get("speed")
    if speed is not None:
        try:
            speed = float(speed)
        except ValueError:
            raise UsageError(
                f"speed must be a number between 0.5 and 2.0 (1.0 is normal), got {speed!r}"
            ) from None
    try:
        return config.from_env().with_overrides(
            voice=options.get("voice"), speed=speed, mode=options.get("mode")
        )
    except config.ConfigError as error:
        if any(key in options for key in ("voice", "speed", "mode")):
            raise UsageError(str(error)) from None
        raise


if __name__ == "__main__":
    sys.exit(main())
