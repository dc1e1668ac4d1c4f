"""What every Kokoro-82M backend shares: G2P, model-sized pieces, caches, trimming.

Backends (ONNX Runtime, mlx-audio) only say how to load their weights and how to turn a
phoneme string into raw audio, so both say exactly the same thing for the same input.
"""

from __future__ import annotations

import abc
import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from kokoro_mcp.engine.base import AudioArray, Engine, VoiceInfo
from kokoro_mcp.engine.g2p import Phonemizer, language_letter
from kokoro_mcp.engine.g2p_input import MAX_G2P_CHARS, bound_for_g2p
from kokoro_mcp.engine.trim import trim_silence
from kokoro_mcp.engine.voices import describe_voice
from kokoro_mcp.errors import InvalidInputError, KokoroError
from kokoro_mcp.model.integrity import IntegrityCheck
from kokoro_mcp.model.paths import resolve_model_dir

logger = logging.getLogger(__name__)

MAX_PHONEMES = 509  # 512-token context less two pads; a voice has style rows 0..509
FIRST_PIECE_PHONEMES = 120  # re-split an over-long first piece so sound starts early
AUDIO_CACHE_CHARS = 48  # cache whole audio only for short phrases ("Build finished.")
AUDIO_CACHE_ENTRIES = 64
PHONEME_CACHE_ENTRIES = 256
_ENDS_CLAUSE = re.compile(r"[.,;:!?…—–)\"'»]\s*$")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—–)])\s+")


