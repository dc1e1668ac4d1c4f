"""Numbers the G2P gets wrong: signs, versions, dates, times, ranges, units, multipliers.

misaki already reads plain integers, decimals, "$3.50", "€5", "50%" and "1st" well, so those
are left alone. What it drops or misreads ("-3" vanishes, "v2.3.1" loses its points, "1-5"
runs together, "10:30" loses the colon, "100ms") is rewritten into words here.
"""

from __future__ import annotations

import logging
import re

from kokoro_mcp.text.rules import ALWAYS, Rule, apply_rules, glue

logger = logging.getLogger(__name__)

MONTHS = (  # noqa: SIM905
    "January February March April May June July August September October November December"
).split()

# A pre-release tag: "-rc.1", "-beta", or PEP 440's "rc1", "b2", ".dev3".
_TAG = r"((?:-(?![vV]\d)[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*|(?:a|b|rc|\.?dev|\.?post)\d*)?)"
# "v2", "v2.3.1", "V2.0"; but "V8" alone is a name (the JavaScript engine), not a version.
_VERSION = re.compile(rf"(?<![\w.])(?!V\d+(?!\.?\d))[vV](\d+(?:\.\d+)*){_TAG}(?!\w|\.\d)")
_DOTTED_NUMBER = re.compile(rf"(?<![\w.])(\d+(?:\.\d+){{2,}}){_TAG}(?!\w|\.\d)")
_RATIO = re.compile(r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)")
_ISO_DATE = re.compile(
    r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w-])"
)
_TIME = re.compile(
    r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?"
    r"(?:\s?([AaPp])\.?[Mm](?:\.(?=(\s+[A-Z]|\s*$)?))?(?!\w)|(?![\w:]|\.\d))"
)
_CURRENCY_SCALE = re.compile(
    r"([$€£¥])\s?(\d+(?:[.,]\d+)*)\s?(k|K|M|B|bn|m|thousand|million|billion|trillion)(?!\w)"
)
_SCALE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(k|M|B|bn)(?= [a-z])")  # "10k stars"; not "4K"
_VERSION_RANGE = re.compile(r"(?<=\d)\s?[-–]\s?(?=version\b)")
_OR_LATER = re.compile(r"(?<![\w.])(\d+\.\d+)\+(?!\w)")  # "Python 3.10+"
_POWER = re.compile(r"(?<=\w)\^(\d+)(?!\d)")
_CLOCK_RANGE = re.compile(
    r"(?<![\w:])(\d{1,2})\s?([AaPp])\.?[Mm]\.?\s?[-–]\s?(\d{1,2})\s?([AaPp])\.?[Mm]"
    r"(?:\.(?!\s+[A-Z]|\s*$))?(?!\w)"  # "p.m." keeps a period that ends the sentence
)
_SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?)(\d{1,3})(?![\w.]|\.\d)")
_RANGE = re.compile(
    r"(?<![\w.,-])([$€£¥]?\d+(?:\.\d+)?)(%?)(?:-|\s?–\s?)([$€£¥]?\d+(?:\.\d+)?)(?![\w-]|\.\d)"
)
_SPACED_MINUS = re.compile(r"(?<=\d)\s[-−]\s(?=\d)")
_NEGATIVE = re.compile(r"(?<![\w.)\]}%-])[-−](?=[$€£¥]?\d)")
_POSITIVE = re.compile(r"(?<![\w)\]}+])\+(?=\d)")
_DIMENSIONS = re.compile(r"(?<![\w.])(\d+)\s?[xX×]\s?(\d+)(?![\w.])")
_MULTIPLIER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[xX×](?!\w)")
UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s?(ms|µs|μs|us|ns|KB|kB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|kHz|MHz|GHz"
    r"|Hz|fps|rpm|tok/s|[KkMG]B/s|[MG]bps)(?![\w/])"
)
# Time units: attached ("1.3s", "2h"), or spaced where nothing else could be meant ("1.3 s.").
_ATTACHED_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:(s|sec|secs|min|mins|h|hr|hrs)(?!\w)"
    r"|\s(s|sec|secs|min|mins|hrs)(?=[,.;:)]|\s*$))"
)
_DEGREES = re.compile(r"°\s?([CF])(?![a-z])|°")
_ABOUT = re.compile(r"(?:~|≈)\s?(?=[$€£¥]?\d)")

