"""prepare_text at the edges: nothing to say, odd characters, other scripts, huge inputs."""

from __future__ import annotations

import random
import re
import time

import pytest

from kokoro_mcp.text import prepare_text, speakable_chunks, split_chunks

from .test_text_prepare import AGENT_OUTPUTS


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  \r\n ",
        "🎉🚀✅👍🏽",
        "👨‍👩‍👧 ❤️ 🇺🇸",
        "\x00\x01\x02\x7f\x1b[31m\x1b[0m",
        "\u200b\u200e\ufeff",
        "# \n\n---\n\n***",
        "- \n- \n> ",
        "<!-- only a comment -->",
        "```\n```",
    ],
)
def test_nothing_to_say_gives_empty_text(text: str) -> None:
    assert prepare_text(text) == ""
    assert list(split_chunks(prepare_text(text))) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```js\nconsole.log(1)\n```", "JavaScript code block skipped."),
        ("```\nmake build\n```", "Code block skipped."),
        ("```weird-lang!\nx\n```", "Code block skipped."),
        ("```elm\nmain = text\n```", "Elm code block skipped."),
        (
            "Run this:\n\n```sh\nmake\n```\n\nThen wait.",
            "Run this: Shell code block skipped. Then wait.",
        ),
    ],
)
def test_code_blocks_become_a_short_placeholder(text: str, expected: str) -> None:
    assert prepare_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\nprint(1)\n```", ""),
        ("Run this:\n\n```sh\nmake\n```\n\nThen wait.", "Run this. Then wait."),
        ("Before.\n```\nunclosed code runs to the end\nstill code", "Before."),
    ],
)
def test_code_blocks_can_be_skipped(text: str, expected: str) -> None:
    assert prepare_text(text, code_blocks="skip") == expected


def test_a_traceback_inside_a_code_block_keeps_its_error_line() -> None:
    text = (
        "It fails with:\n\n```\nTraceback (most recent call last):\n"
        '  File "/app/main.py", line 9, in <module>\n    main()\n'
        "KeyError: 'voice'\n```"
    )
    assert prepare_text(text) == "It fails with: Key Error: 'voice'."


def test_unknown_code_block_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="code_blocks must be 'placeholder' or 'skip'"):
        prepare_text("hi", code_blocks="read")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he\x00llo wor\u200bld", "hello world."),
        ("Red \x1b[31merror\x1b[0m here", "Red error here."),
        ("tab\tseparated\x0bvalues", "tab separated. values."),
        ("soft\u00adhyphen and\u00a0nbsp", "softhyphen and nbsp."),
        ("\ufeffHello", "Hello."),
        ("Hello\u2028World", "Hello. World."),
        ("x\r\ny\rz", "x. y. z."),
        ("👍🏽 Good job 👨‍👩‍👧", "Good job."),
        ("1️⃣ Step one", "1 Step one."),
        ("✅Done", "Done."),
    ],
)
def test_control_characters_and_emoji_are_removed(text: str, expected: str) -> None:
    assert prepare_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好，世界。", "你好，世界。"),
        ("你好世界", "你好世界。"),
        ("日本語のテキストです。English follows.", "日本語のテキストです。English follows."),
        ("안녕하세요", "안녕하세요。"),
        ("مرحبا بالعالم", "مرحبا بالعالم."),
        ("שלום עולם", "שלום עולם."),
        ("\u200fשלום\u200f עולם", "שלום עולם."),  # bidi marks go, letters stay
        ("می\u200cخواهم بروم", "می\u200cخواهم بروم."),  # ZWNJ shapes Persian: kept
        ("Привет, мир", "Привет, мир."),
        ("Ünïcödé café naïve", "Ünïcödé café naïve."),
    ],
)
def test_other_scripts_pass_through(text: str, expected: str) -> None:
    assert prepare_text(text) == expected


