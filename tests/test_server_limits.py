"""The real server over stdio stays in control while it speaks the worst text of issue 13.

Before the G2P bound, `"(" * 10000 + "x" + ")" * 9999` kept the interpreter busy for ~48 s in
one call: no `ping`, `status` or `stop` was answered meanwhile.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import numpy as np
import pytest

from tests import pulse
from tests.mcp_helpers import connect, structured
from tests.test_server_audio import _last_sound_time, _ready

pytestmark = [
    pytest.mark.mcp,
    pytest.mark.audio,
    pytest.mark.model,
    pytest.mark.usefixtures("audio_server"),
]

# The nested brackets, then ordinary speech long enough to be stopped mid-way (< 20,000 chars).
DEGENERATE = (
    "(" * 9000 + "x" + ")" * 8999 + " " + "One more thing to say, and then another after it. " * 15
)
STATUS_BUDGET = 0.1
STATUS_OUTLIER = 0.4
FIRST_CHUNK_BUDGET = 2.0
STOP_BUDGET = 0.3
NEXT_SPEECH_BUDGET = 1.0


def _sound_after(capture: pulse.Capture, when: float) -> float | None:
    index = pulse.first_sound(capture.samples, start=capture.index_at(when))
    return None if index is None else capture.time_of(index)


@pytest.mark.slow
def test_status_and_stop_answer_while_a_degenerate_text_is_spoken() -> None:
    async def scenario() -> dict[str, Any]:
        with pulse.Capture() as capture:
            async with connect(read_timeout=120) as session:
                await _ready(session)
                figures: dict[str, Any] = {"status_seconds": []}
                spoken_at = time.monotonic()
                await session.call_tool("speak", {"text": DEGENERATE, "wait": False})
                # Ask for status over and over until the speech is heard, and a while after.
                heard_at: float | None = None
                while time.monotonic() - spoken_at < 10:
                    asked = time.monotonic()
                    status = structured(await session.call_tool("status", {}))
                    figures["status_seconds"].append(time.monotonic() - asked)
                    assert status["state"] in ("playing", "idle"), status
                    heard_at = heard_at or _sound_after(capture, spoken_at)
                    if heard_at is not None and time.monotonic() - heard_at > 1.0:
                        break
                    await anyio.sleep(0.02)
                assert heard_at is not None, "nothing was heard within 10 s"
                figures["first_sound"] = heard_at - spoken_at

                stopped_at = time.monotonic()
                await session.call_tool("stop", {})
                await anyio.sleep(0.8)
                figures["stop"] = _last_sound_time(capture) - stopped_at

                asked_at = time.monotonic()
                await session.call_tool("speak", {"text": "OK.", "wait": False})
                with anyio.fail_after(5):
                    while (next_sound := _sound_after(capture, asked_at)) is None:
                        await anyio.sleep(0.02)
                figures["next_speech"] = next_sound - asked_at
                return figures

    def missed(figures: dict[str, Any]) -> bool:
        return (
            figures["first_sound"] > FIRST_CHUNK_BUDGET
            or figures["stop"] > STOP_BUDGET
            or figures["next_speech"] > NEXT_SPEECH_BUDGET
        )

    figures = anyio.run(scenario)
    if missed(figures):
        # Synthesis shares two cores with whatever else runs; a real stall repeats.
        print(f"speech budgets missed once on a loaded box ({figures}); again")
        figures["status_seconds"] += (again := anyio.run(scenario))["status_seconds"]
        figures.update({k: v for k, v in again.items() if k != "status_seconds"})
    slowest = max(figures["status_seconds"])
    typical = float(np.percentile(figures["status_seconds"], 99))
    assert len(figures["status_seconds"]) >= 10
    # Starvation (G2P holding the interpreter lock) shows as seconds on every call; through
    # the proxy and the daemon two processes must be scheduled, so one late answer on a busy
    # 2-core box is allowed a little more.
    assert typical <= STATUS_BUDGET, f"status p99 {typical * 1000:.0f} ms: {figures}"
    assert slowest <= STATUS_OUTLIER, f"status took {slowest * 1000:.0f} ms: {figures}"
    assert figures["first_sound"] <= FIRST_CHUNK_BUDGET, figures
    assert figures["stop"] <= STOP_BUDGET, figures
    assert figures["next_speech"] <= NEXT_SPEECH_BUDGET, figures
    print(
        f"status p50 {np.median(figures['status_seconds']) * 1000:.0f} ms,"
        f" max {slowest * 1000:.0f} ms; first sound {figures['first_sound']:.2f} s;"
        f" stop {figures['stop']:.2f} s; next speech {figures['next_speech']:.2f} s"
    )
