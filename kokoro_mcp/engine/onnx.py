"""Kokoro-82M on ONNX Runtime (CPU): the backend for Linux, Windows and Intel Macs."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kokoro_mcp.engine.base import AudioArray, Engine, VoiceInfo
from kokoro_mcp.engine.onnx_session import open_session
from kokoro_mcp.engine.trim import trim_silence
from kokoro_mcp.g2p import Phonemizer, language_letter
from kokoro_mcp.model.layout import ModelFiles, locate_model
from kokoro_mcp.model.paths import resolve_model_dir
from kokoro_mcp.voices import describe_voice

logger = logging.getLogger(__name__)

MAX_PHONEMES = 510  # the model's context: style vectors exist for 0..509 tokens
FIRST_PIECE_PHONEMES = 120  # re-split an over-long first piece so sound starts early
AUDIO_CACHE_CHARS = 48  # cache whole audio only for short phrases ("Build finished.")
AUDIO_CACHE_ENTRIES = 64
PHONEME_CACHE_ENTRIES = 256
_ENDS_CLAUSE = re.compile(r"[.,;:!?…—–)\"'»]\s*$")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—–)])\s+")


class OnnxEngine(Engine):
    """Loads once, then turns model-sized text pieces into trimmed 24 kHz audio."""

    name = "onnx"

    def __init__(self, model_dir: Path | None = None, *, threads: int | None = None) -> None:
        self.model_dir = resolve_model_dir(model_dir)
        self.threads = threads  # None: onnx_session picks for this machine
        self._files: ModelFiles | None = None
        self._session: Any = None
        self._input_name = "tokens"
        self._phonemizer: Phonemizer | None = None
        self._voice_tables: dict[str, np.ndarray] = {}
        self._phoneme_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._audio_cache: OrderedDict[tuple[str, str, float], AudioArray] = OrderedDict()
        self._load_lock = threading.Lock()
        self._loaded = threading.Event()
        self.load_seconds: dict[str, float] = {}

    # -- loading -------------------------------------------------------------------------

    def files(self) -> ModelFiles:
        if self._files is None:
            self._files = locate_model(self.model_dir)
        return self._files

    def load(self) -> None:
        with self._load_lock:
            if self._loaded.is_set():
                return
            files = self.files()
            started = time.perf_counter()
            self._session = self._open_session(files.onnx)
            self.load_seconds["model"] = time.perf_counter() - started
            started = time.perf_counter()
            phonemizer = Phonemizer(files.spacy_dir)
            phonemizer.load()
            self._phonemizer = phonemizer
            self.load_seconds["g2p"] = time.perf_counter() - started
            self._loaded.set()
            logger.info(
                "Kokoro loaded from %s (model %.2f s, G2P %.2f s, threads %s)",
                files.onnx,
                self.load_seconds["model"],
                self.load_seconds["g2p"],
                self.threads,
            )

    def _open_session(self, path: Path) -> Any:
        session = open_session(path, self.threads)
        names = [i.name for i in session.get_inputs()]
        self._input_name = "input_ids" if "input_ids" in names else "tokens"
        return session

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    # -- voices --------------------------------------------------------------------------

    def voices(self) -> Sequence[VoiceInfo]:
        return [describe_voice(name) for name in self.files().voice_names()]

    def _voice_table(self, voice: str) -> np.ndarray:
        table = self._voice_tables.get(voice)
        if table is None:
            table = self.files().load_voice(voice)
            self._voice_tables[voice] = table
        return table

    # -- text -> phonemes ----------------------------------------------------------------

    def phonemize(self, text: str, voice: str) -> str:
        key = (text, voice[:1])
        cached = self._phoneme_cache.get(key)
        if cached is not None:
            self._phoneme_cache.move_to_end(key)
            return cached
        if self._phonemizer is None:
            self.load()
        assert self._phonemizer is not None
        vocab = self.files().vocab
        raw = self._phonemizer.phonemize(text, voice)
        phonemes = "".join(symbol for symbol in raw if symbol in vocab).strip()
        self._phoneme_cache[key] = phonemes
        if len(self._phoneme_cache) > PHONEME_CACHE_ENTRIES:
            self._phoneme_cache.popitem(last=False)
        return phonemes

    def split_for_model(self, text: str, voice: str, first: bool) -> Iterator[str]:
        language_letter(voice)  # unsupported languages fail before any work
        limit = FIRST_PIECE_PHONEMES if first else MAX_PHONEMES
        yield from self._split(text, voice, limit)

    def _split(self, text: str, voice: str, limit: int) -> Iterator[str]:
        phonemes = self.phonemize(text, voice)
        if len(phonemes) <= limit or " " not in text.strip():
            if phonemes:
                yield text
            return
        head, tail = _halve(text)
        yield from self._split(head, voice, limit)
        yield from self._split(tail, voice, MAX_PHONEMES)

    # -- phonemes -> audio ---------------------------------------------------------------

    def synthesize_chunk(self, text: str, voice: str, speed: float) -> AudioArray:
        cache_key = (text, voice, speed)
        if len(text) <= AUDIO_CACHE_CHARS and cache_key in self._audio_cache:
            self._audio_cache.move_to_end(cache_key)
            return self._audio_cache[cache_key]
        joins_next = not _ENDS_CLAUSE.search(text)
        # A piece cut mid-clause would otherwise end in a falling, final-sounding tone;
        # a trailing comma makes the model keep the voice up, as if the sentence goes on.
        phonemes = self.phonemize(text + "," if joins_next else text, voice)
        samples = self.synthesize_phonemes(phonemes, voice, speed)
        samples = trim_silence(samples, joins_next=joins_next)
        if len(text) <= AUDIO_CACHE_CHARS:
            samples.setflags(write=False)  # shared between plays: nobody may modify it
            self._audio_cache[cache_key] = samples
            if len(self._audio_cache) > AUDIO_CACHE_ENTRIES:
                self._audio_cache.popitem(last=False)
        return samples

    def synthesize_phonemes(self, phonemes: str, voice: str, speed: float) -> AudioArray:
        """Run the model on a phoneme string (at most MAX_PHONEMES symbols); untrimmed."""
        if not phonemes:
            return np.zeros(0, dtype=np.float32)
        if self._session is None:
            self.load()
        vocab = self.files().vocab
        ids = [vocab[symbol] for symbol in phonemes if symbol in vocab][:MAX_PHONEMES]
        style = self._voice_table(voice)[len(ids)]
        feeds = {
            self._input_name: np.array([[0, *ids, 0]], dtype=np.int64),
            "style": np.asarray(style, dtype=np.float32).reshape(1, -1),
            "speed": np.array([speed], dtype=np.float32),
        }
        audio = self._session.run(None, feeds)[0]
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        np.clip(samples, -1.0, 1.0, out=samples)
        return samples


def _halve(text: str) -> tuple[str, str]:
    """Split near the middle, preferring a clause break, else a space."""
    middle = len(text) // 2
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    if breaks:
        cut = min(breaks, key=lambda position: abs(position - middle))
    else:
        spaces = [i for i, char in enumerate(text) if char == " "]
        cut = min(spaces, key=lambda position: abs(position - middle))
    return text[:cut].strip(), text[cut:].strip()
