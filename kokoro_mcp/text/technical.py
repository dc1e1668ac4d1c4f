"""Technical tokens to words: URLs, emails, paths, file names, domains, identifiers.

An agent's prose is full of `src/kokoro_mcp/cli.py`, `https://github.com/foo/bar` and
`parseJSONResponse`; read literally they are noise or unknown words. Each is reduced to what
a person would say: "CLI dot py", "github dot com", "parse JSON Response".
Candidate patterns are anchored at token starts so a long token is scanned once.
"""

from __future__ import annotations

import logging
import re

from kokoro_mcp.text.rules import ALWAYS, Rule, apply_rules, glue

logger = logging.getLogger(__name__)

_TRAILING = ".,;:!?)]}'\"”’"
_LEADING = "([{'\"“‘"

_LONG_HEX = re.compile(r"(?<![\w/+=-])(?=\d*[a-fA-F])[0-9a-fA-F]{16,}(?!\w)")
_LONG_BLOB = re.compile(r"(?<![\w/+=-])(?=[A-Za-z+=]*\d)[A-Za-z0-9+=]{32,}(?![\w/])")
_URL = re.compile(r"(?<![\w@])(?:(?:https?|ftp|file|wss?)://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_SLASHED = re.compile(r"(?<!\S)\S*[/\\]\S*")
_LINE_SUFFIX = re.compile(r"(?::(\d+))(?::\d+)?$|#L(\d+)(?:-L?\d+)?$")
_NUMBERS_ONLY = re.compile(r"\d+(?:[/\\]\d+)+")
_DRIVE = re.compile(r"[A-Za-z]:\\")
_SCHEME_PREFIX = re.compile(r"^[a-z]{2,10}:(?=/)")
# "50 req/s", "$12k/month": a rate, said with "per".
_PER_UNITS = {
    "s": "second",
    "sec": "second",
    "second": "second",
    "ms": "millisecond",
    "min": "minute",
    "minute": "minute",
    "h": "hour",
    "hr": "hour",
    "hour": "hour",
    "day": "day",
    "d": "day",
    "week": "week",
    "wk": "week",
    "mo": "month",
    "month": "month",
    "yr": "year",
    "year": "year",
    "user": "user",
    "request": "request",
    "req": "request",
}

# How to say an extension where the plain letters read badly; the rest are said as written.
EXTENSIONS: dict[str, str] = {
    "txt": "text",
    "yml": "yaml",
    "ipynb": "notebook",
    "whl": "wheel",
    "jpg": "JPEG",
    "cfg": "config",
}
_KNOWN_EXTENSIONS = (  # noqa: SIM905
    "py pyi json jsonl yaml toml md js ts go lock log bin env onnx safetensors wav png jpeg"
    " zip gz conf ini html rs sh pyc mjs cjs jsx tsx mdx rst csv tsv xml htm css scss sass"
    " bash zsh fish ps1 bat cmd c h cc cpp hpp cxx java kt kts swift rb php lua r sql db"
    " sqlite pdf gif svg webp mp3 mp4 ogg flac pt pth gguf npy npz pkl tar tgz bz2 xz dll so"
    " dylib exe dmg deb rpm iso wasm vue svelte proto graphql gradle tf mod sum ui cs"
).split()
_EXTENSION_PATTERN = "|".join(sorted([*EXTENSIONS, *_KNOWN_EXTENSIONS], key=len, reverse=True))
_FILENAME = re.compile(
    rf"(?<![\w.-])([\w-]+(?:\.[\w-]+)*)\.({_EXTENSION_PATTERN})(?::(\d+)(?::\d+)?)?(?![\w-]|\.\w)",
    re.IGNORECASE,
)
_DOTFILE = re.compile(
    r"(?<![\w.])\.(env|gitignore|gitattributes|dockerignore|editorconfig|[a-z]+rc)\b"
)
# "all .py files": an extension on its own, not a full stop glued to the word before.
_BARE_EXTENSION = re.compile(
    rf"(?<![\w.])\.({_EXTENSION_PATTERN})(?=[\s,;:)]|\.(?:\s|$)|$)", re.IGNORECASE
)
_BARE_PATHS = {"/": "slash", "~/": "home folder", "\\": "backslash", "./": "this folder"}
_TLDS = (  # noqa: SIM905
    "com org net io dev ai app edu gov info biz xyz cloud tech site page tv fm ly gg run co"
    " uk de fr jp cn ru ca au eu nl ch se es it pl br"
).split()
_DOMAIN = re.compile(
    rf"(?<![\w.@/-])((?:[A-Za-z0-9-]{{1,63}}\.)+(?:{'|'.join(_TLDS)}))(?![\w-]|\.\w)"
)
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?!\w|\.\w)")
_SNAKE = re.compile(r"(?<!\w)\w*_\w*")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)_(?=\d)")  # 1_000_000
_CAMEL_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9]*(?:[a-z][A-Z]|[A-Z][A-Z][a-z])[A-Za-z0-9]*"
)
_CAMEL_SPLIT = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])(?![A-Z]s(?![a-z]))")
# Brand names whose capitals are not word breaks (or that read worse split).
_KEEP_CASE = frozenset(
    "GitHub GitLab JavaScript TypeScript CoffeeScript YouTube LinkedIn iPhone iPad iPadOS"  # noqa: SIM905
    " iOS macOS watchOS tvOS visionOS iCloud iTunes PyPI PyTorch NumPy SciPy SymPy"
    " PostgreSQL MySQL SQLite MongoDB McDonald eBay WiFi OAuth DevOps LaTeX FastAPI OpenAI"
    " ChatGPT WebSocket WebSockets PowerShell DeepMind WhatsApp TikTok spaCy".split()
)


