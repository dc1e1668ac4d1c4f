"""What a G2P call may be given: bounded, so that no text can make one call run for seconds.

spaCy's tokenizer and misaki's rules cost far more than linear time on degenerate "words"
and hold the interpreter lock while they run: one 20,000-character token of brackets took
~38 s in a single call (nothing else in the process ran meanwhile), a long digit chain made
Python's int() refuse it. Text preparation (kokoro_mcp/text) already shortens what it knows;
this is the engine's own backstop, applied to every string handed to G2P:

- a unit of 1-16 characters repeated more than MAX_REPEATS times in a row ("((((", "a@a@a@",
  combining accents, zero-width joiners) is kept MAX_REPEATS times; digit runs are left alone
  (they are values, not noise) unless the token itself is too long;
- a whitespace-free token longer than MAX_TOKEN_CHARS keeps its first MAX_TOKEN_CHARS;
- a number of more than MAX_NUMBER_DIGITS digits becomes "a 20-digit number" (read in full,
  twenty nines take twelve seconds and say nothing a listener can hold).

The engine also never speaks the same chunk more than twice in a row (see Engine.synthesize):
a chain the text stage cut into many identical chunks is said briefly, not a hundred times.

Each rule only shortens, and is linear in the input, so the bound itself is cheap. What is
left costs G2P time roughly in proportion to its length; the engine splits pieces longer
than MAX_G2P_CHARS at spaces before asking G2P about them (chunks are ~150 characters).
"""

from __future__ import annotations

import re

MAX_REPEATS = 3
# The longest English dictionary words are ~45 letters; longer tokens are noise to a reader.
MAX_TOKEN_CHARS = 48
MAX_G2P_CHARS = 400

MAX_NUMBER_DIGITS = 12
MAX_UNIT_CHARS = 16
# A unit, then MAX_REPEATS or more copies of it: more than MAX_REPEATS in a row.
_REPEATED_UNIT = re.compile(rf"(.{{1,{MAX_UNIT_CHARS}}}?)\1{{{MAX_REPEATS},}}", re.DOTALL)


def _keep_a_few(match: re.Match[str]) -> str:
    unit = match.group(1)
    if unit.isdigit():
        return match.group()
    return unit * MAX_REPEATS


def collapse_runs(text: str) -> str:
    """`text` with each unit repeated more than MAX_REPEATS times in a row kept MAX_REPEATS
    times (digit runs excepted). Linear; applied to a whole text before it is chunked, so a
    20,000-character chain is said once, briefly, not in a hundred chunks."""
    return _REPEATED_UNIT.sub(_keep_a_few, text)


_LONG_NUMBER = re.compile(rf"\d{{{MAX_NUMBER_DIGITS + 1},}}")


def shorten_chunk(text: str) -> str:
    """A prepared chunk with runs collapsed and very long numbers summarised."""
    collapsed = collapse_runs(text)
    return _LONG_NUMBER.sub(lambda match: f"a {len(match.group())}-digit number", collapsed)


def bound_for_g2p(text: str) -> str:
    """`text` with degenerate runs collapsed and long tokens cut (see the module doc)."""
    collapsed = collapse_runs(text)
    tokens = " ".join(token[:MAX_TOKEN_CHARS] for token in collapsed.split())
    # Capped tokens can line up into a new run ("x((( x((( x((( x((("): collapse once more.
    return collapse_runs(tokens)
