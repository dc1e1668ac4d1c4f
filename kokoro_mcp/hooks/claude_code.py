"""What to say for a Claude Code hook event: pure functions over its payload and transcript.

Stop / SubagentStop: a short summary of the last assistant reply (its "Summary" or "TL;DR"
part when it has one, else its first sentences), capped at a number of words; nothing for a
turn that only used tools, or when `stop_hook_active` says a Stop hook already made the agent
continue. Notification: the notification's message, with a prefix that tells it apart.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

MAX_TRANSCRIPT_TAIL = 4 * 1024 * 1024  # the last turn is at the end; never read a huge file
DEFAULT_WORDS = 40
NOTIFY_PREFIX = "Claude needs you"
# A summary that cannot start within three minutes is old news; a call for the person stays
# worth hearing longer (until it is answered, a newer one replaces it).
SUMMARY_TTL_SECONDS = 180.0
NOTICE_TTL_SECONDS = 600.0

_SUMMARY_HEADING = re.compile(
    r"^\s{0,3}(?:#{1,6}\s*|\*\*|__)?\s*(summary|tl;?dr|in short|bottom line)\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_INLINE_SUMMARY = re.compile(
    r"^\s*(?:\*\*|__)?(summary|tl;?dr)(?:\*\*|__)?\s*[:\-–—]\s*(?:\*\*|__)?\s*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NEXT_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|\*\*[^*\n]+\*\*\s*$)", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_CODE_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1\s*$", re.MULTILINE | re.DOTALL)


def compose(payload: Any, *, max_words: int = DEFAULT_WORDS) -> str | None:
    """The sentence to speak for a hook payload, or None when there is nothing to say."""
    if not isinstance(payload, dict):
        return None
    event = payload.get("hook_event_name")
    if event == "Notification":
        message = payload.get("message")
        if not isinstance(message, str) or not message.strip():
            return None
        return f"{NOTIFY_PREFIX}: {_cap(message.strip(), max_words)}"
    if event in ("Stop", "SubagentStop"):
        if payload.get("stop_hook_active") is True:
            return None
        path = payload.get("transcript_path")
        if not isinstance(path, str) or not path:
            return None
        reply = last_assistant_text(path)
        if not reply:
            return None
        return summarize(reply, max_words=max_words)
    return None


def manners(payload: Any) -> dict[str, Any]:
    """How the announcement for `payload` behaves in the shared queue (see speak's priority,
    ttl and replace): a newer summary of the same session replaces a queued older one, stale
    ones are dropped, and a call for the person goes ahead of other agents' queued speech."""
    event = payload.get("hook_event_name") if isinstance(payload, dict) else None
    session = payload.get("session_id") if isinstance(payload, dict) else None
    tag = session[:36] if isinstance(session, str) and session else "session"
    if event == "Notification":
        return {"priority": "high", "ttl": NOTICE_TTL_SECONDS, "replace": f"cc:{tag}:needs-you"}
    kind = "subagent" if event == "SubagentStop" else "summary"
    return {"ttl": SUMMARY_TTL_SECONDS, "replace": f"cc:{tag}:{kind}"}


def project_name(payload: Any) -> str | None:
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    if not isinstance(cwd, str) or not cwd.strip():
        return None
    return os.path.basename(os.path.normpath(cwd)) or None


def last_assistant_text(path: str) -> str:
    """The text of the assistant's messages since the person last wrote (tool results and
    tool calls skipped); empty when the turn was tools only. Reads the file's tail only."""
    with open(path, "rb") as transcript:
        transcript.seek(0, os.SEEK_END)
        size = transcript.tell()
        transcript.seek(max(0, size - MAX_TRANSCRIPT_TAIL))
        lines = transcript.read().decode("utf-8", "replace").splitlines()
    texts: list[str] = []
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a partial first line of the tail, or a line being written
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        content = (
            (entry.get("message") or {}).get("content")
            if isinstance(entry.get("message"), dict)
            else None
        )
        if kind == "user" and _written_by_person(content):
            break
        if kind == "assistant":
            text = _text_parts(content)
            if text:
                texts.append(text)
    return "\n\n".join(reversed(texts)).strip()


def _written_by_person(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        return any(isinstance(part, dict) and part.get("type") == "text" for part in content)
    return False


def _text_parts(content: Any) -> str:
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, list):
        return ""
    parts = [
        part.get("text", "")
        for part in content
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
    ]
    return "\n\n".join(part.strip() for part in parts if part.strip())


def summarize(reply: str, *, max_words: int = DEFAULT_WORDS) -> str | None:
    """The reply's summary part if it has one, else its first two sentences; capped."""
    text = _CODE_FENCE.sub(" ", reply)
    inline = _INLINE_SUMMARY.search(text)
    if inline:
        return _cap(inline.group(2), max_words)
    heading = _SUMMARY_HEADING.search(text)
    if heading:
        body = text[heading.end() :]
        following = _NEXT_HEADING.search(body)
        section = body[: following.start()] if following else body
        if section.strip():
            return _cap(section.strip(), max_words)
    first = _first_paragraph(text)
    if not first:
        return None
    sentences = _SENTENCE_END.split(first)
    return _cap(" ".join(sentences[:2]), max_words)


def _first_paragraph(text: str) -> str:
    for paragraph in re.split(r"\n\s*\n", text):
        stripped = paragraph.strip()
        if any(ch.isalnum() for ch in stripped):
            return stripped
    return ""


def _cap(text: str, max_words: int) -> str:
    """At most `max_words` words, ending at a sentence end when one is near."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    kept = " ".join(words[:max_words])
    end = max(kept.rfind(". "), kept.rfind("! "), kept.rfind("? "))
    if end > len(kept) // 2:
        return kept[: end + 1]
    return kept.rstrip(",;:") + "…"