@pytest.mark.parametrize("text", [str(param.values[0]) for param in AGENT_OUTPUTS])
def test_every_result_is_plain_sentences(text: str) -> None:
    spoken = prepare_text(text)
    assert spoken[-1] in ".!?…。", spoken
    assert not set(spoken) & set("`*#|[]{}<>_\\^~\n\t"), spoken
    assert "  " not in spoken
    assert "://" not in spoken


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latency ↓ 30%, throughput ↑ 2x", "latency down 30%, throughput up 2 times."),
        ("A • B · C", "A, B, C."),
        ("5‰ of runs", "5 per mille of runs."),
        ("«quoted» text", '"quoted" text.'),
        ("√2 ≈ 1.414", "√2 about 1.414."),  # espeak-ng says "square root"
    ],
)
def test_symbols_the_phonemizer_would_misread(text: str, expected: str) -> None:
    assert prepare_text(text) == expected


def test_long_opaque_tokens_are_not_spelled_out() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"
    assert prepare_text(f"Use the token {token} once.") == "Use the token a long string once."
    digest = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
    assert prepare_text(f"sha256 {digest}") == "sha256 6e74217."


def _mixed_markdown_megabyte() -> str:
    unit = "\n\n".join(str(param.values[0]) for param in AGENT_OUTPUTS) + "\n\n"
    return (unit * (1_000_000 // len(unit) + 1))[:1_000_000]


@pytest.mark.slow
def test_a_megabyte_of_mixed_markdown_prepares_in_seconds() -> None:
    text = _mixed_markdown_megabyte()
    started = time.perf_counter()
    spoken = prepare_text(text)
    elapsed = time.perf_counter() - started
    # ~1 s when the 2-core box is quiet; the margin is for a busy box.
    assert elapsed < 10.0, f"{elapsed:.1f} s for 1 MB"
    assert len(spoken) > 300_000


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "[" * 1_000_000,
        "<a " * 333_333,
        "a_" * 500_000,
        "*a" * 500_000,
        "1-" * 500_000,
        "a." * 500_000,
        "1:2" * 333_333,
        "a@" * 500_000,
        "!?" * 500_000,
        "| a |\n" * 160_000,
        "http://" + "a/" * 500_000,
        "x" * 1_000_000,
        "aB" * 500_000,
        "```\n" + "code\n" * 200_000,
    ],
    ids=[
        "brackets", "tags", "underscores", "stars", "dashes", "dots", "colons", "ats",
        "marks", "table", "url", "one-word", "camel", "code",
    ],
)  # fmt: skip
def test_pathological_megabytes_stay_linear(text: str) -> None:
    started = time.perf_counter()
    spoken = prepare_text(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 10.0, f"{elapsed:.1f} s"
    first = next(split_chunks(spoken), "")
    assert len(first) <= len(spoken)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "## Resumen\n\nCorregí el error en `src/kokoro_mcp/cli.py` — ver"
            " https://github.com/foo/bar/pull/12.\n\n- Hace **-3 grados**\n- Versión v2.3.1"
            "\n\n```python\nprint(1)\n```\n\n¡Listo! 🎉",
            "es",
            "Resumen. Corregí el error en cli.py — ver github.com. Hace −3 grados."
            " Versión 2.3.1. ¡Listo!",
        ),
        (
            "Le fichier `config_loader.py` est prêt : **50 %** plus rapide.",
            "fr-FR",
            "Le fichier config loader.py est prêt: 50 % plus rapide.",
        ),
        ("It was -3 degrees.", "en-GB", "It was minus 3 degrees."),
    ],
)
def test_other_languages_get_no_english_words(text: str, language: str, expected: str) -> None:
    # "minus", "dot", "code block skipped" would be English inside a Spanish sentence.
    assert prepare_text(text, language=language) == expected


