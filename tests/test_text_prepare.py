"""prepare_text on realistic agent output: exact speakable text, case by case.

Each expectation was checked by reading it (and, for the tricky ones, by phonemizing it with
misaki + espeak): it is what a person should hear, not a snapshot of whatever came out.
"""

from __future__ import annotations

import pytest

from kokoro_mcp.text import prepare_text

AGENT_OUTPUTS = [
    pytest.param(
        (
            "# Summary\n"
            "\n"
            "I **fixed** the bug in `src/kokoro_mcp/cli.py` — see "
            "https://github.com/foo/bar/pull/12."
        ),
        "Summary. I fixed the bug in CLI dot py — see github dot com.",
        id="heading_bold_path_url",
    ),
    pytest.param(
        (
            "- First item\n"
            "- Second item with `snake_case_name`\n"
            "- [x] Write tests\n"
            "- [ ] Update docs"
        ),
        "First item. Second item with snake case name. Done: Write tests. To do: Update docs.",
        id="bullets_and_task",
    ),
    pytest.param(
        (
            "It costs $3.50, or -3 degrees, v2.3.1 released at 10:30 pm. Pages 1-5, "
            "e.g. this, i.e. that, etc."
        ),
        (
            "It costs $3.50, or minus 3 degrees, version 2 point 3 point 1 released "
            "at 10 30 PM. Pages 1 to 5, for example, this, that is, that, et cetera."
        ),
        id="money_negative_version_time",
    ),
    pytest.param(
        "```python\nprint('hi')\n```\nDone!!!",
        "Python code block skipped. Done!",
        id="python_fence_and_shouting",
    ),
    pytest.param(
        "| Name | Size |\n|---|---|\n| a.py | 3 KB |\n| b.js | 5 MB |",
        "Name: a dot py, Size: 3 kilobytes. Name: b dot js, Size: 5 megabytes.",
        id="table_files_sizes",
    ),
    pytest.param(
        (
            "Traceback (most recent call last):\n"
            '  File "x.py", line 3, in <module>\n'
            "    foo()\n"
            "ValueError: bad input"
        ),
        "Value Error: bad input.",
        id="python_traceback",
    ),
    pytest.param(
        "Call `parseJSONResponse()` with a -> b and x => y; A & B; a + b = c; x < y > z...",
        (
            "Call parse json Response with a to b and x to y; A and B; a plus b "
            "equals c; x less than y greater than z…"
        ),
        id="operators_and_arrows",
    ),
    pytest.param(
        (
            "Email me at john.doe@example.com ✅🎉 or visit docs.python.org. 50% "
            "faster, 3x speedup, 100ms."
        ),
        (
            "Email me at john dot doe at example dot com or visit docs dot python "
            "dot org. 50% faster, 3 times speedup, 100 milliseconds."
        ),
        id="email_emoji_domain_units",
    ),
    pytest.param(
        "Released on 2024-01-15. The $1.2M deal. ~5 items. 192.168.1.1 is local. 1920x1080",
        (
            "Released on January 15, 2024. The 1.2 million dollars deal. about 5 "
            "items. 192 dot 168 dot 1 dot 1 is local. 1920 by 1080."
        ),
        id="date_money_scale_ip_dims",
    ),
    pytest.param(
        "What?!?! Really... ok",
        "What? Really… ok.",
        id="repeated_punctuation",
    ),
    pytest.param(
        (
            "I've updated `config.py` to read `KOKORO_MCP_MODEL_DIR`. Run `pytest -k "
            "test_voice -v` to check."
        ),
        (
            "I've updated config dot py to read kokoro mcp model dir. Run pytest "
            "dash k test voice dash v to check."
        ),
        id="env_var_and_flags",
    ),
    pytest.param(
        (
            "## Changes\n"
            "\n"
            "1. Added `AudioBuffer.write()` in `kokoro_mcp/audio/buffer.py`\n"
            "2. Fixed the race in `Speaker._run_loop`\n"
            "3. Bumped `onnxruntime` to >=1.18\n"
            "\n"
            "All 42 tests pass ✅"
        ),
        (
            "Changes. Added Audio Buffer dot write in buffer dot py. Fixed the race "
            "in Speaker dot run loop. Bumped onnxruntime to at least 1.18. All 42 "
            "tests pass."
        ),
        id="numbered_changes",
    ),
    pytest.param(
        "The error was `TypeError: 'NoneType' object is not subscriptable` at line 57.",
        "The error was Type Error: 'None Type' object is not subscriptable at line 57.",
        id="inline_error",
    ),
    pytest.param(
        "```\n$ npm install\nadded 120 packages in 3.2s\n```",
        "Code block skipped.",
        id="shell_fence_no_language",
    ),
    pytest.param(
        (
            "Error: Cannot find module 'express'\n"
            "    at Function.Module._resolveFilename "
            "(node:internal/modules/cjs/loader:1039:15)\n"
            "    at Function.Module._load (node:internal/modules/cjs/loader:885:27)\n"
            "    at Object.<anonymous> (/app/index.js:1:17)"
        ),
        "Error: Cannot find module 'express'.",
        id="node_stack_trace",
    ),
    pytest.param(
        "> **Note:** this API is deprecated since v3.0 — use `fetchAll()` instead.",
        "Note: this API is deprecated since version 3 point 0 — use fetch All instead.",
        id="quote_note_deprecated",
    ),
    pytest.param(
        "See the [docs](https://docs.example.com/guide) and ![diagram](img/arch.png) for details.",
        "See the docs and diagram for details.",
        id="link_and_image",
    ),
    pytest.param(
        (
            "| Metric | Before | After |\n"
            "|:-------|-------:|------:|\n"
            "| p50 latency | 1,300 ms | 450 ms |\n"
            "| RTF | 0.35 | 0.24 |"
        ),
        (
            "Metric: p50 latency, Before: 1,300 milliseconds, After: 450 "
            "milliseconds. Metric: RTF, Before: 0.35, After: 0.24."
        ),
        id="aligned_table_metrics",
    ),
    pytest.param(
        "Temperature dropped to -12°C overnight; expect +5°C by 2:00 PM.",
        (
            "Temperature dropped to minus 12 degrees Celsius overnight; expect plus "
            "5 degrees Celsius by 2 PM."
        ),
        id="temperatures",
    ),
    pytest.param(
        "Done. Coverage went from 78.5% to 91.2% (+12.7 points).",
        "Done. Coverage went from 78.5% to 91.2% (plus 12.7 points).",
        id="coverage_percentages",
    ),
    pytest.param(
        "The function `getUserById(id: number): Promise<User>` returns `null` if not found.",
        "The function get User By ID (id: number): Promise of User returns null if not found.",
        id="typescript_signature",
    ),
    pytest.param(
        "Memory: 825 MB peak RSS, ~0.45s model load, 1.1s for spaCy.",
        "Memory: 825 megabytes peak RSS, about 0.45 seconds model load, 1.1 seconds for spacy.",
        id="memory_units_brand",
    ),
    pytest.param(
        "The PR #1234 fixes issue #42 and closes #43.",
        "The PR number 1234 fixes issue number 42 and closes number 43.",
        id="issue_numbers",
    ),
    pytest.param(
        "<details><summary>Click to expand</summary>Hidden content here.</details>",
        "Click to expand. Hidden content here.",
        id="html_details",
    ),
    pytest.param(
        "Build passed\nTests pass\nlint is clean",
        "Build passed. Tests pass. lint is clean.",
        id="status_lines",
    ),
    pytest.param(
        "***\nThanks!!! 🙏🙏",
        "Thanks!",
        id="rule_and_emoji_thanks",
    ),
    pytest.param(
        "Q3 revenue was $1.5B, up 23% YoY; EPS $2.10 vs. $1.85 expected.",
        (
            "Q3 revenue was 1.5 billion dollars, up 23% year over year; EPS $2.10 "
            "versus $1.85 expected."
        ),
        id="finance_abbreviations",
    ),
    pytest.param(
        "Commit a9f3c71 reverted 3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.",
        "Commit a9f3c71 reverted 3e4f5a6.",
        id="git_hashes",
    ),
    pytest.param(
        "It's 50/50 whether the fix lands in 3.12 or 3.13; 3 of 5 runs passed (3/5).",
        "It's 50 50 whether the fix lands in 3.12 or 3.13; 3 of 5 runs passed (3 out of 5).",
        id="fractions_and_odds",
    ),
    pytest.param(
        "Call me at 10:05 or 14:00; the meeting is 9:30-10:30.",
        "Call me at 10 oh 5 or 14 hundred; the meeting is 9 30 to 10 30.",
        id="clock_times_and_range",
    ),
    pytest.param(
        "Set `max_chars=280` and `first_chunk_words=6` in `split_chunks()`.",
        "Set max chars equals 280 and first chunk words equals 6 in split chunks.",
        id="config_assignments",
    ),
    pytest.param(
        "Open ~/.config/kokoro/config.toml or C:\\Users\\me\\AppData\\kokoro.ini.",
        "Open config dot toml or kokoro dot ini.",
        id="home_and_windows_paths",
    ),
    pytest.param(
        (
            "The `__init__.py` file and `_private_helper` and `HTTPServer` and "
            "`XMLHttpRequest` and `APIs`."
        ),
        "The init dot py file and private helper and HTTP Server and XML HTTP Request and APIs.",
        id="identifier_styles",
    ),
    pytest.param(
        "Wait... what?? That's...weird.",
        "Wait… what? That's… weird.",
        id="ellipses",
    ),
    pytest.param(
        (
            "- **Speed**: 2x faster on long texts\n"
            "- **Memory**: down from 825 MB to 610 MB\n"
            "  - measured with `/usr/bin/time -v`\n"
            "- *Latency*: first sound in ~300ms"
        ),
        (
            "Speed: 2 times faster on long texts. Memory: down from 825 megabytes to "
            "610 megabytes. measured with time dash v. Latency: first sound in about "
            "300 milliseconds."
        ),
        id="bold_labels_nested_list",
    ),
    pytest.param(
        "### Next steps:\n\n1) Run `git pull --rebase origin main`\n2) Re-run the tests",
        "Next steps: Run git pull dash dash rebase origin main. Re-run the tests.",
        id="heading_colon_numbered_parens",
    ),
    pytest.param(
        "~~~bash\npip install -e '.[dev]'\n~~~",
        "Shell code block skipped.",
        id="tilde_fence_bash",
    ),
    pytest.param(
        "Here is the code:\n```python\ndef broken(:\n    pass",
        "Here is the code: Python code block skipped.",
        id="unclosed_fence",
    ),
    pytest.param(
        "<!-- internal note: do not read -->\nVisible text.",
        "Visible text.",
        id="html_comment",
    ),
    pytest.param(
        "Results\n=======\n\nEverything is green.",
        "Results. Everything is green.",
        id="setext_heading",
    ),
    pytest.param(
        "> - quoted item one\n> - quoted item two",
        "quoted item one. quoted item two.",
        id="quoted_list",
    ),
    pytest.param(
        (
            "I've pushed the fix to `feature/tts-streaming` and opened PR #87: "
            "https://github.com/acme/kokoro-mcp/pull/87"
        ),
        "I've pushed the fix to feature tts-streaming and opened PR number 87: github dot com.",
        id="branch_and_pr_url",
    ),
    pytest.param(
        "🚀 Deployed! 🎉 All systems go ✅",
        "Deployed! All systems go.",
        id="emoji_celebration",
    ),
    pytest.param(
        "The API returns HTTP 404 when the `voice_id` is unknown, and HTTP 500 on model errors.",
        "The API returns HTTP 404 when the voice ID is unknown, and HTTP 500 on model errors.",
        id="http_status_codes",
    ),
    pytest.param(
        "It took 12.5s (p95: 1.8s) across 1,000 requests @ 50 req/s.",
        "It took 12.5 seconds (p95: 1.8 seconds) across 1,000 requests at 50 req per second.",
        id="rates_and_at",
    ),
    pytest.param(
        "Error in ./src/components/App.tsx:42:13 — Property 'foo' does not exist on type 'Props'.",
        "Error in App dot tsx, line 42 — Property 'foo' does not exist on type 'Props'.",
        id="tsx_error_location",
    ),
    pytest.param(
        "Set `OMP_NUM_THREADS=2` and `export PULSE_SERVER=unix:/tmp/pulse/native` before starting.",
        "Set omp num threads equals 2 and export pulse server equals native before starting.",
        id="env_assignment_with_path",
    ),
    pytest.param(
        (
            "| # | Test | Status |\n"
            "|---|------|--------|\n"
            "| 1 | test_speak | ✅ pass |\n"
            "| 2 | test_stop | ❌ fail |"
        ),
        "1, Test: test speak, Status: pass. 2, Test: test stop, Status: fail.",
        id="table_with_number_column",
    ),
    pytest.param(
        (
            "Version 1.2.0-rc.1 is out; upgrade from v1.1.9 with `pip install -U "
            "kokoro-mcp==1.2.0rc1`."
        ),
        (
            "Version 1 point 2 point 0 RC 1 is out; upgrade from version 1 point 1 "
            "point 9 with pip install dash U kokoro-mcp equals 1 point 2 point 0 RC "
            "1."
        ),
        id="prerelease_versions",
    ),
    pytest.param(
        "The ratio is 16:9 and the score was 3–2.",
        "The ratio is 16 to 9 and the score was 3 to 2.",
        id="ratio_and_score",
    ),
    pytest.param(
        "Budget: $12,500/month (≈ €11.5k), i.e. ~$150k/year.",
        (
            "Budget: $12,500 per month (about 11.5 thousand euros), that is, about "
            "150 thousand dollars per year."
        ),
        id="budget_rates",
    ),
    pytest.param(
        "Tests: 128 passed, 2 skipped, 0 failed in 34.21s",
        "Tests: 128 passed, 2 skipped, 0 failed in 34.21 seconds.",
        id="pytest_summary",
    ),
    pytest.param(
        "Meeting on 2026-11-25T16:45:00Z.",
        "Meeting on November 25, 2026, 16 45.",
        id="iso_timestamp",
    ),
    pytest.param(
        "Use `Ctrl+C` to stop, or `Cmd+Shift+P` on macOS.",
        "Use Ctrl plus C to stop, or Cmd plus Shift plus P on macOS.",
        id="key_chords",
    ),
    pytest.param(
        "The hash is sha256:6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb.",
        "The hash is sha256 6e74217.",
        id="sha256_digest",
    ),
    pytest.param(
        "Here's the plan:\n1. Read the config\n2. Load the model\n3. Speak",
        "Here's the plan: Read the config. Load the model. Speak.",
        id="plan_with_colon",
    ),
    pytest.param(
        "Note that `np.float32` arrays of shape (510, 1, 256) are 522,240 bytes.",
        "Note that np dot float32 arrays of shape (510, 1, 256) are 522,240 bytes.",
        id="numpy_shape",
    ),
    pytest.param(
        "Ping me on Slack (@alice) or email alice+tts@example.co.uk.",
        "Ping me on Slack (at alice) or email alice plus tts at example dot co dot uk.",
        id="mention_and_plus_email",
    ),
    pytest.param(
        "Phase 2/3 done; 67% complete.",
        "Phase 2 out of 3 done; 67% complete.",
        id="phase_fraction",
    ),
    pytest.param(
        "It's **really** important — don't skip this step!",
        "It's really important — don't skip this step!",
        id="bold_with_em_dash",
    ),
    pytest.param(
        "日本語のテキストです。English follows.",
        "日本語のテキストです。English follows.",
        id="japanese_then_english",
    ),
    pytest.param(
        "C:\\Users\\alice\\Documents\\report.docx was saved.",
        "report dot docx was saved.",
        id="windows_document",
    ),
    pytest.param(
        "The server is up at http://localhost:8080/docs, try it.",
        "The server is up at localhost port 8080, try it.",
        id="localhost_url",
    ),
    pytest.param(
        "Add it to `.env` and `.gitignore`, then update README.md and CHANGELOG.md.",
        "Add it to dot env and dot gitignore, then update readme dot md and changelog dot md.",
        id="dotfiles_and_readme",
    ),
    pytest.param(
        "Use `os.path.join()` instead of string concatenation.",
        "Use os dot path dot join instead of string concatenation.",
        id="dotted_call",
    ),
    pytest.param(
        "It's written in C++ and C#, with bindings for Node.js.",
        "It's written in C plus plus and C sharp, with bindings for Node dot js.",
        id="cpp_and_csharp",
    ),
    pytest.param(
        "This is ~~wrong~~ _right_ and __very__ important.",
        "This is wrong right and very important.",
        id="strike_and_underscore_emphasis",
    ),
    pytest.param(
        "Read [the guide][guide] first.\n\n[guide]: https://example.com/guide",
        "Read the guide first.",
        id="reference_link",
    ),
    pytest.param(
        "TODO: remove the WARNING once KOKORO loads faster.",
        "to-do: remove the WARNING once kokoro loads faster.",
        id="todo_caps",
    ),
    pytest.param(
        "Latency → 300 ms; error ≤ 5% and ≠ 0; a ≥ b ± 2.",
        (
            "Latency to 300 milliseconds; error is at most 5% and is not equal to 0; "
            "a is at least b plus or minus 2."
        ),
        id="unicode_arrows_math",
    ),
    pytest.param(
        "We hit 1.5M users and 10k stars; the model has 8B parameters and renders 4K video.",
        (
            "We hit 1.5 million users and 10 thousand stars; the model has 8 billion "
            "parameters and renders 4K video."
        ),
        id="scales_without_currency",
    ),
    pytest.param(
        "Sorting is O(n log n), lookup is O(1), and the table holds 2^10 entries (n^2 worst case).",
        (
            "Sorting is O of n log n, lookup is O of 1, and the table holds 2 to the "
            "power of 10 entries (n squared worst case)."
        ),
        id="powers_and_big_o",
    ),
    pytest.param(
        "Update the file(s) listed below; Python 3.10+ is required.",
        "Update the files listed below; Python 3 10 or later is required.",
        id="optional_plurals_and_or_later",
    ),
    pytest.param(
        "Support is 24/7, office hours 9am-5pm.",
        "Support is 24 7, office hours 9 AM to 5 PM.",
        id="around_the_clock",
    ),
    pytest.param(
        "TL;DR: see §3.2 for the details.",
        "T L D R: see section 3.2 for the details.",
        id="tldr_and_sections",
    ),
    pytest.param(
        "Use `count += 1` instead of `count++`, and `total -= cost` at the end.",
        (
            "Use count plus equals 1 instead of count plus plus, and total minus "
            "equals cost at the end."
        ),
        id="compound_assignment",
    ),
    pytest.param(
        "Works on v1.0-v2.0 and on Python 3.11-3.12; v1.2.3-beta.1 is not supported.",
        (
            "Works on version 1 point 0 to version 2 point 0 and on Python 3 11 to "
            "3 12; version 1 point 2 point 3 beta 1 is not supported."
        ),
        id="version_ranges",
    ),
    pytest.param(
        "It speaks IPv6 and OAuth2 over HTTP/2.",
        "It speaks IP version 6 and O Auth 2 over HTTP 2.",
        id="protocols",
    ),
    pytest.param(
        "Set the learning rate to 1e-5 for 1_000_000 steps; the tolerance is +/-0.5.",
        (
            "Set the learning rate to 1 e minus 5 for 1000000 steps; the tolerance "
            "is plus or minus 0.5."
        ),
        id="scientific_and_separators",
    ),
    pytest.param(
        "WIP: the TODO list is in NOTES.md; FIXME comments are tracked too.",
        "work in progress: the to-do list is in notes dot md; fix me comments are tracked too.",
        id="caps_markers",
    ),
    pytest.param(
        "Node runs on V8; the v22 release shipped on 25.11.2026.",
        "Node runs on V8; the version 22 release shipped on November 25, 2026.",
        id="engine_name_and_european_date",
    ),
]


