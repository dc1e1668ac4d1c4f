"""The Engine interface: text in, a stream of 24 kHz float32 audio chunks out.

Every backend (ONNX Runtime, mlx-audio, a test tone generator) implements the few abstract
methods; text preparation, chunking and cancellation live here once so backends can't drift.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from kokoro_mcp.engine.g2p_input import shorten_chunk
from kokoro_mcp.engine.gate import EngineGate, SpareCheck
from kokoro_mcp.errors import InvalidInputError, SynthesisInterrupted, UnknownVoiceError
from kokoro_mcp.limits import MAX_SPEED, MIN_SPEED, validate_speed
from kokoro_mcp.text.markdown import CodeBlockMode
from kokoro_mcp.voice_blend import parse_voice

__all__ = ["MAX_SPEED", "MIN_SPEED", "validate_speed"]  # re-exported: part of the engine API

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
# A short chunk said again and again ("a a a a" x 137) is a chain the text stage cut up, not
# speech: at most MAX_SAME_CHUNK in a row. Long chunks may repeat (lists, songs, test texts).
MAX_SAME_CHUNK = 2
SHORT_CHUNK_CHARS = 24

AudioArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class VoiceInfo:
    """A voice as a client sees it: `af_heart` -> American English, female."""

    name: str
    language: str  # BCP-47-ish code, e.g. "en-US"
    language_name: str  # e.g. "American English"
    gender: str  # "female" | "male"
    supported: bool  # False when this install can't phonemize its language


@dataclass(frozen=True)
class AudioChunk:
    """One synthesized piece of an utterance, ready to play."""

    index: int  # 0-based position within the utterance
    text: str  # the speakable text this audio says
    samples: AudioArray  # mono float32 at SAMPLE_RATE


CancelCheck = Callable[[], bool]


class Engine(abc.ABC):
    """A text-to-speech backend. Construct cheaply; call `load()` on the synthesis thread."""

    name: str = "abstract"
    sample_rate: int = SAMPLE_RATE
    # How `stream()` speaks fenced code: "placeholder" (a short spoken note) or "skip".
    code_blocks: CodeBlockMode = "placeholder"

    @abc.abstractmethod
    def load(self) -> None:
        """Load weights and G2P. Idempotent. Heavy: run it on the thread that synthesizes."""

    @property
    @abc.abstractmethod
    def loaded(self) -> bool:
        """True once `load()` has finished."""

    @abc.abstractmethod
    def voices(self) -> Sequence[VoiceInfo]:
        """Every voice this engine can speak with (available before `load()`)."""

    @abc.abstractmethod
    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        """Turn one already-prepared, model-sized chunk of text into audio."""

    @abc.abstractmethod
    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        """Split prepared text into pieces the model accepts (phoneme limit), first one short."""

    def check_files_in_background(self) -> None:
        """Start comparing the installed model files with their manifest, off this thread
        (after `load()`; the verdict appears in `model_problem`). Default: nothing to check."""
        return None

    @property
    def model_problem(self) -> str | None:
        """What the background file check found wrong, with the repair command; else None."""
        return None

    def interrupt(self) -> None:
        """Abandon the model call in progress, if the backend can (called from another
        thread; must only set a flag and return). The default lets the chunk finish."""
        return None

    def check_voice(self, voice: str) -> VoiceInfo:
        """Return the voice's (or blend's) info or raise an error that lists close matches.

        A blend (`af_heart:0.6,bf_emma:0.4`, see voice_blend) is named by its canonical form
        and speaks the language of its heaviest voice."""
        blend = parse_voice(voice)
        infos = [self._check_voice_name(name) for name in blend.names]
        if not blend.is_blend:
            return infos[0]
        lead = infos[0]
        genders = {info.gender for info in infos}
        return replace(
            lead,
            name=blend.canonical,
            gender=lead.gender if len(genders) == 1 else "mixed",
        )

    def _check_voice_name(self, voice: str) -> VoiceInfo:
        from difflib import get_close_matches

        by_name = {v.name: v for v in self.voices()}
        info = by_name.get(voice)
        if info is None:
            close = get_close_matches(str(voice), list(by_name), n=4, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            shown = voice if len(voice) <= 40 else voice[:40] + "…"
            raise UnknownVoiceError(
                f"unknown voice {shown!r}.{hint} Pick one of the {len(by_name)} voices"
                " (e.g. af_heart, am_michael, bf_emma, bm_george): the list_voices tool or"
                " `kokoro-mcp voices` lists them."
            )
        return info

    def stream(
        self,
        text: str,
        voice: str,
        speed: float = 1.0,
        *,
        cancelled: CancelCheck | None = None,
        prepare: bool = True,
        background: SpareCheck | None = None,
        code_blocks: CodeBlockMode | None = None,
    ) -> Iterator[AudioChunk]:
        """Make `text` speakable (unless `prepare` is false), then `synthesize` it.

        The generator is lazy end to end, so a 1 MB text never exists as one audio array.
        """
        from kokoro_mcp.text import speakable_chunks, split_chunks

        info = self.check_voice(voice)
        # Lazy: a 1 MB text starts as soon as its first block is prepared.
        text_chunks = (
            speakable_chunks(
                text, code_blocks=code_blocks or self.code_blocks, language=info.language
            )
            if prepare
            else split_chunks(text)
        )
        first_chunk = next(text_chunks, None)
        if first_chunk is None:
            raise InvalidInputError(
                "nothing to say: the text is empty once markup and unspeakable characters"
                " are removed. Pass plain sentences."
            )
        yield from self.synthesize(
            itertools.chain([first_chunk], text_chunks),
            voice,
            speed,
            cancelled=cancelled,
            background=background,
        )

    @property
    def gate(self) -> EngineGate:
        """Turns at the model for live speech and background rendering (engine/gate.py)."""
        gate = self.__dict__.get("_gate")
        if gate is None:  # made on first use: subclasses need not call a base __init__
            gate = self.__dict__.setdefault("_gate", EngineGate())
        return gate  # type: ignore[no-any-return]

    def synthesize(
        self,
        chunks: Iterable[str],
        voice: str,
        speed: float = 1.0,
        *,
        cancelled: CancelCheck | None = None,
        background: SpareCheck | None = None,
    ) -> Iterator[AudioChunk]:
        """Audio for already prepared text chunks (`text.speakable_chunks`), one model piece
        at a time; stops between pieces once `cancelled()` is true. The chunks are pulled
        lazily, so whoever prepares them (the Speaker) pays only for what is spoken.

        Each piece is one turn at the engine's gate: live speech by default; with
        `background` (a file being rendered), only when that check says live speech can
        spare the time."""
        speed = validate_speed(speed)
        index = 0
        recent: list[str] = []  # the last chunks said, to catch a degenerate repetition
        repeated = 0
        for prepared in chunks:
            text_chunk = shorten_chunk(prepared)  # bounded G2P work (see g2p_input.py)
            if len(text_chunk) <= SHORT_CHUNK_CHARS and recent.count(text_chunk) >= MAX_SAME_CHUNK:
                repeated += 1
                continue
            recent = [*recent[-(MAX_SAME_CHUNK - 1) :], text_chunk]
            pieces = self.split_for_model(text_chunk, voice, first=index == 0)
            piece: str | None = None  # fetched but not yet synthesized (a preempted one)
            while True:
                if cancelled is not None and cancelled():
                    return
                try:
                    with self._turn(background, cancelled, first=index == 0):
                        if piece is None:
                            piece = next(pieces, None)  # G2P runs here: inside the turn
                        if piece is None:
                            break
                        samples = self.synthesize_chunk(piece, voice, speed)
                except SynthesisInterrupted:
                    if background is None or (cancelled is not None and cancelled()):
                        raise
                    continue  # preempted by live speech: the same piece on a later turn
                if samples.size:
                    yield AudioChunk(index, piece, samples)
                    index += 1
                piece = None
        if repeated:
            logger.info(
                "skipped %d chunks that repeated the one before (degenerate text)", repeated
            )

    def _turn(
        self, background: SpareCheck | None, cancelled: CancelCheck | None, *, first: bool
    ) -> contextlib.AbstractContextManager[None]:
        """A turn at the gate: live speech preempts a background piece for its first piece."""
        if background is None:
            return self.gate.live(self.interrupt if first else None)
        return self.gate.background(background, cancelled or (lambda: False))
