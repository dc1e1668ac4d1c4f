"""The settings that belong to the daemon rather than to each request.

Engine, model folder, device, keep-alive, audio latency, queue bound and the folder save_speech
writes into are fixed when the daemon starts (taken from the client that launches it); voice,
speed, mode and code-block handling travel with every request. A client whose daemon-level
settings differ from the running daemon's is told so (status, log) rather than given a second
daemon.
"""

from __future__ import annotations

from typing import Any

from kokoro_mcp.config import Settings

DAEMON_FIELDS = ("engine", "model_dir", "device", "keep_alive", "audio_latency", "max_queue",
                 "idle_minutes", "output_dir")  # fmt: skip
REQUEST_FIELDS = ("voice", "speed", "mode")  # the client's own defaults for its requests


def to_wire(settings: Settings) -> dict[str, Any]:
    """Daemon-level settings and the client's request defaults as JSON values."""
    values: dict[str, Any] = {}
    for name in (*DAEMON_FIELDS, *REQUEST_FIELDS):
        value = getattr(settings, name)
        values[name] = (
            None
            if value is None
            else value
            if isinstance(value, (bool, int, float))
            else str(value)
        )
    return values


def launch_args(settings: Settings) -> list[str]:
    """`kokoro-mcp daemon` flags that reproduce these daemon-level settings."""
    args = ["--engine", settings.engine, "--audio-latency", repr(settings.audio_latency),
            "--max-queue", str(settings.max_queue),
            "--idle-minutes", repr(settings.idle_minutes)]  # fmt: skip
    args.append("--keep-alive" if settings.keep_alive else "--no-keep-alive")
    if settings.model_dir is not None:
        args += ["--model-dir", str(settings.model_dir)]
    if settings.device is not None:
        args += ["--device", str(settings.device)]
    if settings.output_dir is not None:
        args += ["--output-dir", str(settings.output_dir)]
    return args


def differences(daemon: dict[str, Any], client: Any) -> list[str]:
    """One line per daemon-level setting the client asked for differently."""
    if not isinstance(client, dict):
        return []
    notes = []
    for name in DAEMON_FIELDS:
        if name in client and client[name] != daemon.get(name):
            notes.append(
                f"{name}: the running daemon uses {_show(daemon.get(name))}, this client asked"
                f" for {_show(client[name])} (restart the daemon with `kk kill` to change it)"
            )
    return notes


def _show(value: Any) -> str:
    return "the default" if value is None else repr(value)
