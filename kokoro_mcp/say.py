"""`kokoro-mcp say` and `kokoro-mcp voices`: the model without MCP, for people and scripts."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from kokoro_mcp.config import Settings
from kokoro_mcp.engine import Engine, create_engine
from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.text import CodeBlockMode, speakable_chunks
from kokoro_mcp.wav import write_wav

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
    settings: Settings, text: str | None, output: Path | None, *, show_text: bool = False
) -> int:
    words = read_text(text)
    engine = create_engine(settings.engine, settings.model_dir)
    engine.code_blocks = settings.code_blocks
    info = engine.check_voice(settings.voice)  # before the model loads: fail fast on typos
    if show_text:
        return print_chunks(words, language=info.language, code_blocks=engine.code_blocks)
    if output is not None:
        return _write(engine, settings, words, output)
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


def _write(engine: Engine, settings: Settings, text: str, output: Path) -> int:
    if output.parent and not output.parent.exists():
        raise InvalidInputError(f"cannot write {output}: folder {output.parent} does not exist")
    engine.load()
    chunks = engine.stream(text, settings.voice, settings.speed)
    seconds = write_wav(output, (chunk.samples for chunk in chunks))
    print(f"wrote {output} ({seconds:.1f} s of audio)", file=sys.stderr)
    return 0


def _play(engine: Engine, settings: Settings, text: str) -> int:
    from kokoro_mcp.speaker import speak_blocking

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
