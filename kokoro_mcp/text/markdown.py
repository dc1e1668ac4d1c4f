"""Markdown (and the agent's own structures) to spoken blocks, on markdown-it tokens.

`iter_blocks` parses one segment (see segments.py) with markdown-it and yields one string
per spoken unit: a paragraph, a heading, a list item, a table row, a code-block placeholder,
a diff summary or the error line of a stack trace. Inline markup is already gone: links keep
their text, code spans their content, emphasis and tags vanish. The agent layers that
markdown knows nothing of (stack traces and diffs pasted outside a fence) are taken out of
the lines before parsing, so the parser never sees "-    return 1" as a list item.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Sequence
from html import unescape
from typing import TYPE_CHECKING, Any

from kokoro_mcp.text.code import CodeBlockMode, say_code_block
from kokoro_mcp.text.diffs import is_diff_line, starts_diff, summarize_diff
from kokoro_mcp.text.segments import Fences
from kokoro_mcp.text.tables import table_sentences
from kokoro_mcp.text.traces import FRAME, TRACEBACK_START

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["CodeBlockMode", "iter_blocks"]

logger = logging.getLogger(__name__)

# A segment this dense in markup is not prose anyone wrote (50 KB of "**a" or "{{{{"): the
# parser handles each of these characters on its own (~17 µs each) and its emphasis and
# link passes get slow, and nothing in such text is worth parsing.
_MARKUP_CHARS = "*_[]<>`{}#=~^|\\@"
_DENSE_MARKUP = 0.3
_DENSE_MIN_CHARS = 1_000
_MARKUP = re.compile(r"[*_\[\]<>`{}#=~^|\\@]+")

# Stands for a block computed before parsing (a diff summary): "\ue007<index>".
_SLOT = "\ue007"
_SLOT_LINE = re.compile(_SLOT + r"(\d+)")

_TASK = re.compile(r"\[([ xX])\]\s+")
_REFERENCE_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\[[^\[\]\n]{0,100}\]")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,50}\]")
# Line breaks and the ends of block elements separate sentences.
_HTML_BREAK = re.compile(
    r"<br\s{0,5}/?>|</(?:p|div|li|h[1-6]|tr|summary|details|blockquote|pre)\s{0,5}>",
    re.IGNORECASE,
)
# Only real HTML tag names: `Promise<User>` and `Vec<T>` are code, not markup.
_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|blockquote|br|button|center|cite|code|dd|del|details|div|dl"
    "|dt|em|figcaption|figure|font|footer|form|h[1-6]|header|hr|i|iframe|img|input|ins|kbd"
    "|label|li|main|mark|nav|ol|option|p|picture|pre|q|s|samp|section|select|small|source"
    "|span|strike|strong|sub|summary|sup|table|tbody|td|textarea|tfoot|th|thead|tr|tt|u|ul"
    "|var|video"
)
_HTML_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s[^<>\n]{{0,500}})?/?>", re.IGNORECASE)
# A whole code span that is a path, spaces allowed: "`~/Library/Application Support/x.json`".
_CODE_PATH = re.compile(r"(?:~|\.{1,2}|[A-Za-z]:)?[/\\][^`\n]{0,300}[/\\]([^`/\\\n]{1,100})")
_CLOSERS = "\"')]”’»"


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # ~30 ms: only when there is text to prepare

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def iter_blocks(
    segment: str, code_blocks: CodeBlockMode = "placeholder", *, english: bool = True
) -> Iterator[str]:
    """Yield the spoken blocks of one markdown segment; "" stands for a code block that is
    not said. Without `english`, no English words are added (task marks, icons, diffs)."""
    if len(segment) >= _DENSE_MIN_CHARS and "```" not in segment and "~~~" not in segment:
        marks = sum(segment.count(ch) for ch in _MARKUP_CHARS)
        if marks > _DENSE_MARKUP * len(segment):
            for paragraph in re.split(r"\n\s*\n", segment):
                plain = _MARKUP.sub(" ", unescape(paragraph))
                yield _join_lines(plain.split("\n"))
            return
    lines, slots = _take_agent_blocks(segment.split("\n"), english)
    tokens = _parser().parse("\n".join(lines))
    yield from _Walker(code_blocks, slots, lines, english).walk(tokens)


def _take_agent_blocks(lines: list[str], english: bool) -> tuple[list[str], list[str]]:
    """Outside fences: replace each pasted diff by a slot line (its summary is kept aside)
    and each stack trace by its error line."""
    out: list[str] = []
    slots: list[str] = []
    fences = Fences()
    index = 0
    while index < len(lines):
        line = lines[index]
        if fences.update(line):
            pass
        elif starts_diff(line, lines[index + 1] if index + 1 < len(lines) else ""):
            end = index + 1
            while end < len(lines) and is_diff_line(lines[end]):
                end += 1
            # The summary is English: other languages skip the diff, as they skip code.
            slots.append(summarize_diff(lines[index:end]) if english else "")
            out += ["", f"{_SLOT}{len(slots) - 1}", ""]
            index = end
            continue
        elif TRACEBACK_START.match(line):
            # Python: the header, indented frames and code, then the unindented error line.
            end = index + 1
            while end < len(lines) and (lines[end][:1].isspace() or FRAME.match(lines[end])):
                end += 1
            error = lines[end].strip() if end < len(lines) else ""
            out += ["", error, ""] if error else [""]
            index = end + 1 if error else end
            continue
        elif FRAME.match(line):
            index += 1  # "    at f (x.js:1:2)": the error line before it was kept
            continue
        out.append(line)
        index += 1
    return out, slots


class _Walker:
    """Walks the token stream once; a class only to share the table being read."""

    def __init__(
        self, code_blocks: CodeBlockMode, slots: list[str], lines: list[str], english: bool
    ) -> None:
        self.code_blocks = code_blocks
        self.english = english
        self.slots = slots
        self.lines = lines
        self.rows: list[list[str]] = []
        self.after_table: list[str] = []

    def walk(self, tokens: Sequence[Token]) -> Iterator[str]:
        item_start = False
        in_table = False
        prose_row = False
        for token in tokens:
            kind = token.type
            if kind == "list_item_open":
                item_start = True
            elif kind == "inline":
                text = render_inline(token.children or [])
                if in_table:
                    self.rows[-1].append(" ".join(text.split()))
                    continue
                slot = _SLOT_LINE.fullmatch(text.strip())
                if slot is not None:
                    yield self.slots[int(slot.group(1))]
                    continue
                if item_start:
                    text = _task(text, self.english)
                item_start = False
                yield _join_lines(text.split("\n"))
            elif kind in ("fence", "code_block"):
                item_start = False
                yield say_code_block(token.content, token.info, self.code_blocks)
            elif kind == "html_block":
                yield from self.html_block(token.content)
            elif kind == "table_open":
                in_table, self.rows, self.after_table = True, [], []
            elif kind == "tr_open":
                self.rows.append([])
                line = self.lines[token.map[0]] if token.map else "|"
                prose_row = "|" not in line
                if prose_row:
                    # GFM runs a table on into a line without "|" ("That is all."): prose,
                    # said after the table, not a row.
                    self.after_table.append(line)
            elif kind == "tr_close" and prose_row:
                self.rows.pop()
                prose_row = False
            elif kind == "table_close":
                in_table = False
                if self.rows:
                    yield from table_sentences(self.rows[0], self.rows[1:], self.english)
                if self.after_table:
                    yield from self.html_block("\n".join(self.after_table))

    def html_block(self, html: str) -> Iterator[str]:
        html = _strip_comments(html)
        if not html.strip():
            return
        for paragraph in re.split(r"\n\s*\n", html):
            children = _parser().parseInline(paragraph)[0].children or []
            text = render_inline(children)
            if text.strip():
                yield _join_lines(text.split("\n"))


def _task(text: str, english: bool) -> str:
    """ "[x] Write tests" -> "Done: Write tests" (in English; else just "Write tests")."""
    match = _TASK.match(text)
    if match is None:
        return text
    if not english:
        return text[match.end() :]
    return f"{'Done' if match.group(1) in 'xX' else 'To do'}: {text[match.end() :]}"


def render_inline(children: Sequence[Any]) -> str:
    """Inline tokens to plain text: markup goes, the words it marked stay; "\\n" between
    the source's lines."""
    parts: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text":
            parts.append(_plain_text(child.content))
        elif kind == "code_inline":
            parts.append(_code_span(child.content))
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)  # the alt text
        elif kind == "html_inline":
            parts.append(_inline_html(child.content))
        # link, emphasis and strikethrough open/close tokens are markup only
    return "".join(parts).replace("\xa0", " ")


