"""Numbers whose meaning hangs on a slash, a hyphen or a suffix: dates, fractions, scores,
phone numbers, ordinals, units glued to a number, product versions.

Runs before the technical pass: read as a path, "4/15" would be "4 out of 15"; read as an
identifier, "2.5GiB" would be spelled. Each result is glued (rules.glue) so the chunker
never cuts "April 15, | 2027".
"""

from __future__ import annotations

import functools
import re

from kokoro_mcp.text.numbers import MONTHS, UNIT, say_unit
from kokoro_mcp.text.rules import Rule, apply_rules, glue

# Words before a bare "4/15" that make it a date, not a fraction.
_DATE_CUES = (
    "on|by|due|until|till|since|from|before|after|through|thru|dated|deadline|starting|ending"
)
_SLASH_DATE = re.compile(r"(?<![\w/.])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/]|\.\d)")
_CUED_DATE = re.compile(
    rf"\b((?i:{_DATE_CUES}):?\s)(\d{{1,2}})/(\d{{1,2}})(?![\w/]|\.\d|\s?(?:of|out)\b)"
)
_MIXED_FRACTION = re.compile(r"(?<![\w/.])(\d+)\s(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)")
_MEASURES = "of|cups?|inch|inches|miles?|teaspoons?|tablespoons?|tsp|tbsp|pounds?|lbs?|oz|hours?"
_FRACTION_OF = re.compile(rf"(?<![\w/.])(\d{{1,2}})/(\d{{1,2}})(?=\s(?:{_MEASURES})\b)")
_SCORE = re.compile(r"(?<![\w/.])(\d+)/(\d+)(?![\w/]|\.\d)")
_VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5),
    "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8),
    "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
}  # fmt: skip
_VULGAR_FRACTION = re.compile(rf"(?:(\d+)\s?)?([{''.join(_VULGAR)}])")
_DENOMINATORS = {
    2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters"),
    5: ("fifth", "fifths"), 6: ("sixth", "sixths"), 7: ("seventh", "sevenths"),
    8: ("eighth", "eighths"), 9: ("ninth", "ninths"), 10: ("tenth", "tenths"),
    12: ("twelfth", "twelfths"), 16: ("sixteenth", "sixteenths"),
}  # fmt: skip
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
_PHONE = re.compile(
    r"(?<![\w+(-])(?:(\+\d{1,3})[\s.-]?)?(?:\((\d{3})\)\s?|(\d{3})[\s.-])"
    r"(\d{3})[.-](\d{4})(?![\w-])"
)
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+])\+(\d{1,3})[\s.-]?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?![\w-])"
)
_LOCAL_PHONE = re.compile(
    r"\b((?i:call|phone|tel|telephone|dial|fax|mobile|cell)\b[^\d\n]{0,12})(\d{3})-(\d{4})(?![\w-])"
)
_HOUR_RANGE = re.compile(
    r"(?<![\w:.-])(\d{1,2})(?::([0-5]\d))?\s?[-–]\s?(\d{1,2})(?::([0-5]\d))?"
    r"\s?([AaPp])\.?[Mm](?:\.(?!\s+[A-Z]|\s*$))?(?!\w)"
)
# "5pm", "11 a.m." without minutes; "3m 12s", "1h 30m" durations.
_HOUR_MERIDIEM = re.compile(r"(?<![\w:.–-])(\d{1,2})\s?([AaPp])\.?[Mm](\.?)(?!\w|\s?[–-]\s?\d)")
_DURATION = re.compile(r"(?<![\w.])(\d+)([hm])\s?(\d+)([ms])(?!\w)")
_DURATION_UNITS = {"h": "hour", "m": "minute", "s": "second"}
_ORDINAL = re.compile(r"(?<![\w.,])(\d{1,6})(st|nd|rd|th)(?!\w)")
_PRODUCTS = (
    "Python|Node|Node\\.js|Ruby|PHP|Perl|Java|Go|Rust|Swift|Kotlin|Scala|Elixir|Erlang|Dart"
    "|Flutter|Ubuntu|Debian|Fedora|Alpine|macOS|iOS|Android|Windows|PostgreSQL|Postgres|MySQL"
    "|Redis|Django|Rails|React|Vue|Angular|TypeScript|Gradle|Kubernetes|Docker|GCC|Clang|LLVM"
    "|CUDA|Qt|OpenSSL|Terraform|Bash|Zsh|Vim|Neovim|Emacs|Firefox|Chrome|Safari|Electron"
    "|Deno|Bun|npm|pnpm|pip|Xcode|Unity|Blender|GTK|Linux|Pydantic|NumPy|pandas|spaCy"
)
# "Python 3.12" is "Python three twelve", not "three point one two"; so is "3.11-3.12".
_PRODUCT_VERSION = re.compile(
    rf"\b({_PRODUCTS})\s(\d+)\.(\d+)(?:(\s?[-–]\s?|\sto\s)(\d+)\.(\d+))?(\+)?(?!\w|\.\d)"
)


