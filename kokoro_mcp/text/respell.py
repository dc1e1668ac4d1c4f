"""Words the voice says wrong as written, respelled the way people say them.

One table, checked by phonemizing each entry with the G2P the engine uses: misaki spells
"JSON" letter by letter and reads "AWS" as "awes", but reads "json" as "jay-son". Roman
numerals after a name or a "Part" are numbers, not letters. Runs last, on whole words, so
it also reaches the pieces the identifier pass split out ("parseJSONResponse").
"""

from __future__ import annotations

import re

from kokoro_mcp.text.quantities import ordinal_words
from kokoro_mcp.text.rules import Rule, apply_rules

RESPELLINGS: dict[str, str] = {
    "JSON": "json",
    "JSONL": "json L",
    "YAML": "yaml",
    "TOML": "toml",
    "AWS": "A.W.S",
    "SIGTERM": "sig term",
    "SIGKILL": "sig kill",
    "SIGINT": "sig int",
    "SIGHUP": "sig hup",
    "SIGSEGV": "sig seg V",
    "SIGPIPE": "sig pipe",
    "SIGUSR1": "sig user 1",
    "CUDA": "cuda",
    "NGINX": "engine x",
    "nginx": "engine x",
    "kubectl": "kube control",
    "k8s": "kubernetes",
    "K8s": "kubernetes",
    "stdout": "standard out",
    "stderr": "standard error",
    "stdin": "standard in",
    "SQLite": "sequel light",
    "PyPI": "pie P I",
}
_ALTERNATIVES = "|".join(sorted(map(re.escape, RESPELLINGS), key=len, reverse=True))
_WORD = re.compile(rf"(?<![\w.\-/])({_ALTERNATIVES})(?![\w\-/]|\.\w)")

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
# II to XXXIX; "I", "V" and "X" alone are a pronoun, a letter, a model name more often.
_ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
_COUNTED = (
    "Part|Chapter|Volume|Vol\\.|Book|Act|Scene|Phase|Season|Episode|Section|Type|Class|Level"
    "|Stage|Tier|Grade|Appendix|World War|Title|Article|Figure|Table|Round|Gen|Generation"
)
_COUNTED_ROMAN = re.compile(rf"\b({_COUNTED}) ({_ROMAN})\b(?![\w-])")
# A name then a numeral: Charles III, Henry VIII, Pope John XXIII, Super Bowl LVII-free.
_REGNAL = re.compile(rf"\b([A-Z][a-z]{{2,}}) ({_ROMAN})\b(?![\w-])")


def roman_value(numeral: str) -> int:
    total = 0
    for index, letter in enumerate(numeral):
        value = _ROMAN_VALUES[letter]
        following = _ROMAN_VALUES[numeral[index + 1]] if index + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def _counted(match: re.Match[str]) -> str:
    numeral = match.group(2)
    if len(numeral) < 2:
        return match.group()
    return f"{match.group(1)} {roman_value(numeral)}"


def _regnal(match: re.Match[str]) -> str:
    numeral = match.group(2)
    if len(numeral) < 2:
        return match.group()
    return f"{match.group(1)} the {ordinal_words(roman_value(numeral)).title()}"


_RULES: list[Rule] = [
    (("I", "V", "X"), _COUNTED_ROMAN, _counted),
    (("I", "V", "X"), _REGNAL, _regnal),
    (("",), _WORD, lambda m: RESPELLINGS[m.group(1)]),
]


def respell(text: str) -> str:
    """Whole words from RESPELLINGS, and roman numerals after names, said as people say them."""
    return apply_rules(text, _RULES)