# Camel-case pieces that are acronyms written in title case ("getUserId").
_ACRONYM_PIECES = {
    piece.title(): piece
    for piece in (
        *("ID", "API", "URL", "URI", "UI", "IO", "DB", "OS", "IP", "SQL", "CPU", "GPU"),
        *("HTTP", "HTTPS", "HTML", "XML", "CSS", "SSH", "TCP", "UDP", "DNS", "TTS", "MCP"),
    )
}
_ACRONYM_PIECES.update({"Ids": "IDs", "Apis": "APIs", "Urls": "URLs"})
# Lower-case identifier parts that are acronyms; spelled, they read as words ("cli" ->
# "clai"). Only applied to pieces of identifiers and file names, never to prose.
_ACRONYM_PIECES.update(
    {w: w.upper() for w in ("cli", "api", "ui", "io", "id", "url", "uri", "gui", "tts", "ai")}
)
_ACRONYM_PIECES.update({"ids": "IDs", "apis": "APIs", "urls": "URLs"})


def _say_pieces(pieces: list[str]) -> list[str]:
    return [_ACRONYM_PIECES.get(piece, piece) for piece in pieces]


_RESPELL = {"spaCy": "spacy", "IPv4": "IP v4", "IPv6": "IP v6", "OAuth2": "O Auth 2"}
_CAPS_WORDS = {"TODO": "to-do", "TODOS": "to-dos", "FIXME": "fix me", "WIP": "work in progress"}
_CAPS = re.compile(r"(?<![\w-])[A-Z]{3,}(?![\w-])")


def _split_punct(token: str) -> tuple[str, str, str]:
    core = token.rstrip(_TRAILING)
    trail = token[len(core) :]
    stripped = core.lstrip(_LEADING)
    return core[: len(core) - len(stripped)], stripped, trail


def say_domain(host: str) -> str:
    """ "docs.python.org" -> "docs dot python dot org"."""
    return " dot ".join(part for part in host.lower().split(".") if part)


def _balance_parens(core: str, trail: str) -> tuple[str, str]:
    """ "https://x.org/a_(b))." -> core ".../a_(b)", trail ").": a URL keeps its own ")"."""
    while trail.startswith(")") and core.count("(") > core.count(")"):
        core, trail = core + ")", trail[1:]
    return core, trail


