"""What a Kokoro voice name says about itself: `af_heart` = American English, female."""

from __future__ import annotations

from kokoro_mcp.engine.base import VoiceInfo

# First letter of a Kokoro voice name -> (language code, language name).
LANGUAGES: dict[str, tuple[str, str]] = {
    "a": ("en-US", "American English"),
    "b": ("en-GB", "British English"),
    "e": ("es", "Spanish"),
    "f": ("fr-FR", "French"),
    "h": ("hi", "Hindi"),
    "i": ("it", "Italian"),
    "j": ("ja", "Japanese"),
    "p": ("pt-BR", "Brazilian Portuguese"),
    "z": ("zh", "Mandarin Chinese"),
}
GENDERS = {"f": "female", "m": "male"}
# Languages this install can phonemize: misaki English, espeak-ng for the rest (see g2p).
SUPPORTED_LANGUAGE_LETTERS = frozenset("abefhip")
DEFAULT_VOICE = "af_heart"


def describe_voice(name: str) -> VoiceInfo:
    """Build a VoiceInfo from a voice name's two-letter prefix."""
    language, language_name = LANGUAGES.get(name[:1], ("und", "unknown language"))
    gender = GENDERS.get(name[1:2], "unknown")
    return VoiceInfo(
        name=name,
        language=language,
        language_name=language_name,
        gender=gender,
        supported=name[:1] in SUPPORTED_LANGUAGE_LETTERS,
    )


def supported_language_names() -> str:
    """Human list of the languages we can speak, for error messages."""
    return " and ".join(LANGUAGES[letter][1] for letter in sorted(SUPPORTED_LANGUAGE_LETTERS))