def _plain_text(text: str) -> str:
    if "[" in text:
        text = _REFERENCE_LINK.sub(r"\1", _FOOTNOTE.sub("", text))
    return text


def _code_span(code: str) -> str:
    path = _CODE_PATH.fullmatch(code)
    return path.group(1) if path is not None else code


def _inline_html(html: str) -> str:
    if html.startswith("<!--"):
        return " "
    if _HTML_BREAK.fullmatch(html):
        return ". "
    if _HTML_TAG.fullmatch(html):
        return " "
    return html  # "<User>" in "Promise<User>": a type, said by the symbol pass


def _strip_comments(text: str) -> str:
    """Drop `<!-- ... -->` with plain finds: a regex would rescan after every unclosed one."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            parts.append(text[pos:start])
            pos = len(text)
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return " ".join(parts)


def _ends_sentence(line: str) -> bool:
    """Did the writer end this line with a word (no punctuation), so the line break is
    the only thing that separates it from the next?"""
    core = line.rstrip(_CLOSERS)
    return bool(core) and core[-1].isalnum()


def _join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines. A line that ends without punctuation was meant as its own
    sentence when the next starts with a capital ("Build passed\\nTests pass") or both are
    short status lines ("tests pass\\nlint is clean"); long lines are wrapped prose."""
    parts: list[str] = []
    previous = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if previous and _ends_sentence(previous):
            short = len(previous.split()) <= 6 and len(line.split()) <= 6
            if line[:1].isupper() or short:
                parts[-1] += "."
        parts.append(line)
        previous = line
    return " ".join(parts)