class KokoroEngine(Engine):
    """A Kokoro backend: subclasses load weights and run phonemes -> raw audio."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = resolve_model_dir(model_dir)
        self._phonemizer: Phonemizer | None = None
        self._phoneme_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._audio_cache: OrderedDict[tuple[str, str, float], AudioArray] = OrderedDict()
        self._load_lock = threading.Lock()
        self._loaded = threading.Event()
        self.load_seconds: dict[str, float] = {}
        self._voices: tuple[VoiceInfo, ...] | None = None
        self.integrity: IntegrityCheck | None = None

    # -- what a backend provides -----------------------------------------------------------

    @abc.abstractmethod
    def _voice_names(self) -> list[str]:
        """Names of the voices in the model folder."""

    @abc.abstractmethod
    def _load_weights(self) -> None:
        """Load the model (heavy); called once, under the load lock."""

    @abc.abstractmethod
    def _vocab(self) -> dict[str, int]:
        """The phoneme symbol -> token id map of this model."""

    @abc.abstractmethod
    def _spacy_dir(self) -> Path | None:
        """Where the spaCy English pipeline lives (None: the installed package)."""

    @abc.abstractmethod
    def _infer(self, symbols: str, voice: str, speed: float) -> AudioArray:
        """Raw model output for at most MAX_PHONEMES in-vocabulary symbols."""

    # -- loading -------------------------------------------------------------------------

    def load(self) -> None:
        with self._load_lock:
            if self._loaded.is_set():
                return
            started = time.perf_counter()
            self._load_weights()
            self.load_seconds["model"] = time.perf_counter() - started
            started = time.perf_counter()
            phonemizer = Phonemizer(self._spacy_dir())
            phonemizer.load()
            self._phonemizer = phonemizer
            self.load_seconds["g2p"] = time.perf_counter() - started
            self._loaded.set()
            logger.info(
                "Kokoro (%s) loaded from %s (model %.2f s, G2P %.2f s)",
                self.name,
                self.model_dir,
                self.load_seconds["model"],
                self.load_seconds["g2p"],
            )

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def check_files_in_background(self) -> None:
        if self.integrity is None:
            self.integrity = IntegrityCheck(self.model_dir)
            self.integrity.start()

    @property
    def model_problem(self) -> str | None:
        return None if self.integrity is None else self.integrity.problem

    def voices(self) -> Sequence[VoiceInfo]:
        # Every speak checks its voice: list the folder once, not on each call.
        if self._voices is None:
            self._voices = tuple(describe_voice(name) for name in self._voice_names())
        return self._voices

    def clear_cache(self) -> None:
        """Forget cached phonemes and audio (benchmarks measure cold synthesis with it)."""
        self._phoneme_cache.clear()
        self._audio_cache.clear()

    # -- text -> phonemes ----------------------------------------------------------------

    def phonemize(self, text: str, voice: str) -> str:
        """Kokoro phonemes for `text` in the voice's language (only in-vocabulary symbols)."""
        key = (text, language_letter(voice))
        cached = self._phoneme_cache.get(key)
        if cached is not None:
            self._phoneme_cache.move_to_end(key)
            return cached
        if self._phonemizer is None:
            self.load()
        vocab = self._vocab()
        raw = self._g2p(bound_for_g2p(text), voice)
        phonemes = "".join(symbol for symbol in raw if symbol in vocab).strip()
        self._phoneme_cache[key] = phonemes
        if len(self._phoneme_cache) > PHONEME_CACHE_ENTRIES:
            self._phoneme_cache.popitem(last=False)
        return phonemes

    def _g2p(self, text: str, voice: str) -> str:
        assert self._phonemizer is not None
        try:
            return self._phonemizer.phonemize(text, voice)
        except KokoroError:
            raise
        except Exception as error:  # misaki/spaCy/espeak on input they can't handle
            logger.warning("G2P failed on %r", text[:80], exc_info=True)
            shown = text if len(text) <= 40 else text[:39] + "…"
            raise InvalidInputError(
                f"could not work out how to pronounce {shown!r} ({type(error).__name__}:"
                f" {str(error)[:80]}); rephrase or remove that part and try again"
            ) from error

    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        language_letter(voice)  # unsupported languages fail before any work
        limit = FIRST_PIECE_PHONEMES if first else MAX_PHONEMES
        # Bounded here, so the piece text (cached, traced, checked) stays small too.
        yield from self._split(bound_for_g2p(text), voice, limit)

    def _split(self, text: str, voice: str, limit: int) -> Iterator[str]:
        divisible = " " in text.strip()
        if len(text) <= MAX_G2P_CHARS or not divisible:
            # Phonemized as it will be spoken, so synthesize_chunk finds it in the cache: a
            # piece cut mid-clause would otherwise run G2P twice before its first sound.
            phonemes = self.phonemize(as_spoken(text), voice)
            # A "word" over the limit (symbols spelled out one by one) is cut inside, so no
            # piece, the first above all, carries more audio than its limit allows; a number
            # is cut only where the model would truncate it (a half is another value).
            whole = len(text) < 2 or (
                not divisible
                and len(phonemes) <= MAX_PHONEMES
                and any(char.isdigit() for char in text)
            )
            if len(phonemes) <= limit or whole:
                if phonemes:
                    yield text
                return
        # Over the phoneme limit, or too long to hand to G2P in one call: halve.
        head, tail = halve(text) if divisible else halve_word(text)
        yield from self._split(head, voice, limit)
        yield from self._split(tail, voice, MAX_PHONEMES)

    # -- phonemes -> audio ---------------------------------------------------------------

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        cache_key = (text, voice, speed)
        cacheable = len(text) <= AUDIO_CACHE_CHARS
        if cacheable and cache_key in self._audio_cache:
            self._audio_cache.move_to_end(cache_key)
            return self._audio_cache[cache_key]
        joins_next = not _ENDS_CLAUSE.search(text)
        phonemes = self.phonemize(as_spoken(text), voice)
        samples = trim_silence(
            self.synthesize_phonemes(phonemes, voice, speed), joins_next=joins_next
        )
        if cacheable:
            samples.setflags(write=False)  # shared between plays: nobody may modify it
            self._audio_cache[cache_key] = samples
            if len(self._audio_cache) > AUDIO_CACHE_ENTRIES:
                self._audio_cache.popitem(last=False)
        return samples

    def synthesize_phonemes(self, phonemes: str, voice: str, speed: float) -> AudioArray:
        """Run the model on a phoneme string (cut to MAX_PHONEMES); untrimmed."""
        vocab = self._vocab()
        symbols = "".join(symbol for symbol in phonemes if symbol in vocab)[:MAX_PHONEMES]
        if not symbols:
            return np.zeros(0, dtype=np.float32)
        if not self._loaded.is_set():
            self.load()
        samples = np.asarray(self._infer(symbols, voice, speed), dtype=np.float32).reshape(-1)
        np.clip(samples, -1.0, 1.0, out=samples)
        return samples


def as_spoken(text: str) -> str:
    """The text a piece is phonemized as: a piece cut mid-clause would end in a falling,
    final-sounding tone, and a trailing comma makes the model keep the voice up, as if the
    sentence goes on."""
    return text if _ENDS_CLAUSE.search(text) else text + ","


def halve(text: str) -> tuple[str, str]:
    """Split near the middle, preferring a clause break, else a space."""
    middle = len(text) // 2
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    if breaks:
        cut = min(breaks, key=lambda position: abs(position - middle))
    else:
        spaces = [i for i, char in enumerate(text) if char == " "]
        cut = min(spaces, key=lambda position: abs(position - middle))
    return text[:cut].strip(), text[cut:].strip()


def halve_word(text: str) -> tuple[str, str]:
    """Cut a space-free text near the middle, never between a letter and its accents."""
    cut = len(text) // 2
    while cut < len(text) - 1 and unicodedata.combining(text[cut]):
        cut += 1
    return text[:cut], text[cut:]
