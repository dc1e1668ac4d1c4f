"""Code blocks: a stack trace's error line, a diff's summary, else a short placeholder."""

from __future__ import annotations

from typing import Literal

from kokoro_mcp.text.diffs import looks_like_diff, summarize_diff
from kokoro_mcp.text.traces import trace_error_line

CodeBlockMode = Literal["placeholder", "skip"]

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

_DIFF_LANGUAGES = frozenset({"diff", "patch", "udiff"})


def code_placeholder(language: str) -> str:
    lang = language.lower().strip("{}.")
    if lang in _PLAIN_LANGUAGES:
        return "Code block skipped."
    name = _LANGUAGES.get(lang)
    if name is None:
        name = lang if lang.isalpha() and len(lang) <= 15 else ""
    return f"{name[:1].upper()}{name[1:]} code block skipped." if name else "Code block skipped."


def say_code_block(body: str, info: str, mode: CodeBlockMode) -> str:
    """What to say for a code block: its error line, its diff summary, a placeholder, or
    "" (a silent block, so the caller can fix a "Run this:" that introduced it)."""
    lines = body.split("\n")
    error = trace_error_line(lines)
    if error:
        return error
    language = info.split(maxsplit=1)[0] if info.strip() else ""
    if mode == "skip" or not body.strip():
        return ""
    if language.lower() in _DIFF_LANGUAGES or looks_like_diff(lines):
        return summarize_diff(lines)  # English words: "skip" (other languages) says nothing
    return code_placeholder(language)
