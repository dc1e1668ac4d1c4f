"""What a good error message is, in one place: the fuzz suites hold every error they see to it.

An agent (or a person at a terminal) reads the message and must be able to act on it: one plain
sentence, short, saying what was wrong and what is accepted; no validation-library dump, no
documentation link, no traceback, no long echo of what was sent.
"""

from __future__ import annotations

MAX_ERROR_CHARS = 300
FORBIDDEN = ("pydantic", "https://", "http://", "Traceback", "validation error", "input_value")


def wording_problems(message: str) -> list[str]:
    """Every way `message` falls short of a good error (empty when it is one); each starts
    with a short name of the problem, details in brackets."""
    problems = []
    if not message.strip():
        problems.append("empty message")
    if "\n" in message.strip():
        problems.append("more than one line")
    if len(message) > MAX_ERROR_CHARS:
        problems.append(f"too long ({len(message)} characters, at most {MAX_ERROR_CHARS})")
    problems += [f"contains {word!r}" for word in FORBIDDEN if word.lower() in message.lower()]
    return problems
