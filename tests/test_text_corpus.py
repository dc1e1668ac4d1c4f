"""The speakable-text corpus: agent-written inputs and what a listener should hear.

Public and table-driven: each row is (class, id, what the agent wrote, the exact spoken
text). Every expectation was read and judged (and the respellings phonemized with the G2P
the engine uses); it is what a careful person would say, not a snapshot. The classes are
those of issue 12; test_text_pipeline.py feeds every row through the whole pipeline,
including the real G2P and the model's phoneme limit.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from kokoro_mcp.text import prepare_text


class Case(NamedTuple):
    kind: str
    name: str
    text: str
    spoken: str


CORPUS: list[Case] = [
    # -- Markdown read by a real parser: indented code, links, autolinks, line ends, traces
    Case(
        "markdown",
        "indented_code",
        "Add this to your config:\n\n    [server]\n    port = 8080\n\nThen restart.",
        "Add this to your config: Code block skipped. Then restart.",
    ),
    Case(
        "markdown",
        "indented_code_after_heading",
        "# Usage\n\n    kokoro-mcp say hi\n\nThat is all.",
        "Usage. Code block skipped. That is all.",
    ),
    Case(
        "markdown",
        "link_url_with_parens",
        "See the [guide](https://en.wikipedia.org/wiki/Kokoro_(novel)) for background.",
        "See the guide for background.",
    ),
    Case(
        "markdown",
        "autolink_in_parens",
        "The docs live online (<https://docs.example.com/tts>).",
        "The docs live online (docs dot example dot com).",
    ),
    Case(
        "markdown",
        "autolink_ending_paren",
        "Read <https://example.org/a_(b)> first.",
        "Read example dot org first.",
    ),
    Case(
        "markdown",
        "bold_line_then_text",
        "**Summary**\nAll good.",
        "Summary. All good.",
    ),
    Case(
        "markdown",
        "code_line_then_text",
        "Run `make test`\nIt takes a minute.",
        "Run make test. It takes a minute.",
    ),
    Case(
        "markdown",
        "paren_line_then_text",
        "Fixed the flaky test (finally)\nNothing else changed.",
        "Fixed the flaky test (finally). Nothing else changed.",
    ),
    Case(
        "markdown",
        "entities",
        "Tom &amp; Jerry &lt;3 each other &mdash; really &hellip; &copy; 2026.",
        "Tom and Jerry 3 each other — really… copyright 2026.",
    ),
    Case(
        "markdown",
        "numeric_entities",
        "It costs &#36;5 and &#x20AC;4.",
        "It costs $5 and €4.",
    ),
    Case(
        "markdown",
        "nested_emphasis",
        "This is ***very*** important and __*also*__ this.",
        "This is very important and also this.",
    ),
    Case(
        "markdown",
        "escaped_marks",
        "Use \\*literal\\* stars and a \\_name\\_ here.",
        "Use literal stars and a name here.",
    ),
    Case(
        "markdown",
        "setext_h2",
        "Results\n-------\nEverything passed.",
        "Results. Everything passed.",
    ),
    Case(
        "markdown",
        "heading_with_code",
        "## The `speak` tool\n\nIt speaks.",
        "The speak tool. It speaks.",
    ),
    Case(
        "markdown",
        "blockquote_nested",
        "> Quoted text.\n>> And a reply inside it.",
        "Quoted text. And a reply inside it.",
    ),
    Case(
        "markdown",
        "ordered_list_parens",
        "Steps:\n1) Open the file\n2) Save it",
        "Steps: Open the file. Save it.",
    ),
    Case(
        "markdown",
        "nested_lists",
        "- Backend\n  - Fix the queue\n  - Add tests\n- Frontend\n  - Nothing",
        "Backend. Fix the queue. Add tests. Frontend. Nothing.",
    ),
    Case(
        "markdown",
        "task_list",
        "- [x] Parser\n- [ ] Docs\n- [X] Tests",
        "Done: Parser. To do: Docs. Done: Tests.",
    ),
    Case(
        "markdown",
        "image_with_title",
        '![Architecture diagram](docs/arch.png "The big picture") shows it.',
        "Architecture diagram shows it.",
    ),
    Case(
        "markdown",
        "reference_links",
        (
            "Read [the guide][g] and [the FAQ][].\n\n[g]: "
            "https://example.com/guide\n[the FAQ]: https://example.com/faq"
        ),
        "Read the guide and the FAQ.",
    ),
    Case(
        "markdown",
        "footnote",
        "Kokoro is small[^1] and fast.\n\n[^1]: 82 million parameters.",
        "Kokoro is small and fast. 82 million parameters.",
    ),
    Case(
        "markdown",
        "html_inline",
        "Press <kbd>Ctrl</kbd>+<kbd>C</kbd> to stop.<br>Then wait.",
        "Press Ctrl plus C to stop. Then wait.",
    ),
    Case(
        "markdown",
        "html_comment_block",
        "Visible.\n\n<!--\nhidden\nnotes\n-->\n\nAlso visible.",
        "Visible. Also visible.",
    ),
    Case(
        "markdown",
        "hard_break",
        "First line  \nSecond line",
        "First line. Second line.",
    ),
    Case(
        "markdown",
        "strikethrough",
        "The ~~old~~ new parser.",
        "The old new parser.",
    ),
    Case(
        "markdown",
        "heading_levels",
        "# One\n## Two\n###### Six",
        "One. Two. Six.",
    ),
    Case(
        "markdown",
        "fence_in_list",
        "1. Install:\n   ```sh\n   pip install kokoro-mcp\n   ```\n2. Speak.",
        "Install: Shell code block skipped. Speak.",
    ),
    Case(
        "markdown",
        "tilde_fence_language",
        "~~~python\nprint('x')\n~~~",
        "Python code block skipped.",
    ),
    Case(
        "markdown",
        "long_fence",
        "````md\n```\nnested\n```\n````\nAfter.",
        "Markdown code block skipped. After.",
    ),
    Case(
        "markdown",
        "python_traceback_unfenced",
        (
            'It failed:\nTraceback (most recent call last):\n  File "app.py", '
            "line 3, in <module>\n    main()\nRuntimeError: audio device busy"
        ),
        "It failed: Runtime Error: audio device busy.",
    ),
    Case(
        "markdown",
        "java_trace",
        (
            'Exception in thread "main" java.lang.NullPointerException\n\tat '
            "com.example.App.run(App.java:42)\n\tat "
            "com.example.App.main(App.java:10)"
        ),
        'Exception in thread "main" java dot lang dot Null Pointer Exception.',
    ),
    Case(
        "markdown",
        "generic_type_prose",
        "It returns Promise<User> or Vec<String>.",
        "It returns Promise of User or Vec of String.",
    ),
    # -- Tables, including cells that are status icons
    Case(
        "tables",
        "status_icons",
        "| Test | Status |\n|---|---|\n| unit | ✅ |\n| lint | ❌ |\n| types | ⚠️ |",
        ("Test: unit, Status: passed. Test: lint, Status: failed. Test: types, Status: warning."),
    ),
    Case(
        "tables",
        "icon_with_words",
        ("| Check | Result |\n|---|---|\n| build | ✅ passed in 3s |\n| deploy | ❌ timed out |"),
        "Check: build, Result: passed in 3 seconds. Check: deploy, Result: timed out.",
    ),
    Case(
        "tables",
        "check_marks",
        "| Feature | macOS | Linux |\n|---|---|---|\n| MLX | ✔ | ✗ |\n| ONNX | ✔ | ✔ |",
        (
            "Feature: MLX, macOS: passed, Linux: failed. Feature: ONNX, macOS: "
            "passed, Linux: passed."
        ),
    ),
    Case(
        "tables",
        "circles",
        "| Service | Health |\n|---|---|\n| api | 🟢 |\n| db | 🔴 |\n| cache | 🟡 |",
        (
            "Service: api, Health: passed. Service: db, Health: failed. Service: "
            "cache, Health: warning."
        ),
    ),
    Case(
        "tables",
        "skipped_pending",
        "| Step | State |\n|---|---|\n| e2e | ⏭️ |\n| release | ⏳ |\n| docs | 🚧 |",
        (
            "Step: e2e, State: skipped. Step: release, State: pending. Step: "
            "docs, State: in progress."
        ),
    ),
    Case(
        "tables",
        "icons_outside_table",
        "✅ Build passed. ❌ One test failed. ⚠️ Two warnings.",
        "Build passed. One test failed. Two warnings.",
    ),
    Case(
        "tables",
        "icon_header_and_number",
        "| # | Case | ✓ |\n|---|---|---|\n| 1 | empty input | ✅ |\n| 2 | huge input | ❌ |",
        "1, Case: empty input, passed. 2, Case: huge input, failed.",
    ),
    Case(
        "tables",
        "two_icons_in_cell",
        "| Job | Runs |\n|---|---|\n| nightly | ✅✅❌ |",
        "Job: nightly, Runs: passed, passed, failed.",
    ),
    Case(
        "tables",
        "escaped_pipe",
        "| Operator | Meaning |\n|---|---|\n| `a \\| b` | either |",
        "Operator: a b, Meaning: either.",
    ),
    Case(
        "tables",
        "table_then_text",
        "| Name | Size |\n|---|---|\n| model.onnx | 92 MB |\nThat is the only file.",
        "Name: model dot onnx, Size: 92 megabytes. That is the only file.",
    ),
    Case(
        "tables",
        "header_only",
        "| Name | Size |\n|---|---|",
        "Name, Size.",
    ),
    Case(
        "tables",
        "no_leading_pipes",
        "Name | Status\n--- | ---\nalpha | ✅\nbeta | ❌",
        "Name: alpha, Status: passed. Name: beta, Status: failed.",
    ),
    # -- Diffs, fenced or pasted
    Case(
        "diffs",
        "one_line_change",
        "```diff\n@@ -12,7 +12,7 @@\n-timeout = 30\n+timeout = 60\n```",
        "Diff: changed timeout from 30 to 60.",
    ),
    Case(
        "diffs",
        "yaml_change",
        (
            "```diff\n--- a/config.yaml\n+++ b/config.yaml\n@@ -1,3 +1,3 @@\n "
            "name: web\n-replicas: 2\n+replicas: 4\n```"
        ),
        "In config dot yaml: changed replicas from 2 to 4.",
    ),
    Case(
        "diffs",
        "counts",
        (
            "```diff\n@@ -1,5 +1,6 @@\n-import os\n-import sys\n+import sys\n"
            "+import json\n+import re\n```"
        ),
        "Diff: 2 lines removed and 3 added.",
    ),
    Case(
        "diffs",
        "only_added",
        "```diff\n@@ -10,0 +11,3 @@\n+def helper():\n+    return 1\n+\n```",
        "Diff: 3 lines added.",
    ),
    Case(
        "diffs",
        "only_removed",
        "```patch\n@@ -4,2 +3,0 @@\n-legacy = True\n-other = 1\n```",
        "Diff: 2 lines removed.",
    ),
    Case(
        "diffs",
        "unfenced_git_diff",
        (
            "Here is the change:\n\ndiff --git a/src/app.py b/src/app.py\nindex "
            "3b18e51..a9f3c71 100644\n--- a/src/app.py\n+++ b/src/app.py\n@@ "
            "-1,3 +1,3 @@\n def main():\n-    return 1\n+    return 0\n\nLooks "
            "good?"
        ),
        "Here is the change: In app dot py: changed 1 line. Looks good?",
    ),
    Case(
        "diffs",
        "unfenced_hunk_only",
        "@@ -3,1 +3,1 @@\n-MAX_RETRIES = 3\n+MAX_RETRIES = 5",
        "Diff: changed max retries from 3 to 5.",
    ),
    Case(
        "diffs",
        "two_files",
        (
            "```diff\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n--- "
            "a/b.py\n+++ b/b.py\n@@ -1 +1,2 @@\n-y\n+y = 1\n+z = 2\n```"
        ),
        "In a dot py: changed x from 1 to 2. In b dot py: 1 line removed and 2 added.",
    ),
    Case(
        "diffs",
        "many_hunks",
        (
            "```diff\n@@ -1 +1 @@\n-a = 1\n+a = 2\n@@ -5 +5 @@\n-b = 1\n+b = 2\n"
            "@@ -9 +9 @@\n-c = 1\n+c = 2\n@@ -12 +12 @@\n-d = 1\n+d = 2\n@@ -20 "
            "+20 @@\n-e = 1\n+e = 2\n```"
        ),
        (
            "Diff: changed a from 1 to 2; changed b from 1 to 2; changed c from "
            "1 to 2; and 2 more changes."
        ),
    ),
    Case(
        "diffs",
        "function_arg_change",
        "```diff\n@@ -7 +7 @@\n-    sleep(0.5)\n+    sleep(1.5)\n```",
        "Diff: changed sleep from 0.5 to 1.5.",
    ),
    Case(
        "diffs",
        "long_line_change",
        (
            "```diff\n@@ -1 +1 @@\n-The quick brown fox jumps over the lazy dog "
            "near the bank of the river.\n+A slow red fox walks under the busy "
            "cat far from the edge of the sea today.\n```"
        ),
        "Diff: changed 1 line.",
    ),
    Case(
        "diffs",
        "list_not_diff",
        "- removed the old flag\n+ added a new one",
        "removed the old flag. added a new one.",
    ),
    Case(
        "diffs",
        "diff_then_text",
        "```diff\n@@ -1 +1 @@\n-a\n+b\n```\nDone.",
        "Diff: changed a to b. Done.",
    ),
    # -- Numbers with slashes, hyphens, colons: dates, scores, fractions, phones, times
    Case(
        "numbers",
        "due_date",
        "The report is due 4/15.",
        "The report is due April 15.",
    ),
    Case(
        "numbers",
        "european_date",
        "Moved to 15/04/2027.",
        "Moved to April 15, 2027.",
    ),
    Case(
        "numbers",
        "us_date_full",
        "Signed on 03/04/2026.",
        "Signed on March 4, 2026.",
    ),
    Case(
        "numbers",
        "two_digit_year",
        "Shipped 12/24/25, finally.",
        "Shipped December 24, 2025, finally.",
    ),
    Case(
        "numbers",
        "score_in_parens",
        "Unit tests PASS (8/8).",
        "Unit tests PASS (8 out of 8).",
    ),
    Case(
        "numbers",
        "score_partial",
        "Integration: 7/9 passed.",
        "Integration: 7 out of 9 passed.",
    ),
    Case(
        "numbers",
        "fifty_fifty",
        "It's 50/50 at this point.",
        "It's 50 50 at this point.",
    ),
    Case(
        "numbers",
        "mixed_fraction",
        "Add 1 3/4 cups of flour.",
        "Add 1 and three quarters cups of flour.",
    ),
    Case(
        "numbers",
        "fraction_of",
        "About 1/3 of the runs were slow, and 2/3 of them were fine.",
        "About one third of the runs were slow, and two thirds of them were fine.",
    ),
    Case(
        "numbers",
        "vulgar_fractions",
        "It took ½ hour, then 2¼ hours, then ⅓ of a day.",
        "It took one half hour, then 2 and one quarter hours, then one third of a day.",
    ),
    Case(
        "numbers",
        "phone_paren",
        "Call (555) 867-5309 after 5pm.",
        "Call 5 5 5, 8 6 7, 5 3 0 9 after 5 PM.",
    ),
    Case(
        "numbers",
        "phone_dashes",
        "Support: 555-867-5309.",
        "Support: 5 5 5, 8 6 7, 5 3 0 9.",
    ),
    Case(
        "numbers",
        "phone_country",
        "Dial +1 555 867 5309 from abroad.",
        "Dial plus 1, 5 5 5, 8 6 7, 5 3 0 9 from abroad.",
    ),
    Case(
        "numbers",
        "phone_local",
        "Call 867-5309 to order.",
        "Call 8 6 7, 5 3 0 9 to order.",
    ),
    Case(
        "numbers",
        "hour_range",
        "Standup is 9-10am.",
        "Standup is 9 to 10 AM.",
    ),
    Case(
        "numbers",
        "minute_range",
        "Office hours 1:30-3pm.",
        "Office hours 1 30 to 3 PM.",
    ),
    Case(
        "numbers",
        "time_pm",
        "We deploy at 7:45pm.",
        "We deploy at 7 45 PM.",
    ),
    Case(
        "numbers",
        "time_am_zone",
        "The window opens at 7:45 a.m. ET and closes at noon.",
        "The window opens at 7 45 AM Eastern Time and closes at noon.",
    ),
    Case(
        "numbers",
        "time_24h",
        "The cron job runs at 19:05 and 00:30.",
        "The cron job runs at 19 oh 5 and 0 30.",
    ),
    Case(
        "numbers",
        "time_zone_utc",
        "Maintenance starts 02:00 UTC.",
        "Maintenance starts 2 o'clock UTC.",
    ),
    Case(
        "numbers",
        "ordinals",
        "This is the 2nd attempt; the 31st was the last one, and the 3rd failed.",
        ("This is the second attempt; the thirty-first was the last one, and the third failed."),
    ),
    Case(
        "numbers",
        "ordinal_teens",
        "Released on the 11th, 12th and 13th.",
        "Released on the eleventh, twelfth and thirteenth.",
    ),
    Case(
        "numbers",
        "range_still_range",
        "Expect 10-20 seconds and pages 3-7.",
        "Expect 10 to 20 seconds and pages 3 to 7.",
    ),
    Case(
        "numbers",
        "negative_in_range",
        "Range: -5 to 5.",
        "Range: minus 5 to 5.",
    ),
    Case(
        "numbers",
        "iso_date_time",
        "Last run: 2026-11-27 14:30.",
        "Last run: November 27, 2026, 14 30.",
    ),
    Case(
        "numbers",
        "written_date",
        "We ship on December 3, 2027 if all goes well.",
        "We ship on December 3, 2027 if all goes well.",
    ),
    # -- Units glued to numbers
    Case(
        "units",
        "gib",
        "The model needs 2.5GiB of RAM.",
        "The model needs 2.5 gibibytes of RAM.",
    ),
    Case(
        "units",
        "kb_pages",
        "It uses 8kB pages.",
        "It uses 8 kilobytes pages.",
    ),
    Case(
        "units",
        "ghz",
        "A 2.4GHz CPU.",
        "A 2.4 gigahertz CPU.",
    ),
    Case(
        "units",
        "khz",
        "Audio at 48kHz and 24kHz.",
        "Audio at 48 kilohertz and 24 kilohertz.",
    ),
    Case(
        "units",
        "mb_per_s",
        "Throughput was 120MB/s.",
        "Throughput was 120 megabytes per second.",
    ),
    Case(
        "units",
        "ms_and_us",
        "p50 is 12ms, p99 is 850us.",
        "p50 is 12 milliseconds, p99 is 850 microseconds.",
    ),
    Case(
        "units",
        "tb",
        "The disk holds 4TB.",
        "The disk holds 4 terabytes.",
    ),
    Case(
        "units",
        "fps_rpm",
        "Runs at 60fps; the fan spins at 1200rpm.",
        "Runs at 60 frames per second; the fan spins at 1200 RPM.",
    ),
    Case(
        "units",
        "spaced_units",
        "It took 3 ms and 1.5 GB.",
        "It took 3 milliseconds and 1.5 gigabytes.",
    ),
    Case(
        "units",
        "unit_range",
        "Latency 100-200ms.",
        "Latency 100 to 200 milliseconds.",
    ),
    Case(
        "units",
        "mib_in_code",
        "Peak RSS was `825MiB`.",
        "Peak RSS was 825 mebibytes.",
    ),
    Case(
        "units",
        "hz_alone",
        "The tone is 10Hz.",
        "The tone is 10 hertz.",
    ),
    # -- Words the voice mispronounces: acronyms, signals, roman numerals, versions
    Case(
        "respell",
        "json_yaml_toml",
        "Config can be JSON, YAML or TOML.",
        "Config can be json, yaml or toml.",
    ),
    Case(
        "respell",
        "signals",
        "Send SIGTERM, then SIGKILL if it hangs; SIGINT is Ctrl plus C.",
        "Send sig term, then sig kill if it hangs; sigint is Ctrl plus C.",
    ),
    Case(
        "respell",
        "aws",
        "Deploy it on AWS.",
        "Deploy it on A.W.S.",
    ),
    Case(
        "respell",
        "sql",
        "Write the SQL by hand.",
        "Write the SQL by hand.",
    ),
    Case(
        "respell",
        "regnal",
        "Charles III and Henry VIII were kings.",
        "Charles the Third and Henry the Eighth were kings.",
    ),
    Case(
        "respell",
        "part_numbers",
        "Part II covers setup; see Chapter IV.",
        "Part 2 covers setup; see Chapter 4.",
    ),
    Case(
        "respell",
        "world_war",
        "Since World War II.",
        "Since World War 2.",
    ),
    Case(
        "respell",
        "pronoun_i_kept",
        "I think I will, and Type I errors too.",
        "I think I will, and Type I errors too.",
    ),
    Case(
        "respell",
        "python_version",
        "Requires Python 3.12.",
        "Requires Python 3 12.",
    ),
    Case(
        "respell",
        "node_version",
        "Tested on Node 20.11 and Ubuntu 24.04.",
        "Tested on Node 20 11 and Ubuntu 24 04.",
    ),
    Case(
        "respell",
        "python_range",
        "Supports Python 3.10-3.12.",
        "Supports Python 3 10 to 3 12.",
    ),
    Case(
        "respell",
        "python_patch_version",
        "Python 3.12.1 fixed it.",
        "Python 3 point 12 point 1 fixed it.",
    ),
    Case(
        "respell",
        "std_streams",
        "Logs go to stderr, results to stdout, input from stdin.",
        "Logs go to standard error, results to standard out, input from standard in.",
    ),
    Case(
        "respell",
        "k8s",
        "Run kubectl on the k8s cluster.",
        "Run kube control on the kubernetes cluster.",
    ),
    Case(
        "respell",
        "nginx_cuda",
        "NGINX proxies to a CUDA box.",
        "engine x proxies to a cuda box.",
    ),
    Case(
        "respell",
        "camel_json",
        "Call `parseJSONResponse()` then `toYAML()`.",
        "Call parse json Response then to yaml.",
    ),
    # -- Paths, URLs and punctuation edges
    Case(
        "paths",
        "lone_slash",
        "Mount it at /.",
        "Mount it at slash.",
    ),
    Case(
        "paths",
        "home_dir",
        "Put it under ~/ and restart.",
        "Put it under home folder and restart.",
    ),
    Case(
        "paths",
        "root_then_word",
        "Everything under / is read-only.",
        "Everything under slash is read-only.",
    ),
    Case(
        "paths",
        "extension_after_space",
        "Delete all .py files and .ts ones.",
        "Delete all dot py files and dot ts ones.",
    ),
    Case(
        "paths",
        "extension_list",
        "Supported: .json, .yaml and .toml.",
        "Supported: dot json, dot yaml and dot toml.",
    ),
    Case(
        "paths",
        "dotfile",
        "Edit your .bashrc and .env files.",
        "Edit your dot bashrc and dot env files.",
    ),
    Case(
        "paths",
        "deep_path",
        "Open /usr/local/lib/python3.12/site-packages/kokoro_mcp/cli.py now.",
        "Open CLI dot py now.",
    ),
    Case(
        "paths",
        "path_with_line",
        "See src/kokoro_mcp/text/markdown.py:42 for it.",
        "See markdown dot py, line 42 for it.",
    ),
    Case(
        "paths",
        "windows_path",
        "Saved to C:\\Users\\me\\out.wav.",
        "Saved to out dot wav.",
    ),
    Case(
        "paths",
        "relative_paths",
        "Compare ./build/app.js with ../dist/app.js.",
        "Compare app dot js with app dot js.",
    ),
    Case(
        "paths",
        "and_or_slash",
        "Use and/or logic with input/output files.",
        "Use and or logic with input output files.",
    ),
    Case(
        "paths",
        "url_with_query",
        "Fetch https://api.example.com/v1/items?page=2&limit=50 now.",
        "Fetch api dot example dot com now.",
    ),
    Case(
        "paths",
        "url_trailing_period",
        "Docs: https://docs.python.org/3/library/re.html.",
        "Docs: docs dot python dot org.",
    ),
    Case(
        "paths",
        "email",
        "Mail ops+alerts@example.com today.",
        "Mail ops plus alerts at example dot com today.",
    ),
    Case(
        "paths",
        "trailing_slash_dir",
        "Clean the build/ directory.",
        "Clean the build directory.",
    ),
    # -- Runaway tokens: JSON, UUID lists, chains, digit strings, blobs
    Case(
        "runaway",
        "minified_json",
        'Response: {"id":42,"name":"voice","tags":["a","b"],"ok":true}',
        "Response: a json object with 4 keys.",
    ),
    Case(
        "runaway",
        "json_list_in_code",
        'It returned `[{"id":1},{"id":2},{"id":3},{"id":4}]`.',
        "It returned a json list of 4 items.",
    ),
    Case(
        "runaway",
        "json_with_spaces",
        'Payload {"text": "hi", "voice": "af_heart"} was sent.',
        "Payload a json object with 2 keys was sent.",
    ),
    Case(
        "runaway",
        "short_list_kept",
        "Use [1, 2, 3] as input.",
        "Use 1, 2, 3 as input.",
    ),
    Case(
        "runaway",
        "uuid_list",
        (
            "Deleted "
            "11111111-2222-4333-8444-555555555555,66666666-7777-4888-9999-aaaaaaaaaaaa,bbbbbbbb-cccc-4ddd-8eee-ffffffffffff."
        ),
        "Deleted 3 UUIDs.",
    ),
    Case(
        "runaway",
        "single_uuid",
        "Request 3f2a9c1b-1234-4abc-8def-0123456789ab failed.",
        "Request 3f2a9c1b failed.",
    ),
    Case(
        "runaway",
        "hyphen_chain",
        "Branch feature-" + "-".join(["fix"] * 60) + " is stale.",
        "Branch feature fix fix fix and 57 more parts is stale.",
    ),
    Case(
        "runaway",
        "long_digits",
        "Order 123456789012345678901234 shipped.",
        "Order a 24-digit number shipped.",
    ),
    Case(
        "runaway",
        "base64_blob",
        "Token: dGhpcyBpcyBhIHZlcnkgbG9uZyBzZWNyZXQgdG9rZW4gdGhhdCBnb2VzIG9u==",
        "Token: a long string.",
    ),
    Case(
        "runaway",
        "long_hex",
        "Digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ok.",
        "Digest 9f86d08 ok.",
    ),
    Case(
        "runaway",
        "dotted_chain",
        "Key " + ".".join(["level"] * 20) + " not found.",
        "Key level dot level dot level dot and 17 more parts not found.",
    ),
    Case(
        "runaway",
        "underscore_chain",
        "Env " + "_".join(["PART"] * 30) + " unset.",
        "Env part part part and 27 more parts unset.",
    ),
    Case(
        "runaway",
        "mixed_garbage",
        "Log: " + "a1b2c3d4e5" * 12 + " end.",
        "Log: a1b2c3d end.",
    ),
    # -- Expansions inside prose (their chunking: test_text_boundaries.py)
    Case(
        "prose",
        "domain_in_sentence",
        "Deploy the new build to staging.example.com and tell me.",
        "Deploy the new build to staging dot example dot com and tell me.",
    ),
    Case(
        "prose",
        "email_in_sentence",
        "Send the report to john.doe@example.com before noon.",
        "Send the report to john dot doe at example dot com before noon.",
    ),
    Case(
        "prose",
        "version_in_sentence",
        "We upgraded the parser to v2.3.1 this morning.",
        "We upgraded the parser to version 2 point 3 point 1 this morning.",
    ),
    Case(
        "prose",
        "date_in_sentence",
        "The release is planned for 2027-12-03 at the latest.",
        "The release is planned for December 3, 2027 at the latest.",
    ),
    # -- Whole agent replies mixing the classes
    Case(
        "replies",
        "build_report",
        (
            "## Build report\n\n- **Status**: ✅ green\n- **Duration**: 3m 12s\n- "
            "**Artifacts**: `dist/kokoro_mcp-0.2.0-py3-none-any.whl` (48kB)\n\n"
            "All 212 tests passed (212/212)."
        ),
        (
            "Build report. Status: green. Duration: 3 minutes 12 seconds. "
            "Artifacts: kokoro mcp 0 point 2 point 0 wheel (48 kilobytes). All "
            "212 tests passed (212 out of 212)."
        ),
    ),
    Case(
        "replies",
        "review_summary",
        (
            "I reviewed PR #87. Two issues:\n\n1. `split_chunks()` can return an "
            "empty list when `max_chars < 1`.\n2. The README says Python 3.10+, "
            "but `pyproject.toml` says `>=3.11`.\n\nOtherwise LGTM 👍"
        ),
        (
            "I reviewed PR number 87. Two issues: split chunks can return an "
            "empty list when max chars less than 1. The readme says Python 3 10 "
            "or later, but pyproject dot toml says at least 3.11. Otherwise LGTM."
        ),
    ),
    Case(
        "replies",
        "bench_table",
        (
            "| Input | p50 | p95 |\n|---|---|---|\n| 1 KB | 2.1 ms | 3.4 ms |\n| "
            "1 MB | 2.3 ms | 4.0 ms |"
        ),
        (
            "Input: 1 kilobyte, p50: 2.1 milliseconds, p95: 3.4 milliseconds. "
            "Input: 1 megabyte, p50: 2.3 milliseconds, p95: 4.0 milliseconds."
        ),
    ),
    Case(
        "replies",
        "error_report",
        (
            "The job failed with `ModuleNotFoundError: No module named 'misaki'` "
            "at 14:02 UTC on 11/27."
        ),
        (
            "The job failed with Module Not Found Error: No module named "
            "'misaki' at 14 oh 2 UTC on November 27."
        ),
    ),
    Case(
        "replies",
        "plan",
        "Plan:\n\n1. Parse with markdown-it\n2. Summarise diffs\n3. Ship on 12/1",
        "Plan: Parse with markdown-it. Summarise diffs. Ship on December 1.",
    ),
    Case(
        "replies",
        "mixed_units_dates",
        "On 3/14 the 2nd run used 3.2GiB at 2.4GHz for 45min.",
        "On March 14 the second run used 3.2 gibibytes at 2.4 gigahertz for 45 minutes.",
    ),
    Case(
        "replies",
        "git_log",
        "Latest commits: a9f3c71 (fix), 3e4f5a6 (docs). Branch is 3 ahead, 0 behind.",
        "Latest commits: a9f3c71 (fix), 3e4f5a6 (docs). Branch is 3 ahead, 0 behind.",
    ),
    Case(
        "replies",
        "question",
        "Should I bump `timeout` from 30s to 60s, or keep it?",
        "Should I bump timeout from 30 seconds to 60 seconds, or keep it?",
    ),
    Case(
        "replies",
        "warning_list",
        "⚠️ Warnings:\n- deprecated `--fast` flag\n- unpinned `numpy>=1.26`",
        "Warnings: deprecated dash dash fast flag. unpinned numpy at least 1.26.",
    ),
    Case(
        "replies",
        "cost_estimate",
        "It'll cost ~$12/month (≈ €11), i.e. $0.40/day.",
        "It'll cost about $12 per month (about €11), that is, $0.40 per day.",
    ),
    Case(
        "replies",
        "percent_change",
        "Latency dropped 35% (from 1,300 ms to 845 ms) — a 1.5x speedup.",
        (
            "Latency dropped 35% (from 1,300 milliseconds to 845 milliseconds) — "
            "a 1.5 times speedup."
        ),
    ),
    Case(
        "replies",
        "install_steps",
        "Install with `pip install kokoro-mcp`, then run `kokoro-mcp doctor`.",
        "Install with pip install kokoro-mcp, then run kokoro-mcp doctor.",
    ),
    Case(
        "replies",
        "http_codes",
        "The API returned 429 Too Many Requests, then 503.",
        "The API returned 429 Too Many Requests, then 503.",
    ),
    Case(
        "replies",
        "keyboard",
        "Press Cmd+Shift+P, type `Reload`, hit Enter.",
        "Press Cmd plus Shift plus P, type Reload, hit Enter.",
    ),
    Case(
        "replies",
        "emoji_heavy",
        "🎉 Shipped! 🚀 Thanks everyone 🙏",
        "Shipped! Thanks everyone.",
    ),
]

CLASSES = sorted({case.kind for case in CORPUS})


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c.kind}-{c.name}" for c in CORPUS])
def test_corpus_case_is_spoken_as_expected(case: Case) -> None:
    assert prepare_text(case.text) == case.spoken


def test_the_corpus_covers_every_class_with_many_variants() -> None:
    assert len(CORPUS) >= 150
    assert len({case.name for case in CORPUS}) == len(CORPUS)
    for kind in CLASSES:
        assert sum(case.kind == kind for case in CORPUS) >= 4, kind
