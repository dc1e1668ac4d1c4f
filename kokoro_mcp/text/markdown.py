"""Markdown (and stack trace) structure to spoken blocks.

`iter_blocks` walks the text line by line and yields one string per spoken unit: a
paragraph, a heading, a list item, a table row, a code-block placeholder or the error line
of a stack trace. Each block is still inline markdown; `strip_inline` removes that.
Every pattern here is bounded or anchored so the work stays linear in the input size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterable, Iterator
from typing import Literal

logger = logging.getLogger(__name__)

CodeBlockMode = Literal["placeholder", "skip"]

MAX_TABLE_ROWS = 8

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_HEADING = re.compile(r" {0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r" {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_QUOTE = re.compile(r" {0,3}(?:>\s?)+")
_BULLET = re.compile(r"\s*(?:[-*+•]|\d{1,9}[.)])\s+(?:\[([ xX])\]\s+)?")
_TABLE_SEPARATOR = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_REFERENCE_DEFINITION = re.compile(r" {0,3}\[[^\]\n]{1,200}\]:\s*\S+")
_HTML_COMMENT_START = "<!--"
_TRACEBACK_START = re.compile(r"Traceback \(most recent call last\):\s*$")
_JS_FRAME = re.compile(r"\s+at\s+\S.*(?:\)|:\d+)\s*$|\s+\.\.\. \d+ more\s*$")
_PY_FRAME = re.compile(r'\s*File "[^"\n]{1,500}", line \d+')

_LANGUAGES = {
    "py": "Python",
    "python": "Python",
    "python3": "Python",
    "pycon": "Python",
    "js": "JavaScript",
    "javascript": "JavaScript",
    "jsx": "JavaScript",
    "mjs": "JavaScript",
    "ts": "TypeScript",
    "typescript": "TypeScript",
    "tsx": "TypeScript",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "shell": "shell",
    "console": "shell",
    "shell-session": "shell",
    "powershell": "PowerShell",
    "ps1": "PowerShell",
    "json": "JSON",
    "jsonc": "JSON",
    "yaml": "YAML",
    "yml": "YAML",
    "toml": "TOML",
    "ini": "config",
    "rs": "Rust",
    "rust": "Rust",
    "go": "Go",
    "golang": "Go",
    "c": "C",
    "h": "C",
    "cpp": "C plus plus",
    "c++": "C plus plus",
    "cs": "C sharp",
    "csharp": "C sharp",
    "java": "Java",
    "kt": "Kotlin",
    "kotlin": "Kotlin",
    "swift": "Swift",
    "rb": "Ruby",
    "ruby": "Ruby",
    "php": "PHP",
    "html": "HTML",
    "xml": "XML",
    "css": "CSS",
    "scss": "CSS",
    "sql": "SQL",
    "diff": "diff",
    "patch": "diff",
    "dockerfile": "Dockerfile",
    "docker": "Dockerfile",
    "makefile": "Makefile",
    "make": "Makefile",
    "md": "Markdown",
    "markdown": "Markdown",
    "lua": "Lua",
    "r": "R",
    "scala": "Scala",
    "haskell": "Haskell",
    "hs": "Haskell",
    "elixir": "Elixir",
    "ex": "Elixir",
    "zig": "Zig",
    "nix": "Nix",
    "graphql": "GraphQL",
    "proto": "protobuf",
    "terraform": "Terraform",
    "hcl": "Terraform",
    "mermaid": "Mermaid diagram",
}
_PLAIN_LANGUAGES = frozenset({"", "text", "txt", "plain", "plaintext", "output", "log", "none"})

# Inline markdown. Quantifiers are bounded so a line full of "[" or "<" stays linear.
# Brackets are excluded inside the scanned parts so a run of "[" or "(" fails at once.
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,300})\]\([^()\s]{0,2000}(?:\s+\"[^\"\n]{0,300}\")?\)")
_LINK = re.compile(
    r"\[([^\[\]\n]{1,300})\]"
    r"(?:\([^()\s\[\]]{0,2000}(?:\s+\"[^\"\n]{0,300}\")?\)|\[[^\[\]\n]{0,100}\])"
)
_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,50}\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]{1,2000}|[\w.+-]{1,64}@[\w.-]{1,255})>")
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
_EMPHASIS = re.compile(r"(?<!\w)(?:\*+|_+|~~)(?=[^\s*_~])|(?<=[^\s*_~])(?:\*+|_+|~~)(?!\w)")
_BACKTICKS = re.compile(r"`+")
# A whole code span that is a path, spaces allowed: "`~/Library/Application Support/x.json`".
_CODE_PATH = re.compile(r"`((?:~|\.{1,2}|[A-Za-z]:)?[/\\][^`\n]{0,300}[/\\]([^`/\\\n]{1,100}))`")
_HTML_ENTITIES = {
    "&nbsp;": " ",
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&#39;": "'",
}
_ENTITY = re.compile(r"&(?:nbsp|amp|lt|gt|quot|#39);")


def _strip_comments(text: str) -> str:
    """Drop `<!-- ... -->` with plain finds: a regex would rescan after every unclosed one."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return " ".join(parts)


