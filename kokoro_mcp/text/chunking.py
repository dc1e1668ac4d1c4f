"""Split prepared text into chunks for synthesis: a short first one, then growing ones.

The first chunk is a few words so the first sound starts early. Later chunks grow
geometrically (each at most `growth` times the previous one) up to `max_chars`, so each
chunk is synthesized while the previous one plays instead of leaving a gap after the short
first chunk. That holds while growth * real-time factor <= 1: synthesis runs at ~0.25-0.35x
real time on 2 quiet cores and was measured at ~0.5x on a busy box, hence 1.6.

Cuts prefer sentence ends, then clause punctuation, then spaces; never inside a word.
Scanning is window-based: each chunk looks at no more than ~2 * max_chars characters, so
the first chunk of a 1 MB text costs the same as that of a short one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator

from kokoro_mcp.text.characters import is_cjk
from kokoro_mcp.text.rules import unglue

logger = logging.getLogger(__name__)

FIRST_CHUNK_WORDS = 6
# ~1 phoneme a character for prose, up to ~1.8 with numbers: well under 510. Also bounds
# memory: the vocoder's buffers grow with a chunk's audio (150 chars ~ 10 s, peak RSS ~700 MB).
MAX_CHARS = 150
MIN_CHARS = 40
GROWTH = 1.6
FIRST_CHUNK_CJK_CHARS = 16

# A sentence ends at terminal punctuation (with closing quotes/brackets) before a space.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s|$)|[。！？]+")
_CLAUSE_END = re.compile(r"[,;:]+[\"'”’)\]]*(?=\s|$)|\s[—–]\s|[、，；：]+")
_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s")

# Words after which a period usually doesn't end the sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf approx no fig eq ca inc ltd co corp dept"  # noqa: SIM905
    " est al jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Words a first chunk shouldn't end on: it would sound cut off mid-phrase.
_WEAK_ENDINGS = frozenset(
    "a an the of to in on at by for with from into onto and or but nor so as than that"  # noqa: SIM905
    " which who whose whom this these those my your our their its his her is are was were be"
    " been am will would can could should shall may might must do does did has have had not"
    " no if when while because about over under after before between through".split()
)


# Words that open a new clause: cutting just before one sounds like a natural pause
# ("The build finished | and all tests passed."), unlike a cut inside a noun phrase.
_CLAUSE_OPENERS = frozenset(
    "and but or nor so yet because before after when whenever while if unless until since"  # noqa: SIM905
    " though although whether which who whom whose where then than once".split()
)
# Prepositions are the next best place (never "of": it binds to the noun before it).
_PHRASE_OPENERS = frozenset(
    "to for with from into onto in on at by about over under through during without within"  # noqa: SIM905
    " across between against via like".split()
)


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    """Reject periods that belong to an abbreviation or a single initial ("J. Smith")."""
    punct = match.group()
    if not punct.startswith(".") or len(punct.rstrip("\"'”’)]")) > 1:
        return True
    start = match.start()
    word_start = start
    while word_start > 0 and not text[word_start - 1].isspace() and start - word_start < 12:
        word_start -= 1
    word = text[word_start:start].lstrip("(\"'“‘")
    if word.lower() in _ABBREVIATIONS:
        return False
    # A single capital letter is usually an initial ("J. Smith"), not a sentence.
    return not (len(word) == 1 and word.isupper())


def _last_sentence_end(text: str, start: int, end: int) -> int:
    """Index just past the last sentence end in text[start:end], or -1."""
    best = -1
    for match in _SENTENCE_END.finditer(text, start, min(len(text), end + 1)):
        if match.end() <= end and _is_sentence_end(text, match):
            best = match.end()
    return best


def _last_clause_end(text: str, start: int, end: int) -> int:
    best = -1
    for match in _CLAUSE_END.finditer(text, start, min(len(text), end + 1)):
        if match.end() <= end:
            best = match.end()
    return best


def _last_space(text: str, start: int, end: int) -> int:
    """Index of the last whitespace in text[start:end+1] (a cut there splits no word), or -1."""
    index = text.rfind(" ", start, end + 1)
    for other in ("\n", "\t"):
        index = max(index, text.rfind(other, start, end + 1))
    return index if index > start else -1


def _last_strong_space(text: str, start: int, end: int) -> int:
    """The last space in text[start:end+1] that doesn't leave the chunk hanging on a weak
    word ("to the | staging database"), looking back a few words; else the last space."""
    space = _last_space(text, start, end)
    candidate = space
    floor = start + (end - start) // 2
    for _ in range(5):
        if candidate <= floor:
            break
        word_start = text.rfind(" ", start, candidate) + 1
        word = text[word_start:candidate].strip(".,;:!?\"'").lower()
        if word not in _WEAK_ENDINGS:
            return candidate
        candidate = _last_space(text, start, candidate - 1)
    return space


def _first_chunk_end(text: str, start: int, target_words: int) -> int:
    """End index of the first chunk: a sentence or clause end near `target_words`, else a
    word boundary that doesn't leave the phrase hanging on "the" or "of"."""
    max_words = target_words + 2
    min_words = min(3, target_words)
    word_ends: list[int] = []
    words: list[str] = []
    for match in _WORD.finditer(text, start):
        word_ends.append(match.end())
        words.append(match.group())
        if len(words) > max_words:
            break
    if len(words) <= max_words:
        return len(text)
    limit = word_ends[max_words - 1]
    sentence = _last_sentence_end(text, start, limit)
    if sentence != -1:
        return sentence
    # A clause end after at least `min_words` words.
    clause = _last_clause_end(text, word_ends[min_words - 1] - 1, limit)
    if clause != -1:
        return clause
    # Prefer `target_words`, then fewer, then a couple more.
    order: list[int] = [*range(target_words, min_words - 1, -1)]
    order += range(target_words + 1, max_words + 1)
    # Cut just before a word that opens a clause, else a phrase, when one is in reach.
    for openers in (_CLAUSE_OPENERS, _PHRASE_OPENERS):
        for count in order:
            if words[count].lower() in openers:
                return word_ends[count - 1]
    for count in order:
        last_word: str = words[count - 1].lower().strip(".,;:!?\"'")
        if last_word not in _WEAK_ENDINGS:
            return word_ends[count - 1]
    return word_ends[target_words - 1]


