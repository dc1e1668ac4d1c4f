"""Technical tokens to words: URLs, emails, paths, file names, domains, identifiers.

An agent's prose is full of `src/kokoro_mcp/cli.py`, `https://github.com/foo/bar` and
`parseJSONResponse`; read literally they are noise or unknown words. Each is reduced to what
a person would say: "cli dot py", "github dot com", "parse JSON Response".
Candidate patterns are anchored at token starts so a long token is scanned once.
"""

from __future__ import annotations

import logging
import re

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

EXTENSIONS: dict[str, str] = {
    # extension -> how to say it; unknown extensions are spelled when short.
    "py": "pie",
    "pyi": "PYI",
    "ipynb": "notebook",
    "json": "jason",
    "jsonl": "jason L",
    "yaml": "yammel",
    "yml": "yammel",
    "toml": "tommel",
    "txt": "text",
    "md": "MD",
    "js": "JS",
    "ts": "TS",
    "go": "go",
    "lock": "lock",
    "log": "log",
    "bin": "bin",
    "env": "env",
    "onnx": "onnx",
    "safetensors": "safetensors",
    "wav": "wav",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "zip": "zip",
    "gz": "GZ",
    "whl": "wheel",
    "cfg": "config",
    "conf": "conf",
    "ini": "INI",
    "html": "HTML",
    "rs": "RS",
    "sh": "SH",
}
_SPELLED_EXTENSIONS = (  # noqa: SIM905
    "pyc mjs cjs jsx tsx mdx rst csv tsv xml htm css scss sass bash zsh fish ps1 bat cmd c"
    " h cc cpp hpp cxx java kt kts swift rb php lua r sql db sqlite pdf gif svg webp mp3 mp4"
    " ogg flac pt pth gguf npy npz pkl tar tgz bz2 xz dll so dylib exe dmg deb rpm iso wasm"
    " vue svelte proto graphql gradle tf mod sum ui cs"
).split()
_EXTENSION_PATTERN = "|".join(sorted([*EXTENSIONS, *_SPELLED_EXTENSIONS], key=len, reverse=True))
_FILENAME = re.compile(
    rf"(?<![\w.-])([\w-]+(?:\.[\w-]+)*)\.({_EXTENSION_PATTERN})(?::(\d+)(?::\d+)?)?(?![\w-]|\.\w)",
    re.IGNORECASE,
)
_DOTFILE = re.compile(
    r"(?<![\w.])\.(env|gitignore|gitattributes|dockerignore|editorconfig|[a-z]+rc)\b"
)
_TLDS = (  # noqa: SIM905
    "com org net io dev ai app edu gov info biz xyz cloud tech site page tv fm ly gg run co"
    " uk de fr jp cn ru ca au eu nl ch se es it pl br"
).split()
_DOMAIN = re.compile(
    rf"(?<![\w.@/-])((?:[A-Za-z0-9-]{{1,63}}\.)+(?:{'|'.join(_TLDS)}))(?![\w-]|\.\w)"
)
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?!\w|\.\w)")
_SNAKE = re.compile(r"(?<!\w)\w*_\w*")
_CAMEL_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9]*(?:[a-z][A-Z]|[A-Z][A-Z][a-z])[A-Za-z0-9]*"
)
_CAMEL_SPLIT = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])(?![A-Z]s(?![a-z]))")
# Brand names whose capitals are not word breaks (or that read worse split).
_KEEP_CASE = frozenset(
    "GitHub GitLab JavaScript TypeScript CoffeeScript YouTube LinkedIn iPhone iPad iPadOS"  # noqa: SIM905
    " iOS macOS watchOS tvOS visionOS iCloud iTunes PyPI PyTorch NumPy SciPy SymPy"
    " PostgreSQL MySQL SQLite MongoDB McDonald eBay WiFi OAuth DevOps LaTeX FastAPI OpenAI"
    " ChatGPT WebSocket WebSockets PowerShell DeepMind WhatsApp TikTok".split()
)