def _url(match: re.Match[str]) -> str:
    _, core, trail = _split_punct(match.group())
    core, trail = _balance_parens(core, trail)
    rest = re.sub(r"^[a-z]+://", "", core, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host, _, port = host.partition(":")
    if host.lower().startswith("www."):
        host = host[4:]
    spoken = say_domain(host)
    if port.isdigit() and (host == "localhost" or host.replace(".", "").isdigit()):
        spoken = f"{spoken} port {port}"
    return f"{glue(spoken)}{trail}" if spoken else trail


def _email(match: re.Match[str]) -> str:
    user, _, host = match.group().partition("@")
    user = user.replace(".", " dot ").replace("+", " plus ")
    return glue(f"{user} at {say_domain(host)}")


def _slashed(match: re.Match[str]) -> str:
    lead, core, trail = _split_punct(match.group())
    # "PULSE_SERVER=unix:/tmp/native": keep the name, shorten only the path after "=".
    name, equals, value = core.rpartition("=")
    if equals and ("/" in value or "\\" in value):
        lead, core = f"{lead}{name}{equals}", _SCHEME_PREFIX.sub("", value)
    if core in _BARE_PATHS:
        return f"{lead}{_BARE_PATHS[core]}{trail}"
    lower = core.lower()
    head, slash, unit = core.rpartition("/")
    if slash and head and unit.lower() in _PER_UNITS and "/" not in head:
        return f"{lead}{head} per {_PER_UNITS[unit.lower()]}{trail}"
    if lower == "w/o":
        return f"{lead}without{trail}"
    if lower == "w/":
        return f"{lead}with{trail}"
    if _NUMBERS_ONLY.fullmatch(core):
        parts = re.split(r"[/\\]", core)
        fraction = len(parts) == 2 and parts[0] != parts[1]  # "50/50" is not a fraction
        spoken = f"{parts[0]} out of {parts[1]}" if fraction else " ".join(parts)
        return f"{lead}{spoken}{trail}"
    line = ""
    suffix = _LINE_SUFFIX.search(core)
    if suffix:
        line = f", line {suffix.group(1) or suffix.group(2)}"
        core = core[: suffix.start()]
    segments = [s for s in re.split(r"[/\\]", core) if s]
    if not segments:
        # A path on its own: "the root, /", "under ~/".
        return f"{lead}{_BARE_PATHS.get(core, 'slash')}{trail}"
    is_path = (
        core.startswith(("/", "~/", "./", "../", "\\"))
        or _DRIVE.match(core) is not None
        or len(segments) > 2
        or core.endswith(("/", "\\"))
        or "." in segments[-1].strip(".")
        or bool(line)
    )
    if is_path:
        return f"{lead}{segments[-1]}{line}{trail}"
    return f"{lead}{' '.join(segments)}{trail}"


def say_extension(extension: str) -> str:
    lower = extension.lower()
    return EXTENSIONS.get(lower, lower)


_WHEEL_STEM = re.compile(r"([A-Za-z0-9_.]+?)-(\d+(?:\.\d+)*)(?:-[\w.]+)*")


def _wheel(stem: str) -> str | None:
    """ "kokoro_mcp-0.2.0-py3-none-any": "kokoro mcp 0 point 2 point 0" (tags aren't said)."""
    match = _WHEEL_STEM.fullmatch(stem)
    if match is None:
        return None
    name = " ".join(_say_pieces(re.split(r"[_.]", match.group(1))))
    return f"{name} {' point '.join(match.group(2).split('.'))} wheel"


def _filename(match: re.Match[str]) -> str:
    stem = match.group(1)
    if match.group(2).lower() == "whl" and (wheel := _wheel(stem)) is not None:
        return glue(wheel)
    if stem.isupper():
        stem = stem.lower()  # README, LICENSE: words, not letters
    name = " dot ".join(_say_pieces(stem.split(".")))
    spoken = glue(f"{name} dot {say_extension(match.group(2))}")
    return f"{spoken}, line {match.group(3)}" if match.group(3) else spoken


MAX_IDENTIFIER_PARTS = 8


def _few(parts: list[str]) -> list[str]:
    """An identifier of many parts is a runaway token: its first parts and a count."""
    if len(parts) <= MAX_IDENTIFIER_PARTS:
        return parts
    logger.info("read an identifier of %d parts by its first 3", len(parts))
    return [*parts[:3], f"and {len(parts) - 3} more parts"]


def _dotted(match: re.Match[str]) -> str:
    parts = match.group().split(".")
    if all(len(part) == 1 for part in parts):
        return match.group()  # an initialism such as U.S.A
    return glue(" dot ".join(_few(parts)))


def _snake(match: re.Match[str]) -> str:
    words = [w for w in match.group().split("_") if w]
    if all(w.isupper() or w.isdigit() for w in words) and any(len(w) > 3 for w in words):
        words = [w.lower() for w in words]  # SCREAMING_SNAKE: words, not letters
    return " ".join(_few(_say_pieces(words)))


def _camel(match: re.Match[str]) -> str:
    word = match.group()
    if len(word) < 4:
        return word  # hPa, mAh, kWh: units, not identifiers
    if word in _RESPELL:
        return _RESPELL[word]
    if word in _KEEP_CASE or (word.endswith("s") and word[:-1] in _KEEP_CASE):
        return word
    pieces = _CAMEL_SPLIT.sub(" ", word).split(" ")
    return " ".join(_say_pieces(pieces))


def _caps_word(match: re.Match[str]) -> str:
    """Long all-caps words that look pronounceable are words (KOKORO, README), not
    acronyms; the G2P spells out capitals it doesn't know, so lower-case them."""
    word = match.group()
    if word in _CAPS_WORDS:
        return _CAPS_WORDS[word]
    vowels = sum(ch in "AEIOUY" for ch in word)
    if len(word) >= 5 and 0.3 <= vowels / len(word) < 0.75:
        return word.lower()
    return word


_RULES: list[Rule] = [
    (ALWAYS, _LONG_HEX, lambda m: m.group()[:7]),
    (ALWAYS, _LONG_BLOB, "a long string"),
    (("://", "www.", "WWW."), _URL, _url),
    (("@",), _EMAIL, _email),
    (("/", "\\"), _SLASHED, _slashed),
    ((".",), _FILENAME, _filename),
    ((".",), _DOTFILE, lambda m: glue(f"dot {m.group(1)}")),
    ((".",), _BARE_EXTENSION, lambda m: glue(f"dot {say_extension(m.group(1))}")),
    ((".",), _DOMAIN, lambda m: glue(say_domain(m.group(1)))),
    ((".",), _DOTTED, _dotted),
    (("_",), _DIGIT_SEPARATOR, ""),
    (("_",), _SNAKE, _snake),
    (ALWAYS, _CAMEL_CANDIDATE, _camel),
    (ALWAYS, _CAPS, _caps_word),
]


def _url_host(match: re.Match[str]) -> str:
    _, core, trail = _split_punct(match.group())
    rest = re.sub(r"^[a-z]+://", "", core, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    return f"{host[4:] if host.lower().startswith('www.') else host}{trail}"


def _path_tail(match: re.Match[str]) -> str:
    lead, core, trail = _split_punct(match.group())
    segments = [s for s in re.split(r"[/\\]", core) if s]
    looks_like_path = core.startswith(("/", "~/", "./", "../")) or len(segments) > 2
    return f"{lead}{segments[-1]}{trail}" if looks_like_path and segments else match.group()


# For voices that don't speak English: shorten what no language reads well, add no words.
_NEUTRAL_RULES: list[Rule] = [
    (ALWAYS, _LONG_HEX, lambda m: m.group()[:7]),
    (ALWAYS, _LONG_BLOB, ""),
    (("://", "www.", "WWW."), _URL, _url_host),
    (("/", "\\"), _SLASHED, _path_tail),
    (("_",), _SNAKE, lambda m: " ".join(w for w in m.group().split("_") if w)),
]


def shorten_technical(text: str) -> str:
    """Language-neutral: URLs to their host, paths to their last part, snake_case to words."""
    return apply_rules(text, _NEUTRAL_RULES)


def say_technical(text: str) -> str:
    """Replace URLs, emails, paths, file names, domains and identifiers with spoken forms."""
    return apply_rules(text, _RULES)