def _first_sentence_end(text: str, start: int, end: int) -> int:
    """Index just past the first sentence end in text[start:end], or -1."""
    for match in _SENTENCE_END.finditer(text, start, min(len(text), end + 1)):
        if match.end() <= end and _is_sentence_end(text, match):
            return match.end()
    return -1


def _chunk_end(text: str, start: int, budget: int, max_chars: int) -> int:
    """End index of a chunk starting at `start`: at most `budget` characters, or up to a
    quarter more (never over `max_chars`) to finish a sentence instead of cutting it."""
    limit = start + budget
    if limit >= len(text):
        return len(text)
    sentence = _last_sentence_end(text, start, limit)
    if sentence != -1:
        return sentence
    sentence = _first_sentence_end(text, limit, start + min(max_chars, budget + budget // 4))
    if sentence != -1:
        return sentence
    clause = _last_clause_end(text, start + budget // 3, limit)
    if clause != -1:
        return clause
    space = _last_strong_space(text, start, limit)
    if space != -1:
        return space
    if is_cjk(text[limit - 1]):
        return limit  # scripts written without spaces: any character boundary will do
    # One word longer than the budget: emit it whole.
    match = _SPACE.search(text, limit)
    return match.start() if match else len(text)


class _Text:
    """The text being cut, filled from an iterator of blocks only as far as the cutter
    looks ahead, so the first chunk never waits for the rest of a long reply."""

    def __init__(self, source: str | Iterable[str], lookahead: int) -> None:
        if isinstance(source, str):
            self.text, self.blocks = source, None
        else:
            self.text, self.blocks = "", iter(source)
        self.lookahead = lookahead

    def fill(self, pos: int) -> int:
        """Make sure `lookahead` characters follow `pos` (or the source is drained); return
        `pos` in the possibly re-based text."""
        if self.blocks is None or len(self.text) - pos >= self.lookahead:
            return pos
        pieces = [self.text[pos:]]
        have = len(pieces[0])
        for block in self.blocks:
            pieces.append(block)
            have += len(block) + 1
            if have >= self.lookahead:
                break
        else:
            self.blocks = None
        self.text = " ".join(piece for piece in pieces if piece)
        return 0


def split_chunks(
    text: str | Iterable[str],
    *,
    first_chunk_words: int = FIRST_CHUNK_WORDS,
    max_chars: int = MAX_CHARS,
    growth: float = GROWTH,
) -> Iterator[str]:
    """Yield stripped, non-empty chunks of `text` lazily, in order.

    `text` is a string, or an iterable of blocks (`iter_spoken_blocks`) pulled only as far
    as the next cut needs. The first chunk is about `first_chunk_words` words; each later
    chunk is at most `growth` times as long as the longest before it (at least MIN_CHARS;
    a quarter more to finish a sentence) and at most `max_chars` characters, unless a
    single word is longer. Glued expansions (rules.GLUE) count as one word and are never
    cut; the chunks hold plain spaces.
    """
    if first_chunk_words < 1:
        raise ValueError(f"first_chunk_words must be at least 1, got {first_chunk_words}")
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if growth < 1:
        raise ValueError(f"growth must be at least 1.0, got {growth}")
    source = _Text(text, 2 * max_chars + 16 * (first_chunk_words + 3))
    pos = 0
    budget = 0
    first = True
    while True:
        pos = source.fill(pos)
        text = source.text
        length = len(text)
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            if source.blocks is None:
                return
            continue
        if first:
            end = _first_chunk_end(text, pos, first_chunk_words)
            if is_cjk(text[pos]) and end - pos > FIRST_CHUNK_CJK_CHARS:
                # No spaces to count words by: a few characters, cut at punctuation if any.
                end = _chunk_end(text, pos, min(max_chars, FIRST_CHUNK_CJK_CHARS), max_chars)
            elif end - pos > max_chars:
                end = _chunk_end(text, pos, max_chars, max_chars)
        else:
            end = _chunk_end(text, pos, budget, max_chars)
        if end >= length and source.blocks is not None:
            # A word longer than the lookahead: pull until it ends (or the source does).
            source.lookahead += max(source.lookahead, end - pos)
            continue
        chunk = unglue(text[pos:end].strip())
        pos = end
        first = False
        if chunk:
            # Never shrink: a chunk cut short at a sentence end ("What I did.") leaves the
            # earlier, longer chunks queued, so the next one may still be as long as before.
            budget = min(max_chars, max(MIN_CHARS, budget, int(len(chunk) * growth)))
            yield chunk
