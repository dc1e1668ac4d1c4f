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
