"""`kokoro-mcp doctor`: check the model, G2P, audio output and MCP server startup, and print a
fix for every problem found. Exit 0 when everything works, 1 otherwise."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokoro_mcp.config import Settings, to_env
from kokoro_mcp.errors import KokoroError

logger = logging.getLogger(__name__)

PHRASE = "Doctor check."
AUDIO_CHECK_SECONDS = 0.3
SERVER_TIMEOUT = 120.0
INITIALIZE_BUDGET = 1.0  # seconds the handshake normally takes


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _problem(name: str, error: BaseException, fix: str) -> Check:
    return Check(name, False, str(error), fix)


def check_model(settings: Settings) -> Check:
    from kokoro_mcp.model.layout import locate_model
    from kokoro_mcp.model.paths import INSTALL_COMMAND, resolve_model_dir

    root = resolve_model_dir(settings.model_dir)
    fix = f"Run `{INSTALL_COMMAND}` (add `--force` to rebuild a damaged folder)."
    try:
        files = locate_model(root)
        if (root / "manifest.json").is_file():
            from kokoro_mcp.model.install import verify_model_dir

            problems = verify_model_dir(root)
            if problems:
                return Check("model", False, f"{root}: " + "; ".join(problems), fix)
        voices = files.voice_names()
    except KokoroError as error:
        return _problem("model", error, fix)
    return Check("model", True, f"{root} ({len(voices)} voices, {files.onnx.name})")


def check_g2p(settings: Settings) -> Check:
    from kokoro_mcp.engine.g2p import Phonemizer
    from kokoro_mcp.model.layout import locate_model
    from kokoro_mcp.model.paths import resolve_model_dir

    fix = (
        "Reinstall the Python packages (`pip install -e .` or `bash scripts/dev.sh setup`);"
        " English G2P needs misaki, spaCy's en_core_web_sm and espeak-ng."
    )
    try:
        spacy_dir: Path | None = None
        try:
            spacy_dir = locate_model(resolve_model_dir(settings.model_dir)).spacy_dir
        except KokoroError:
            spacy_dir = None  # the model check reports that; the packaged pipeline still works
        started = time.perf_counter()
        phonemizer = Phonemizer(spacy_dir)
        phonemizer.load()
        phonemes = phonemizer.phonemize("Hello world", settings.voice)
        seconds = time.perf_counter() - started
    except Exception as error:  # any failure here is the finding we report
        return _problem("g2p", error, fix)
    if not phonemes:
        return Check("g2p", False, "G2P returned no phonemes for 'Hello world'", fix)
    return Check("g2p", True, f"'Hello world' -> {phonemes} (loaded in {seconds:.1f} s)")


def check_synthesis(settings: Settings) -> Check:
    from kokoro_mcp.engine import SAMPLE_RATE, create_engine

    fix = "Fix the model check above first; then run `kokoro-mcp say --output test.wav hi`."
    try:
        engine = create_engine(settings.engine, settings.model_dir)
        engine.check_voice(settings.voice)
        started = time.perf_counter()
        engine.load()
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        frames = sum(c.samples.size for c in engine.stream(PHRASE, settings.voice, settings.speed))
        took = time.perf_counter() - started
    except Exception as error:  # report, don't crash: the next checks still help
        return _problem("synthesis", error, fix)
    if frames == 0:
        return Check("synthesis", False, f"{engine.name} produced no audio for {PHRASE!r}", fix)
    return Check(
        "synthesis",
        True,
        f"{engine.name}: loaded in {loaded:.1f} s; {PHRASE!r} -> {frames / SAMPLE_RATE:.2f} s"
        f" of audio in {took:.2f} s",
    )


def check_audio(settings: Settings) -> Check:
    from kokoro_mcp.audio.devices import DeviceUnavailable, describe_output, open_output_stream
    from kokoro_mcp.engine import SAMPLE_RATE

    calls = 0

    def silence(outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        nonlocal calls
        calls += 1
        outdata.fill(0)

    try:
        name = describe_output(settings.device)
        stream = open_output_stream(
            settings.device,
            sample_rate=SAMPLE_RATE,
            latency="high",
            blocksize=2048,
            callback=silence,
            finished_callback=lambda: None,
        )
        try:
            stream.start()
            time.sleep(AUDIO_CHECK_SECONDS)
            stream.stop()
        finally:
            stream.close()
    except DeviceUnavailable as error:
        return Check("audio", False, error.problem, error.hint)
    except Exception as error:  # PortAudio raises its own types; report them all
        return _problem(
            "audio", error, "Check the output device (`python -m sounddevice` lists them)."
        )
    if calls == 0:
        return Check(
            "audio",
            False,
            f"{name}: the stream opened but never asked for audio (a frozen sound server?)",
            "Restart the sound server (PulseAudio/PipeWire) or pick another --device.",
        )
    return Check("audio", True, f"{name}: opened and played {AUDIO_CHECK_SECONDS} s of silence")


def _server_env(settings: Settings, runtime: Path | None) -> dict[str, str]:
    """The server under test gets the settings doctor runs with, flags included; with the
    daemon, a daemon of its own in `runtime`, started with exactly these settings (the user's
    running daemon may have been started with others) and stopped after the check."""
    env = {**os.environ, **to_env(settings)}
    env["KOKORO_MCP_AUTO_INSTALL"] = "0"  # a check reports a missing model; it installs nothing
    if runtime is not None:
        env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


async def _probe_server(settings: Settings) -> Check:
    import tempfile

    runtime = Path(tempfile.mkdtemp(prefix="kkdoc")) if settings.daemon else None
    try:
        return await _probe_server_with(settings, runtime)
    finally:
        if runtime is not None:
            _stop_private_daemon(runtime)


def _stop_private_daemon(runtime: Path) -> None:
    import contextlib
    import shutil

    from kokoro_mcp.ipc.connection import Connection
    from kokoro_mcp.ipc.paths import APP_NAME, SOCKET_NAME
    from kokoro_mcp.ipc.protocol import DaemonError

    socket = runtime / APP_NAME / SOCKET_NAME
    with contextlib.suppress(DaemonError, OSError):
        with Connection.open(socket, client="doctor", kind="cli") as connection:
            connection.call("shutdown", timeout=5.0)
        deadline = time.monotonic() + 3.0
        while socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    shutil.rmtree(runtime, ignore_errors=True)


async def _probe_server_with(settings: Settings, runtime: Path | None) -> Check:
    import anyio
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kokoro_mcp"], env=_server_env(settings, runtime)
    )
    fix = "Run `kokoro-mcp --debug` in a terminal and read the error it prints on stderr."
    with open(os.devnull, "w") as errlog:
        started = time.monotonic()
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write, read_timeout_seconds=SERVER_TIMEOUT) as session,
        ):
            await session.initialize()
            initialized = time.monotonic() - started
            tools = (await session.list_tools()).tools
            status: dict[str, Any] = {}
            deadline = time.monotonic() + settings.load_timeout
            while time.monotonic() < deadline:
                result = await session.call_tool("status", {})
                status = dict(result.structured_content or {})
                if status.get("state") != "loading":
                    break
                await anyio.sleep(0.2)
            ready = time.monotonic() - started
    model = status.get("model") or {}
    if model.get("error"):
        return Check("server", False, f"the server started but: {model['error']}", fix)
    if not model.get("loaded"):
        return Check("server", False, f"the model did not load in {settings.load_timeout} s", fix)
    detail = (
        f"initialize answered in {initialized:.2f} s; {len(tools)} tools; model ready after"
        f" {ready:.1f} s"
    )
    if initialized > INITIALIZE_BUDGET:
        # Not a failure (clients wait far longer), but worth knowing on a slow machine.
        detail += f" (slower than the usual {INITIALIZE_BUDGET:.0f} s: is the machine busy?)"
    return Check("server", True, detail)


def check_server(settings: Settings) -> Check:
    import anyio

    try:
        return anyio.run(_probe_server, settings)
    except Exception as error:  # includes the SDK's connection errors
        return _problem(
            "server",
            error,
            "Run `kokoro-mcp --debug` in a terminal and read the error it prints on stderr.",
        )


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_model,
    check_g2p,
    check_synthesis,
    check_audio,
    check_server,
)


def _print(check: Check) -> None:
    mark = "ok  " if check.ok else "FAIL"
    print(f"{mark}  {check.name:<10} {check.detail}", flush=True)
    if not check.ok and check.fix:
        print(f"      {'':<10} fix: {check.fix}", flush=True)


def run_doctor(settings: Settings) -> int:
    """Run every check, print each result with a fix for failures; 0 if all passed."""
    print(f"kokoro-mcp doctor (python {sys.version.split()[0]}, {sys.platform})", flush=True)
    results = []
    for check in CHECKS:
        result = check(settings)
        _print(result)
        results.append(result)
    failed = [r.name for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} problem(s): {', '.join(failed)}. Apply the fixes above.", flush=True)
        return 1
    print("All checks passed: add kokoro-mcp to your MCP client (see README).", flush=True)
    return 0