def strip_inline(text: str) -> str:
    """Remove inline markdown: links and images keep their text, emphasis and code marks go."""
    if "<!--" in text:
        text = _strip_comments(text)
    text = _IMAGE.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_BREAK.sub(". ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _ENTITY.sub(lambda m: _HTML_ENTITIES[m.group()], text)
    if "`" in text:
        text = _CODE_PATH.sub(r"\2", text)
        text = _BACKTICKS.sub("", text)
    return _EMPHASIS.sub("", text)


def _code_placeholder(language: str) -> str:
    lang = language.lower().strip("{}.")
    if lang in _PLAIN_LANGUAGES:
        return "Code block skipped."
    name = _LANGUAGES.get(lang)
    if name is None:
        name = lang if lang.isalpha() and len(lang) <= 15 else ""
    return f"{name[:1].upper()}{name[1:]} code block skipped." if name else "Code block skipped."


def _trace_error_line(lines: list[str]) -> str | None:
    """The line worth saying from a stack trace: Python's last unindented line after the
    traceback header, or the line before JavaScript/Java `at ...` frames."""
    error: str | None = None
    in_python = False
    for index, line in enumerate(lines):
        if _TRACEBACK_START.match(line.strip()):
            in_python = True
            continue
        if in_python and line.strip() and not line[:1].isspace():
            error = line.strip()
            in_python = False
        elif _JS_FRAME.match(line) and index > 0 and lines[index - 1].strip():
            previous = lines[index - 1]
            if not _JS_FRAME.match(previous):
                error = previous.strip()
    return error


def _table_rows(rows: list[list[str]]) -> Iterator[str]:
    """A table as sentences: "Name: foo, size: 3 MB." per row, capped at MAX_TABLE_ROWS."""
    header, body = rows[0], rows[1:]
    if not body:
        yield ", ".join(cell for cell in header if cell)
        return
    for row in body[:MAX_TABLE_ROWS]:
        parts = []
        for index, cell in enumerate(row):
            if not cell:
                continue
            name = header[index] if index < len(header) else ""
            if not any(ch.isalpha() for ch in name):
                name = ""  # "#" or "" columns: the value alone
            parts.append(f"{name}: {cell}" if name and name != cell else cell)
        if parts:
            yield ", ".join(parts)
    hidden = len(body) - MAX_TABLE_ROWS
    if hidden > 0:
        yield f"And {hidden} more {'row' if hidden == 1 else 'rows'}"


def _cells(line: str) -> list[str]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [cell.strip() for cell in inner.split("|")]


def iter_blocks(text: str, code_blocks: CodeBlockMode = "placeholder") -> Iterator[str]:
    """Yield the spoken blocks of markdown `text` (inline markup still inside); "" stands
    for a code block that is not said."""
    yield from _BlockParser(code_blocks).parse(text.split("\n"))


class _BlockParser:
    """Line-by-line state machine; a class only to share the paragraph buffer."""

    def __init__(self, code_blocks: CodeBlockMode) -> None:
        self.code_blocks = code_blocks
        self.paragraph: list[str] = []

    def flush(self) -> Iterator[str]:
        if self.paragraph:
            yield _join_lines(self.paragraph)
            self.paragraph = []

    def parse(self, lines: Iterable[str]) -> Iterator[str]:
        iterator = iter(lines)
        pending: str | None = None
        while True:
            if pending is not None:
                line, pending = pending, None
            else:
                next_line = next(iterator, None)
                if next_line is None:
                    break
                line = next_line
            stripped = line.strip()
            fence = _FENCE.match(line)
            if fence:
                yield from self.flush()
                yield self.code_block(iterator, fence.group(1), fence.group(2))
                continue
            if _TRACEBACK_START.match(stripped):
                yield from self.flush()
                trace = [line]
                for follower in iterator:
                    trace.append(follower)
                    if follower.strip() and not follower[:1].isspace():
                        break
                error = _trace_error_line(trace)
                if error:
                    yield error
                continue
            if _JS_FRAME.match(line) or _PY_FRAME.match(line):
                continue  # a stack frame outside a code block: the error line was kept
            if stripped.startswith(_HTML_COMMENT_START) and "-->" not in stripped:
                for follower in iterator:
                    if "-->" in follower:
                        break
                continue
            line = _QUOTE.sub("", line, count=1) if line.lstrip().startswith(">") else line
            stripped = line.strip()
            if not stripped:
                yield from self.flush()
                continue
            if _SETEXT.match(line) and self.paragraph and not _BULLET.match(line):
                yield from self.flush()  # the paragraph was a heading
                continue
            if _RULE.match(line):
                yield from self.flush()
                continue
            if _REFERENCE_DEFINITION.match(line):
                continue
            heading = _HEADING.match(line)
            if heading:
                yield from self.flush()
                if heading.group(1).strip():
                    yield heading.group(1)
                continue
            if "|" in stripped:
                following = next(iterator, None)
                if following is not None and _TABLE_SEPARATOR.match(following):
                    yield from self.flush()
                    pending = yield from self.table(stripped, iterator)
                    continue
                pending = following
            bullet = _BULLET.match(line)
            if bullet:
                yield from self.flush()
                item = line[bullet.end() :]
                if bullet.group(1) is not None:
                    item = f"{'Done' if bullet.group(1) in 'xX' else 'To do'}: {item}"
                self.paragraph.append(item)
                continue
            self.paragraph.append(line)
        yield from self.flush()

    def code_block(self, lines: Iterator[str], fence: str, language: str) -> str:
        """Consume a fenced block; return what to say for it: its error line, a placeholder,
        or "" (a silent block, so the caller can fix a "Run this:" that introduced it)."""
        body: list[str] = []
        for line in lines:
            match = _FENCE.match(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                break
            body.append(line)
        error = _trace_error_line(body)
        if error:
            return error
        if self.code_blocks == "placeholder" and any(line.strip() for line in body):
            return _code_placeholder(language)
        return ""

    def table(self, header_line: str, lines: Iterator[str]) -> Generator[str, None, str | None]:
        """Yield the table's rows as sentences; return the first line after the table."""
        rows = [_cells(header_line)]
        leftover: str | None = None
        for line in lines:
            if "|" not in line or not line.strip():
                leftover = line
                break
            rows.append(_cells(line))
        yield from _table_rows(rows)
        return leftover


def _join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines. A line that ends without punctuation was meant as its own
    sentence when the next starts with a capital ("Build passed\nTests pass") or both are
    short status lines ("tests pass\nlint is clean"); long lines are wrapped prose."""
    parts: list[str] = []
    previous = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if previous and previous[-1].isalnum():
            short = len(previous.split()) <= 6 and len(line.split()) <= 6
            if line[:1].isupper() or short:
                parts[-1] += "."
        parts.append(line)
        previous = line
    return " ".join(parts)