_SCALES = {"k": "thousand", "K": "thousand", "M": "million", "m": "million", "B": "billion"}
_SCALES.update({"bn": "billion", "thousand": "thousand", "million": "million"})
_SCALES.update({"billion": "billion", "trillion": "trillion"})
_CURRENCIES = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
_UNITS = {
    "ms": "millisecond",
    "µs": "microsecond",
    "μs": "microsecond",
    "us": "microsecond",
    "ns": "nanosecond",
    "KB": "kilobyte",
    "kB": "kilobyte",
    "MB": "megabyte",
    "GB": "gigabyte",
    "TB": "terabyte",
    "PB": "petabyte",
    "KiB": "kibibyte",
    "MiB": "mebibyte",
    "GiB": "gibibyte",
    "TiB": "tebibyte",
    "kHz": "kilohertz",
    "MHz": "megahertz",
    "GHz": "gigahertz",
    "Hz": "hertz",
    "fps": "frames per second",
    "rpm": "RPM",
    "tok/s": "tokens per second",
    "KB/s": "kilobytes per second",
    "kB/s": "kilobytes per second",
    "MB/s": "megabytes per second",
    "GB/s": "gigabytes per second",
    "Mbps": "megabits per second",
    "Gbps": "gigabits per second",
    "s": "second",
    "sec": "second",
    "secs": "second",
    "min": "minute",
    "mins": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
}
_UNCOUNTED = frozenset({"hertz", "kilohertz", "megahertz", "gigahertz", "RPM"})  # no plural


_TAG_WORDS = {"a": "alpha", "b": "beta", "rc": "RC", "dev": "dev", "post": "post"}


def _say_tag(tag: str) -> str:
    words = re.split(r"[.\-]|(?<=[A-Za-z])(?=\d)", tag)
    return " ".join(_TAG_WORDS.get(w.lower(), w) for w in words if w)


def _version(match: re.Match[str]) -> str:
    spoken = "version " + " point ".join(match.group(1).split("."))
    tag = _say_tag(match.group(2))
    return glue(f"{spoken} {tag}" if tag else spoken)


def _is_day_month_year(day: str, month: str, year: str) -> bool:
    return (
        len(year) == 4
        and year[:2] in ("19", "20")
        and 1 <= int(day) <= 31
        and (1 <= int(month) <= 12)
    )


def _dotted_number(match: re.Match[str]) -> str:
    parts = match.group(1).split(".")
    tag = _say_tag(match.group(2))
    if not tag and len(parts) == 3 and _is_day_month_year(*parts):
        day, month, year = (int(part) for part in parts)
        return glue(f"{MONTHS[month - 1]} {day}, {year}")  # 25.11.2026, as Europe writes
    # Four parts of at most three digits is an IP address: said with "dot".
    if not tag and len(parts) == 4 and all(len(p) <= 3 for p in parts):
        return glue(" dot ".join(parts))
    spoken = " point ".join(parts)
    return glue(f"{spoken} {tag}" if tag else spoken)


def say_time(hour: int, minute: int, second: int | None = None, meridiem: str = "") -> str:
    """14:30 -> "14 30", 9:05 -> "9 oh 5", 10:00 -> "10 o'clock", with AM/PM kept."""
    if minute == 0:
        if meridiem:
            spoken = str(hour)
        elif hour == 0:
            spoken = "midnight" if second is None else "0 hundred"
        elif hour <= 12:
            spoken = f"{hour} o'clock"
        else:
            spoken = f"{hour} hundred"
    elif minute < 10:
        spoken = f"{hour} oh {minute}"
    else:
        spoken = f"{hour} {minute}"
    if meridiem:
        spoken += f" {meridiem.upper()}M"
    if second:
        spoken += f" and {second} {'second' if second == 1 else 'seconds'}"
    return spoken


