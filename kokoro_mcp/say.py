"""`kokoro-mcp say` and `kokoro-mcp voices`: the model without MCP, for people and scripts."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kokoro_mcp.config import Settings
from kokoro_mcp.engine import Engine, create_engine
from kokoro_mcp.engine.base import AudioArray
from kokoro_mcp.errors import AudioDeviceError, InvalidInputError, KokoroError, OutputFileError
from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY
from kokoro_mcp.output_path import OutputTarget, check_output_path, open_stdout
from kokoro_mcp.stdout_guard import StdoutGuard
from kokoro_mcp.text import CodeBlockMode, speakable_chunks
from kokoro_mcp.wav import stream_wav, write_wav

if TYPE_CHECKING:
    from kokoro_mcp.speaker_types import Utterance

logger = logging.getLogger(__name__)

MAX_STDIN_BYTES = 16 * 1024 * 1024


def read_text(text: str | None) -> str:
    """The argument text, else stdin; refuse a terminal with nothing typed."""
    if text is not None and text.strip():
        return text
    if text is None and not sys.stdin.isatty():
        data = sys.stdin.read(MAX_STDIN_BYTES + 1)
        if len(data) > MAX_STDIN_BYTES:
            raise InvalidInputError("stdin holds more than 16 MB of text; split it up")
        if data.strip():
            return data
    raise InvalidInputError(
        'nothing to say: give the text as arguments (kokoro-mcp say "Hello") or on stdin'
    )


def run_say(
    settings: Settings, text: str | None, output: Path | str | None, *, show_text: bool = False
) -> int:
    words = read_text(text)
    # Before anything heavy: a path we must not write is refused at once, nothing touched.
    target = None if output is None else check_output_path(output)
    engine = create_engine(settings.engine, settings.model_dir)
    engine.code_blocks = settings.code_blocks
    info = engine.check_voice(settings.voice)  # before the model loads: fail fast on typos
    if show_text:
        return print_chunks(words, language=info.language, code_blocks=settings.code_blocks)
    if target is not None:
        return _write(engine, settings, words, target)
    return _play(engine, settings, words)


def print_chunks(
    text: str,
    *,
    language: str = "en",
    code_blocks: CodeBlockMode = "placeholder",
    out: TextIO | None = None,
) -> int:
    """Print the chunks the engine would synthesize, one a line, exactly as it receives
    them (before the model re-splits a chunk over its phoneme limit); no model, no audio.
    `kokoro-mcp say --show-text`: shows why something is said the way it is."""
    stream = sys.stdout if out is None else out
    count = 0
    for chunk in speakable_chunks(text, code_blocks=code_blocks, language=language):
        print(chunk, file=stream)
        count += 1
    if count == 0:
        raise InvalidInputError(
            "nothing to say: the text is empty once markup and unspeakable characters are"
            " removed. Pass plain sentences."
        )
    return 0


def _write(engine: Engine, settings: Settings, text: str, target: OutputTarget) -> int:
    chunks = (chunk.samples for chunk in engine.stream(text, settings.voice, settings.speed))
    seconds = _write_stdout(chunks) if target.is_stdout else write_wav(target, chunks)
    where = "stdout" if target.is_stdout else target.shown
    print(f"wrote {where} ({seconds:.1f} s of audio)", file=sys.stderr)
    return 0


def _write_stdout(chunks: Iterator[AudioArray]) -> float:
    """`-o -`: the WAV on the real stdout; fd 1 points at stderr meanwhile, so nothing a
    library prints while loading can land inside the audio."""
    guard = StdoutGuard.install()
    try:
        if guard.wire_fd is None:
            raise OutputFileError("cannot write to stdout: it is closed")
        out = open_stdout(guard.wire_fd)
        try:
            return stream_wav(out.file, "stdout", chunks, seekable=out.seekable)
        finally:
            with contextlib.suppress(OSError):  # a closed pipe: the error is already raised
                out.file.close()
    finally:
        guard.release()


def _play(engine: Engine, settings: Settings, text: str) -> int:
    speak_blocking(
        engine,
        text,
        voice=settings.voice,
        speed=settings.speed,
        device=settings.device,
        latency=settings.audio_latency,
    )
    return 0


def run_voices(settings: Settings) -> int:
    engine = create_engine(settings.engine, settings.model_dir)
    for voice in engine.voices():
        note = "" if voice.supported else "  (language not supported here)"
        print(f"{voice.name:<14} {voice.language:<6} {voice.gender:<7} {voice.language_name}{note}")
    return 0


def speak_blocking(
    engine: Engine,
    text: str,
    *,
    voice: str = "af_heart",
    speed: float = 1.0,
    device: str | int | None = None,
    latency: float | str = DEFAULT_AUDIO_LATENCY,
    audio_timeout: float = 3.0,
) -> Utterance:
    """Speak `text` once and return when it has been heard (for `kokoro-mcp say`).

    Raises AudioDeviceError (pointing to `--output`) when no output device opens within
    `audio_timeout`, and the utterance's error when synthesis fails.
    """
    from kokoro_mcp.speaker import Speaker

    speaker = Speaker(
        engine,
        device=device,
        latency=latency,
        default_voice=voice,
        default_speed=speed,
        check_model_files=False,
    )
    speaker.start()
    try:
        if not speaker.wait_audio(audio_timeout):
            audio = speaker.status().audio
            raise AudioDeviceError(
                f"no audio output: {audio.problem or 'the output device did not open'}."
                " To write the speech to a file instead, use --output FILE.wav."
            )
        utterance = speaker.speak(text, voice, speed)
        utterance.wait()
        if utterance.state == "failed":
            raise KokoroError(utterance.error or "speech failed")
        # "done" means handed to the device: let its last buffer reach the speaker.
        time.sleep((speaker.player.status().latency or DEFAULT_AUDIO_LATENCY) + 0.1)
        return utterance
    finally:
        speaker.close()
