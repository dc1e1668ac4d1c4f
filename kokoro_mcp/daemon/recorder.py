"""save_speech's rendering: the speaker's engine, a file, and nothing audible disturbed.

The file is synthesized on the engine that live speech uses, piece by piece at the engine's
gate with background priority (engine/gate.py), without touching the Speaker's queue or the
audio stream. A piece starts only while live speech has enough audio buffered ahead to play
through the longest of the recent background pieces (twice over, plus a margin), so what plays
never runs dry waiting for a file; when nothing is playing the file renders at full speed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kokoro_mcp.engine.gate import SpareCheck
from kokoro_mcp.errors import SynthesisInterrupted
from kokoro_mcp.output_path import OutputTarget
from kokoro_mcp.text.markdown import CodeBlockMode
from kokoro_mcp.wav import write_wav

if TYPE_CHECKING:
    from kokoro_mcp.engine.base import AudioArray, Engine
    from kokoro_mcp.speaker import Speaker

SPARE_MARGIN_SECONDS = 1.0


def live_can_spare(speaker: Speaker) -> SpareCheck:
    """The check a background piece waits for: true when no live speech needs the engine
    soon, i.e. nothing is live, everything live is synthesized, or the current utterance has
    more than twice the longest recent background piece (plus a margin) buffered ahead of playback
    (a lower bound of what is buffered: speech queued after it only adds)."""

    def spare(longest_background: float) -> bool:
        status = speaker.status()
        current = status.current
        if current is None or (current.done_synthesizing and status.queue_length == 0):
            return True
        ahead = current.seconds_synthesized - current.seconds_played
        return ahead >= SPARE_MARGIN_SECONDS + 2 * longest_background

    return spare


def render_file(
    engine: Engine,
    text: str,
    target: OutputTarget,
    *,
    voice: str,
    speed: float,
    overwrite: bool,
    code_blocks: CodeBlockMode,
    spare: SpareCheck,
    cancelled: threading.Event,
) -> float:
    """Write `text` as speech to `target` (atomically); return the seconds written. A
    cancelled render leaves nothing behind."""

    def audio() -> Iterator[AudioArray]:
        chunks = engine.stream(
            text,
            voice,
            speed,
            cancelled=cancelled.is_set,
            background=spare,
            code_blocks=code_blocks,
        )
        for chunk in chunks:
            yield chunk.samples
        if cancelled.is_set():  # the stream ended early: never commit a cut-short file
            raise SynthesisInterrupted("saving the speech was cancelled; no file was written")

    return write_wav(target, audio(), engine.sample_rate, overwrite=overwrite)