def _time(match: re.Match[str]) -> str:
    second = int(match.group(3)) if match.group(3) else None
    spoken = say_time(int(match.group(1)), int(match.group(2)), second, match.group(4) or "")
    # "p.m." keeps its final period only where it ended the sentence.
    return glue(spoken) + "." if match.group(5) is not None else glue(spoken)


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return f"{match.group(1)} {match.group(2)} {match.group(3)}"
    spoken = f"{MONTHS[month - 1]} {day}, {year}"
    if match.group(4):
        hour, minute = (int(part) for part in match.group(4).split(":"))
        spoken += f", {say_time(hour, minute)}"
    return glue(spoken)


def _scientific(match: re.Match[str]) -> str:
    """ "1e-5" -> "1 e minus 5", as programmers read it."""
    sign = {"-": "minus ", "+": "plus "}.get(match.group(2), "")
    return f"{match.group(1)} e {sign}{match.group(3)}"


def _clock_range(match: re.Match[str]) -> str:
    start, start_half, end, end_half = match.groups()
    return glue(f"{start} {start_half.upper()}M to {end} {end_half.upper()}M")


def _power(match: re.Match[str]) -> str:
    exponent = match.group(1)
    if exponent == "2":
        return " squared"
    if exponent == "3":
        return " cubed"
    return f" to the power of {exponent}"


def _currency_scale(match: re.Match[str]) -> str:
    amount = match.group(2)
    return glue(f"{amount} {_SCALES[match.group(3)]} {_CURRENCIES[match.group(1)]}")


def say_unit(match: re.Match[str]) -> str:
    amount = match.group(1)
    unit = _UNITS[match.group(2) or match.group(3)]
    if amount != "1" and unit not in _UNCOUNTED and " " not in unit:
        unit += "s"
    return glue(f"{amount} {unit}")


def _degrees(match: re.Match[str]) -> str:
    scale = match.group(1)
    if scale == "C":
        return " degrees Celsius"
    if scale == "F":
        return " degrees Fahrenheit"
    return " degrees"


_RULES: list[Rule] = [
    (("-",), _ISO_DATE, _iso_date),
    (("v", "V"), _VERSION, _version),
    ((".",), _DOTTED_NUMBER, _dotted_number),
    ((":",), _TIME, _time),
    ((":",), _RATIO, lambda m: glue(f"{m.group(1)} to {m.group(2)}")),
    (("e", "E"), _SCIENTIFIC, _scientific),
    (tuple(_CURRENCIES), _CURRENCY_SCALE, _currency_scale),
    (("k", "M", "B"), _SCALE, lambda m: glue(f"{m.group(1)} {_SCALES[m.group(2)]}")),
    (("-", "–"), _VERSION_RANGE, " to "),
    (("-", "–"), _CLOCK_RANGE, _clock_range),
    (("+",), _OR_LATER, r"\1 or later"),
    (("^",), _POWER, _power),
    (("~", "≈"), _ABOUT, "about "),
    (("-", "–"), _RANGE, lambda m: glue(f"{m.group(1)}{m.group(2)} to {m.group(3)}")),
    ((" -", " −"), _SPACED_MINUS, " minus "),
    (("-", "−"), _NEGATIVE, "minus "),
    (("+",), _POSITIVE, "plus "),
    (("x", "X", "×"), _DIMENSIONS, lambda m: glue(f"{m.group(1)} by {m.group(2)}")),
    (("x", "X", "×"), _MULTIPLIER, lambda m: glue(f"{m.group(1)} times")),
    (ALWAYS, _ATTACHED_UNIT, say_unit),
    (("°",), _DEGREES, _degrees),
]
_DIGIT = re.compile(r"\d")


def say_numbers(text: str) -> str:
    """Rewrite the number forms misaki misreads; leave the ones it reads well."""
    if not _DIGIT.search(text):
        return text
    return apply_rules(text, _RULES)


_NEUTRAL_RULES: list[Rule] = [
    (("v", "V"), re.compile(r"(?<![\w.])[vV](?=\d+\.\d)"), ""),
    # espeak-ng drops an ASCII hyphen before a number but says the minus sign (U+2212).
    (("-",), _NEGATIVE, "\u2212"),
]


def mark_numbers(text: str) -> str:
    """Language-neutral: "v2.3.1" -> "2.3.1" and "-3" -> "\u22123", which espeak-ng voices read."""
    if not _DIGIT.search(text):
        return text
    return apply_rules(text, _NEUTRAL_RULES)
