"""Text-stage benchmark: preparation + first chunk for 1 KB, 100 KB and 1 MB replies, and
worst-case inputs (repeated markdown punctuation, digits and dots, nested brackets).

What is timed is `next(speakable_chunks(text))`: everything the engine waits for before it
can synthesize the first chunk (no model). Targets (issue 12): 1 MB within 2x of 1 KB;
each worst case under 200 ms for 50 KB and linear (time per KB flat from 12.5 to 100 KB).
Usage: python benchmarks/bench_text.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, p50, p95, summary
from kokoro_mcp.text import prepare_text, speakable_chunks

# One agent reply of ~1 KB mixing the classes the text stage handles.
REPLY = """## Build report

I fixed the race in `Speaker._run_loop` and bumped **onnxruntime** to >=1.18. See
[the guide](https://docs.example.com/guide_(v2)) or https://github.com/acme/kokoro-mcp/pull/87.

| Test | Status | Time |
|------|--------|------|
| unit | ✅ | 1.2s |
| e2e  | ❌ | 45s |

```diff
@@ -12,7 +12,7 @@
-timeout = 30
+timeout = 60
```

- Deploy to staging.example.com on 4/15 at 7:45pm ET (the 2nd attempt).
- Peak RSS 825MiB at 2.4GHz; Python 3.12 only; call (555) 867-5309 if it breaks.
- Payload was {"id":42,"name":"voice","tags":["a","b"]}; all 212 tests pass (212/212).

Traceback (most recent call last):
  File "app.py", line 3, in <module>
RuntimeError: audio device busy

That's all for today 🎉
"""

WORST_CASES: dict[str, Callable[[int], str]] = {
    "markdown punctuation": lambda n: ("*_`#>|[]()!~-+=<\\" * (n // 17 + 1))[:n],
    "emphasis runs": lambda n: ("**a" * (n // 3 + 1))[:n],
    "digits and dots": lambda n: ("1.2." * (n // 4 + 1))[:n],
    "digits and dots, spaced": lambda n: ("1.2.3 " * (n // 6 + 1))[:n],
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "nested braces": lambda n: "{" * (n // 2) + "}" * (n // 2),
    "nested parentheses": lambda n: "(" * (n // 2) + ")" * (n // 2),
    "nested links": lambda n: ("[a](" * (n // 4 + 1))[:n],
}
SIZES = {"1 KB": 1_000, "100 KB": 100_000, "1 MB": 1_000_000}
WORST_SIZE = 50_000
LINEAR_SIZES = (12_500, 25_000, 50_000, 100_000)


def reply_of(size: int) -> str:
    return (REPLY * (size // len(REPLY) + 1))[:size]


def time_first_chunks(texts: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Runs interleaved across the sizes, so a busy neighbour slows each size alike."""
    times: dict[str, list[float]] = {name: [] for name in texts}
    for _ in range(runs):
        for name, text in texts.items():
            started = time.perf_counter()
            next(speakable_chunks(text), None)
            times[name].append(time.perf_counter() - started)
    return times


def time_all(text: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for _chunk in speakable_chunks(text):
            pass
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    prepare_text("warm up: import the parser once")

    print("\nText preparation + first chunk (what the engine waits for):")
    first = time_first_chunks({name: reply_of(size) for name, size in SIZES.items()}, args.runs)
    for name, times in first.items():
        print(f"{summary(f'  {name} reply', times)}   min {min(times) * 1000:.1f} ms")
    ratio = p50(first["1 MB"]) / p50(first["1 KB"])
    verdict = "ok" if ratio <= 2 else "OVER"
    print(f"  1 MB / 1 KB time to first chunk (p50): {ratio:.2f}x (target <= 2x: {verdict})")

    print("\nWhole text (every chunk prepared), for scale:")
    for name, size in SIZES.items():
        runs = max(3, args.runs // (10 if size >= 1_000_000 else 3))
        print(summary(f"  {name} reply", time_all(reply_of(size), runs)))

    print(f"\nWorst cases, whole text of {WORST_SIZE:,} characters (target < 200 ms, linear):")
    failures = 0
    for name, make in WORST_CASES.items():
        times = time_all(make(WORST_SIZE), max(5, args.runs // 3))
        per_kb = [p50(time_all(make(size), 3)) / (size / 1000) * 1000 for size in LINEAR_SIZES]
        over = p95(times) >= 0.2
        failures += over
        scaling = " ".join(f"{value:.2f}" for value in per_kb)
        print(
            f"{summary(f'  {name}', times)}  ms/KB at 12.5-100 KB: {scaling}"
            f"{'  OVER' if over else ''}"
        )
    return 1 if ratio > 2 or failures else 0


if __name__ == "__main__":
    sys.exit(main())