_FRAGMENTS = [
    *"abcXYZ019 \n\t.,;:!?-_*~`#>|[](){}<>/\\@$%^&+=\"'…—–→é中😀\x00\x1b\u200b",
    *("```", "```py\n", "http://", "www.", "v1.2.3", "e.g.", "10:30", "-3", "$5k", "~/a/b.py"),
    *("Traceback (most recent call last):\n", "    at x (y.js:1:2)\n", "- [x] ", "1. "),
    *("| a | b |\n|---|---|\n", "<!--", "-->", "<br>", "camelCase", "snake_case", "ALLCAPS"),
    *("@@ -1 +1 @@\n", "-a = 1\n", "+a = 2\n", "| ✅ | ❌ |\n", '{"a":1,"b":[1,2]}', "4/15"),
    *("(555) 867-5309", "7:45pm ET", "2.5GiB", "Python 3.12", "Charles III", "~/", " .py "),
    *("    indented\n", "\n\n", "<https://x.org/a_(b)>", "⅓", "x" * 50, "\ue000", "\ue001"),
]
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # the text stage's own marks must never leak


@pytest.mark.parametrize("seed", range(4))
def test_random_markdown_soup_gives_clean_sentences(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        text = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 120)))
        for language in ("en", "es"):
            spoken = prepare_text(text, language=language)
            assert "\n" not in spoken and "  " not in spoken, (text, spoken)
            if spoken:
                assert spoken.rstrip("\"')]”’»")[-1] in ".!?…。", (text, spoken)
            assert not _PRIVATE_USE.search(spoken), (text, spoken)
            lazy = list(speakable_chunks(text, language=language, first_chunk_words=2))
            assert " ".join(lazy) == spoken, (text, spoken)
            chunks = list(split_chunks(spoken, first_chunk_words=2, max_chars=40))
            if not any(ord(ch) >= 0x3000 for ch in spoken):  # CJK may be cut between chars
                assert [w for c in chunks for w in c.split()] == spoken.split()


def test_a_long_table_is_read_in_part() -> None:
    rows = "\n".join(f"| test_{i} | {i * 10} ms |" for i in range(1, 13))
    text = f"| Test | Time |\n|---|---|\n{rows}\n\nThat is all."
    assert prepare_text(text) == (
        "Test: test 1, Time: 10 milliseconds. Test: test 2, Time: 20 milliseconds."
        " Test: test 3, Time: 30 milliseconds. Test: test 4, Time: 40 milliseconds."
        " Test: test 5, Time: 50 milliseconds. Test: test 6, Time: 60 milliseconds."
        " Test: test 7, Time: 70 milliseconds. Test: test 8, Time: 80 milliseconds."
        " And 4 more rows. That is all."
    )


def test_other_languages_get_no_english_words_from_the_new_classes() -> None:
    # Task marks, icons in cells, diff summaries and "And 4 more rows" are English words.
    rows = "\n".join(f"| r{i} | ✅ |" for i in range(10))
    text = (
        "- [x] Hecho\n- [ ] Pendiente\n\n| Prueba | Estado |\n|---|---|\n"
        f"{rows}\n\n@@ -1 +1 @@\n-a = 1\n+a = 2\n\nFin."
    )
    spoken = prepare_text(text, language="es")
    assert spoken.startswith("Hecho. Pendiente. Prueba: r0. Prueba: r1.")
    assert spoken.endswith("Prueba: r7. Fin.")
    assert not {"Done", "passed", "Diff", "changed", "more"} & set(spoken.replace(".", "").split())


def test_skipping_code_blocks_skips_fenced_diffs_not_pasted_ones() -> None:
    fenced = "```diff\n@@ -1 +1 @@\n-a = 1\n+a = 2\n```\nDone."
    assert prepare_text(fenced, code_blocks="skip") == "Done."
    pasted = "@@ -1 +1 @@\n-a = 1\n+a = 2\n\nDone."  # prose around a diff, not a code block
    assert prepare_text(pasted, code_blocks="skip") == "Diff: changed a from 1 to 2. Done."