# A date written out ("December 3, 2027") is one phrase too: its comma is not a clause end.
_WRITTEN_DATE = re.compile(
    rf"\b((?:{'|'.join(MONTHS)}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
    r"\s\d{1,2}(?:st|nd|rd|th)?,\s\d{4})\b"
)


def _month_day(month: int, day: int) -> str | None:
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{MONTHS[month - 1]} {day}"
    return None


def _slash_date(match: re.Match[str]) -> str:
    first, second, year = int(match.group(1)), int(match.group(2)), match.group(3)
    if len(year) == 2:
        year = "20" + year
    # Month first as in the US, unless the first number can't be a month (15/04/2027).
    spoken = _month_day(first, second) if first <= 12 else _month_day(second, first)
    return glue(f"{spoken}, {year}") if spoken else match.group()


def _cued_date(match: re.Match[str]) -> str:
    first, second = int(match.group(2)), int(match.group(3))
    spoken = _month_day(first, second) if first <= 12 else _month_day(second, first)
    return match.group(1) + glue(spoken) if spoken else match.group()


def fraction_words(numerator: int, denominator: int) -> str | None:
    """3/4 -> "three quarters"; None where no common word exists."""
    names = _DENOMINATORS.get(denominator)
    if names is None or not 0 < numerator < denominator or numerator > 12:
        return None
    return f"{_NUMBER_WORDS[numerator]} {names[0] if numerator == 1 else names[1]}"


def _mixed_fraction(match: re.Match[str]) -> str:
    words = fraction_words(int(match.group(2)), int(match.group(3)))
    if words is None:
        return match.group()
    return glue(f"{match.group(1)} and {words}")


def _fraction_of(match: re.Match[str]) -> str:
    words = fraction_words(int(match.group(1)), int(match.group(2)))
    return glue(words) if words else match.group()


def _score(match: re.Match[str]) -> str:
    """ "8/8", "3/5": a count out of a total. "50/50" is an even split."""
    top, bottom = match.group(1), match.group(2)
    if top == bottom == "50":
        return glue("50 50")
    return glue(f"{top} out of {bottom}")


def _vulgar(match: re.Match[str]) -> str:
    numerator, denominator = _VULGAR[match.group(2)]
    words = fraction_words(numerator, denominator) or ""
    if numerator == 1 and denominator == 2:
        words = "a half" if match.group(1) else "one half"
    return glue(f"{match.group(1)} and {words}" if match.group(1) else words)


def _digits(group: str) -> str:
    return " ".join(group)


def _phone(match: re.Match[str]) -> str:
    country, area_paren, area, exchange, line = match.groups()
    groups = [_digits(g) for g in (area_paren or area, exchange, line)]
    if country:
        groups.insert(0, "plus " + _digits(country[1:]))
    return glue(", ".join(groups))


def _international_phone(match: re.Match[str]) -> str:
    return glue(
        ", ".join(["plus " + _digits(match.group(1))] + [_digits(g) for g in match.groups()[1:]])
    )


def _local_phone(match: re.Match[str]) -> str:
    return match.group(1) + glue(f"{_digits(match.group(2))}, {_digits(match.group(3))}")