@pytest.mark.parametrize(("text", "expected"), AGENT_OUTPUTS)
def test_agent_output_becomes_speakable_text(text: str, expected: str) -> None:
    assert prepare_text(text) == expected


def test_there_are_at_least_forty_cases() -> None:
    assert len(AGENT_OUTPUTS) >= 40


WHOLE_REPLY = (
    "I've finished the refactor. Here's a summary of what changed:\n"
    "\n"
    "## What I did\n"
    "\n"
    "1. **Split `speaker.py`** into `speaker.py` (queue + policy) and "
    "`speaker_types.py` (dataclasses).\n"
    "2. **Fixed the race** where `stop()` could run before `speak()` enqueued its first "
    "chunk — the generation id is now bumped *before* the queue is cleared.\n"
    "3. Added 14 tests in `tests/test_speaker.py`; all pass (`pytest -q` → `87 passed in 12.3s`).\n"
    "\n"
    "### Performance\n"
    "\n"
    "| Scenario | Before | After |\n"
    "|----------|--------|-------|\n"
    '| First sound ("Done.") | 1.3 s | 0.31 s |\n'
    "| 75-word summary | ~10 s | 0.9 s |\n"
    "\n"
    "> **Note:** the numbers above were measured on the 2-core CI box with `OMP_NUM_THREADS=2`.\n"
    "\n"
    "### Remaining issues\n"
    "\n"
    "- [ ] The mlx backend still prints to stdout (see mlx-audio#123)\n"
    "- [x] ~~Keep-alive tone audible on some DACs~~ fixed in 3f2a9c1\n"
    "- Windows/WSL isn't tested yet\n"
    "\n"
    "If you want, I can also:\n"
    "* add a `--voice` flag to `kokoro-mcp say`\n"
    "* write the README section on Claude Desktop config "
    "(`~/Library/Application Support/Claude/claude_desktop_config.json`)\n"
    "\n"
    "Let me know! 🙂\n"
)


def test_a_whole_reply_reads_as_one_speech() -> None:
    assert prepare_text(WHOLE_REPLY) == (
        "I've finished the refactor. Here's a summary of what changed: What I did. Split speaker "
        "dot py into speaker dot py (queue plus policy) and speaker types dot py (dataclasses). "
        "Fixed the race where stop could run before speak enqueued its first chunk — the "
        "generation id is now bumped before the queue is cleared. Added 14 tests in test speaker "
        "dot py; all pass (pytest dash q to 87 passed in 12.3 seconds). Performance. Scenario: "
        'First sound ("Done."), Before: 1.3 seconds, After: 0.31 seconds. Scenario: 75-word '
        "summary, Before: about 10 seconds, After: 0.9 seconds. Note: the numbers above were "
        "measured on the 2-core CI box with omp num threads equals 2. Remaining issues. To do: "
        "The mlx backend still prints to standard out (see mlx-audio 123). Done: Keep-alive tone "
        "audible on some DACs fixed in 3f2a9c1. Windows WSL isn't tested yet. If you want, I can "
        "also: add a dash dash voice flag to kokoro-mcp say. write the readme section on Claude "
        "Desktop config (claude desktop config dot json). Let me know!"
    )