def _split_punct(token: str) -> tuple[str, str, str]:
    core = token.rstrip(_TRAILING)
    trail = token[len(core) :]
    stripped = core.lstrip(_LEADING)
    return core[: len(core) - len(stripped)], stripped, trail


def say_domain(host: str) -> str:
    """ "docs.python.org" -> "docs dot python dot org"."""
    return " dot ".join(part for part in host.lower().split(".") if part)


def _url(match: re.Match[str]) -> str:
    _, core, trail = _split_punct(match.group())
    rest = re.sub(r"^[a-z]+://", "", core, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host, _, port = host.partition(":")
    if host.lower().startswith("www."):
        host = host[4:]
    spoken = say_domain(host)
    if port.isdigit() and (host == "localhost" or host.replace(".", "").isdigit()):
        spoken = f"{spoken} port {port}"
    return f"{spoken}{trail}" if spoken else trail


def _email(match: re.Match[str]) -> str:
    user, _, host = match.group().partition("@")
    user = user.replace(".", " dot ").replace("+", " plus ")
    return f"{user} at {say_domain(host)}"


def _slashed(match: re.Match[str]) -> str:
    lead, core, trail = _split_punct(match.group())
    lower = core.lower()
    if lower == "w/o":
        return f"{lead}without{trail}"
    if lower == "w/":
        return f"{lead}with{trail}"
    if _NUMBERS_ONLY.fullmatch(core):
        parts = re.split(r"[/\\]", core)
        spoken = f"{parts[0]} out of {parts[1]}" if len(parts) == 2 else " ".join(parts)
        return f"{lead}{spoken}{trail}"
    line = ""
    suffix = _LINE_SUFFIX.search(core)
    if suffix:
        line = f", line {suffix.group(1) or suffix.group(2)}"
        core = core[: suffix.start()]
    segments = [s for s in re.split(r"[/\\]", core) if s]
    if not segments:
        return f"{lead}{trail}"
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
    if lower in EXTENSIONS:
        return EXTENSIONS[lower]
    return lower.upper() if len(lower) <= 4 else lower


def _filename(match: re.Match[str]) -> str:
    name = match.group(1).replace(".", " dot ")
    spoken = f"{name} dot {say_extension(match.group(2))}"
    return f"{spoken}, line {match.group(3)}" if match.group(3) else spoken


def _dotted(match: re.Match[str]) -> str:
    parts = match.group().split(".")
    if all(len(part) == 1 for part in parts):
        return match.group()  # an initialism such as U.S.A
    return " dot ".join(parts)


def _snake(match: re.Match[str]) -> str:
    words = [w for w in match.group().split("_") if w]
    if all(w.isupper() or w.isdigit() for w in words) and any(len(w) > 3 for w in words):
        words = [w.lower() for w in words]  # SCREAMING_SNAKE: words, not letters
    return " ".join(words)


def _camel(match: re.Match[str]) -> str:
    word = match.group()
    if word in _KEEP_CASE or (word.endswith("s") and word[:-1] in _KEEP_CASE):
        return word
    return _CAMEL_SPLIT.sub(" ", word)


def say_technical(text: str) -> str:
    """Replace URLs, emails, paths, file names, domains and identifiers with spoken forms."""
    text = _LONG_HEX.sub(lambda m: m.group()[:7], text)
    text = _LONG_BLOB.sub("a long string", text)
    text = _URL.sub(_url, text)
    text = _EMAIL.sub(_email, text)
    text = _SLASHED.sub(_slashed, text)
    text = _FILENAME.sub(_filename, text)
    text = _DOTFILE.sub(lambda m: f"dot {m.group(1)}", text)
    text = _DOMAIN.sub(lambda m: say_domain(m.group(1)), text)
    text = _DOTTED.sub(_dotted, text)
    text = _SNAKE.sub(_snake, text)
    return _CAMEL_CANDIDATE.sub(_camel, text)