def _hour_range(match: re.Match[str]) -> str:
    start, start_minute, end, end_minute, half = match.groups()
    start_said = f"{start} {start_minute}" if start_minute and start_minute != "00" else start
    end_said = f"{end} {end_minute}" if end_minute and end_minute != "00" else end
    return glue(f"{start_said} to {end_said} {half.upper()}M")


@functools.lru_cache(maxsize=256)
def ordinal_words(number: int) -> str:
    from num2words import num2words  # type: ignore[import-untyped]  # ~25 ms: imported late

    return str(num2words(number, to="ordinal"))


def _hour_meridiem(match: re.Match[str]) -> str:
    spoken = glue(f"{match.group(1)} {match.group(2).upper()}M")
    # "11 a.m." keeps its final period only where it ends the sentence.
    rest = match.string[match.end() : match.end() + 2].lstrip()
    return spoken + "." if match.group(3) and (not rest or rest[0].isupper()) else spoken


def _duration(match: re.Match[str]) -> str:
    first, first_unit, second, second_unit = match.groups()
    if (first_unit, second_unit) not in (("h", "m"), ("m", "s")):
        return match.group()
    words = [
        f"{number} {_DURATION_UNITS[unit]}{'' if number == '1' else 's'}"
        for number, unit in ((first, first_unit), (second, second_unit))
    ]
    return glue(" ".join(words))


def _ordinal(match: re.Match[str]) -> str:
    number, suffix = int(match.group(1)), match.group(2)
    expected = "th"
    if number % 100 not in (11, 12, 13):
        expected = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return ordinal_words(number) if suffix == expected else match.group()


def _product_version(match: re.Match[str]) -> str:
    product, major, minor, joiner, major2, minor2, later = match.groups()
    spoken = f"{major} {minor}"
    if joiner:
        spoken += f" to {major2} {minor2}"
    if later:
        spoken += " or later"
    return f"{product} {glue(spoken)}"


_TIME_ZONES = {
    "ET": "Eastern Time", "EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time",
    "CT": "Central Time", "CST": "Central Standard Time", "CDT": "Central Daylight Time",
    "MT": "Mountain Time", "MST": "Mountain Standard Time", "MDT": "Mountain Daylight Time",
    "PT": "Pacific Time", "PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time",
    "CET": "Central European Time", "CEST": "Central European Summer Time",
    "BST": "British Summer Time",
}  # fmt: skip
# "7:45 a.m. ET": the zone is part of the time (and "a.m." does not end the sentence).
_ZONE = re.compile(rf"(\d|(?<![A-Za-z])[AaPp]\.?[Mm])\.?\s({'|'.join(_TIME_ZONES)})\b")


def _zone(match: re.Match[str]) -> str:
    return f"{match.group(1)} {_TIME_ZONES[match.group(2)]}"


_RULES: list[Rule] = [
    ((",",), _WRITTEN_DATE, lambda m: glue(m.group(1))),
    (("/",), _SLASH_DATE, _slash_date),
    (("/",), _CUED_DATE, _cued_date),
    (("/",), _MIXED_FRACTION, _mixed_fraction),
    (("/",), _FRACTION_OF, _fraction_of),
    (("/",), _SCORE, _score),
    (tuple(_VULGAR), _VULGAR_FRACTION, _vulgar),
    (("+",), _INTERNATIONAL_PHONE, _international_phone),
    (("-", "."), _PHONE, _phone),
    (("-",), _LOCAL_PHONE, _local_phone),
    (("-", "–"), _HOUR_RANGE, _hour_range),
    (("m", "M"), _HOUR_MERIDIEM, _hour_meridiem),
    (("h", "m"), _DURATION, _duration),
    (("st", "nd", "rd", "th"), _ORDINAL, _ordinal),
    (("T",), _ZONE, _zone),
    (("B", "Hz", "s", "fps", "rpm"), UNIT, say_unit),
    (("",), _PRODUCT_VERSION, _product_version),
]
_DIGIT = re.compile(r"\d")


def say_quantities(text: str) -> str:
    """Dates, fractions, scores, phone numbers, ordinals, glued units, product versions."""
    if not _DIGIT.search(text):
        return text
    return apply_rules(text, _RULES)
