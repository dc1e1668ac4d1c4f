"""Guarded regex rewrite rules, shared by the text passes."""

from __future__ import annotations

import re
from collections.abc import Callable

Replacement = str | Callable[[re.Match[str]], str]
# (substrings of which one must occur for the rule to apply, pattern, replacement). The
# guard skips a pass over the text when it cannot match: most blocks have few symbols.
Rule = tuple[tuple[str, ...], re.Pattern[str], Replacement]
ALWAYS: tuple[str, ...] = ("",)


def apply_rules(text: str, rules: list[Rule]) -> str:
    """Run each rule whose trigger occurs in `text`, in order."""
    for triggers, pattern, replacement in rules:
        for trigger in triggers:  # a plain loop: measurably cheaper than any() here
            if trigger in text:
                text = pattern.sub(replacement, text)
                break
    return text


# Joins the words of one spoken expansion ("staging dot example dot com", "December 3,
# 2027") so the chunker treats them as one word and never cuts inside a phrase the text
# stage made up. A private-use character: the input can't hold one (clean_characters drops
# them), no rule's \w or \s matches it, and the chunker turns it back into a space.
GLUE = "\ue000"
MAX_GLUED_CHARS = 60  # longer expansions stay cuttable: a chunk must still fit the model


def glue(phrase: str) -> str:
    """One unbreakable unit of speech, unless it is too long to keep whole."""
    return phrase.replace(" ", GLUE) if len(phrase) <= MAX_GLUED_CHARS else phrase


_LOOSE_GLUE = re.compile(f"{GLUE}*\\s+{GLUE}*|{GLUE}{{2,}}")
_GLUE_EDGE = re.compile(f"{GLUE}+(?=[,.;:!?)\\]…'\"]|$)|(?:(?<=[(\\[])|^){GLUE}+")


def tidy_glue(text: str) -> str:
    """Glue next to a space or a mark (an expansion of nothing, or beside a removed mark)
    is not glue: a space, or nothing before punctuation."""
    if GLUE not in text:
        return text
    return _GLUE_EDGE.sub("", _LOOSE_GLUE.sub(" ", text))


def unglue(text: str) -> str:
    return text.replace(GLUE, " ") if GLUE in text else text
