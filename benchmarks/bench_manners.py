"""How long an urgent announcement waits while another agent's long reply is being spoken,
with the real Kokoro model (ONNX) in one Speaker at the null sink.

Each trial starts a long reply (owner "desktop"), waits until it has sounded for a random
0.5-3 s, then asks for "Build failed on main." from owner "ci", alternating (ABAB):
- baseline: today's interrupt from another owner, which waits for the whole reply;
- high: priority="high", which cuts in where the reply's current sentence ends.
Measured from the request to the announcement's first sample in the audio callback (the
Speaker's time to first audio; the sink adds the same ~50 ms device latency to both), and how
much of the reply was heard afterwards (the high one must not lose any of it).

Usage: python benchmarks/bench_manners.py [--trials N]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pulse

pulse.use_private_server()  # before anything imports sounddevice

from benchmarks.common import machine, p50, summary  # noqa: E402
from kokoro_mcp.engine.onnx import OnnxEngine  # noqa: E402
from kokoro_mcp.speaker import Speaker  # noqa: E402

REPLY = (
    "Here is what changed in this release. The parser now accepts trailing commas in every"
    " list. Error messages name the file and the line. The cache is keyed by locale, so users"
    " in two languages no longer see each other's pages. Start-up is about a third faster."
    " Three deprecated options were removed; the migration guide lists their replacements."
)
ANNOUNCEMENT = "Build failed on main."


def trial(speaker: Speaker, urgent: bool, rng: random.Random) -> tuple[float, bool]:
    """(seconds from request to the announcement's first audio, reply played whole)."""
    reply = speaker.speak(REPLY, owner="desktop")
    while reply.time_to_first_audio is None:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.5, 3.0))
    announcement = speaker.speak(ANNOUNCEMENT, owner="ci", priority="high" if urgent else "normal")
    if not announcement.wait(120) or announcement.time_to_first_audio is None:
        raise RuntimeError(f"announcement did not play: {announcement}")
    reply.wait(120)
    speaker.wait_idle(30)
    return announcement.time_to_first_audio, reply.state == "done"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6, help="trials of each kind")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    speaker = Speaker(OnnxEngine())
    speaker.start()
    if not (speaker.wait_ready(120) and speaker.wait_audio(10)):
        print(f"speaker not ready: {speaker.status()}", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    waits: dict[bool, list[float]] = {False: [], True: []}
    whole: dict[bool, list[bool]] = {False: [], True: []}
    try:
        speaker.speak("Warming up.").wait(60)
        for index in range(2 * args.trials):
            urgent = index % 2 == 1
            wait, reply_whole = trial(speaker, urgent, rng)
            waits[urgent].append(wait)
            whole[urgent].append(reply_whole)
    finally:
        speaker.close()
    print(summary("interrupt from another agent (today)", waits[False], "s", 1.0))
    print(summary('priority="high"', waits[True], "s", 1.0))
    print(
        f"high waits {p50(waits[False]) / p50(waits[True]):.1f}x less (p50);"
        f" reply heard whole: {sum(whole[True])}/{len(whole[True])} with high,"
        f" {sum(whole[False])}/{len(whole[False])} without;"
        f" load average now {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
