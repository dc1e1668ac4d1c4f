"""Announcements with manners at the Speaker: priority, time to live and replace keys, heard
through the null sink. Every chunk in a test has its own tone, so the order of the tones heard
and how long each sounded prove what was heard, in which order, and that nothing was cut
inside a chunk (a "sentence"); durations tolerate the odd underrun of a loaded machine."""

from __future__ import annotations

import itertools
import time

import pytest

from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.speaker import Speaker
from tests import pulse
from tests.daemon_audio import chunks_of, distinct_texts, heard_in_order, tones_of
from tests.test_speaker import MakeSpeaker, make_speaker
from tests.waiting import wait_until

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_server")]
__all__ = ["make_speaker"]  # the fixture, shared with test_speaker.py

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliett", "kilo", "lima", "mike", "oscar", "papa", "romeo")  # fmt: skip
# Two-word sentences with tones at least 30 Hz apart: with two words a chunk, a text made of
# them has one distinct tone per chunk (a sentence).
PHRASES = distinct_texts([f"{a} {b}." for a, b in itertools.permutations(WORDS, 2)], 9)


@pytest.mark.slow
def test_high_cuts_in_where_a_sentence_ends_and_the_interrupted_speech_resumes(
    make_speaker: MakeSpeaker,
) -> None:
    # Synthesis slower than a chunk's own length would be a wait of seconds for a high
    # announcement queued behind a long reply; it is synthesized between the reply's chunks.
    engine = ToneEngine(seconds_per_word=0.25, words_per_chunk=2, latency=0.4)
    speaker = make_speaker(engine)
    reply_text = " ".join(PHRASES[:6])  # six chunks, 3 s
    first_high, second_high, normal = PHRASES[6:9]
    with pulse.Capture() as cap:
        reply = speaker.speak(reply_text, owner="desktop")
        queued = speaker.speak(normal, mode="queue", owner="agent-b")
        assert wait_until(lambda: reply.chunks_played >= 1, 5) is not None
        high1 = speaker.speak(first_high, owner="agent-c", priority="high")
        high2 = speaker.speak(second_high, mode="queue", owner="agent-d", priority="high")
        status = speaker.status()
        assert [(q.id, q.priority) for q in status.queued[:2]] == [
            (high1.id, "high"),
            (high2.id, "high"),
        ]
        assert queued.wait(20)
        cap.wait_played_out()
    assert [u.state for u in (reply, high1, high2, queued)] == ["done"] * 4
    parts = tones_of(engine, [reply_text])
    highs = tones_of(engine, [first_high, second_high])
    last = tones_of(engine, [normal])
    # Both high ones, in the order asked, between two of the reply's chunks (never inside
    # one); the reply went on where it stopped; the normal queued speech came last.
    cut_in = [
        k
        for k in range(1, len(parts))
        if heard_in_order(cap.samples, [*parts[:k], *highs, *parts[k:], *last])
    ]
    assert cut_in, f"heard {pulse.frequency_sequence(cap.samples)}; reply {parts}, highs {highs}"
    assert high1.time_to_first_audio is not None
    # 0.4 s to synthesize each 0.5 s chunk: the reply's synthesis ends ~2.4 s after it began,
    # so without suspending it the high one would start ~2 s after it was asked for; with
    # it, after at most one chunk's synthesis, its own, and the rest of the sounding chunk.
    assert high1.time_to_first_audio < 1.6, high1.time_to_first_audio


def test_low_is_dropped_while_anything_is_live_and_played_when_idle(
    make_speaker: MakeSpeaker,
) -> None:
    engine = ToneEngine(seconds_per_word=0.2)
    speaker = make_speaker(engine)
    first, dropped_text, later_text = PHRASES[:3]
    with pulse.Capture() as cap:
        playing = speaker.speak(first, owner="a")
        low = speaker.speak(dropped_text, owner="b", priority="low")
        assert low.state == "dropped" and low.finished
        assert low.reason == "low priority, and 1 other utterance was playing or queued"
        assert low.chunks_synthesized == 0
        drops = speaker.status().recent_drops
        assert [(d.id, d.client, d.reason) for d in drops] == [(low.id, "b", low.reason)]
        own = speaker.speak(dropped_text, owner="a", priority="low")  # one's own speech counts
        assert own.state == "dropped" and playing.state != "stopped"
        assert playing.wait(10) and playing.state == "done"
        assert speaker.wait_idle(5)
        later = speaker.speak(later_text, owner="b", priority="low")
        assert later.wait(10) and later.state == "done" and later.reason is None
        cap.wait_played_out()
    assert heard_in_order(cap.samples, tones_of(engine, [first, later_text]))


@pytest.mark.slow
@pytest.mark.parametrize("max_ahead", [15.0, 0.3], ids=["buffered", "not-yet-synthesized"])
def test_ttl_runs_out_behind_a_long_utterance_and_it_is_never_heard(
    make_speaker: MakeSpeaker, max_ahead: float
) -> None:
    """Buffered: the tone engine synthesizes the queued one at once, so the callback itself
    refuses it; not yet synthesized: the synthesis thread is held back and the monitor drops
    it from the queue. Either way it is dropped at its deadline, not when it is reached."""
    engine = ToneEngine(seconds_per_word=0.3, words_per_chunk=2)
    speaker = make_speaker(engine, max_ahead_seconds=max_ahead)
    long_text = " ".join(PHRASES[:3])  # 1.8 s
    stale_text, fresh_text = PHRASES[3:5]
    with pulse.Capture() as cap:
        started = time.monotonic()
        long_one = speaker.speak(long_text, owner="a")
        stale = speaker.speak(stale_text, mode="queue", owner="b", ttl=0.6)
        fresh = speaker.speak(fresh_text, mode="queue", owner="c", ttl=30)
        assert stale.wait(5)
        dropped_after = time.monotonic() - started
        assert stale.state == "dropped" and stale.chunks_played == 0
        assert stale.reason == "its time to live (0.6 s) ran out before it could start"
        assert 0.55 < dropped_after < 1.2, dropped_after
        status = speaker.status()
        assert [d.id for d in status.recent_drops] == [stale.id]
        assert [q.id for q in status.queued] == [fresh.id]
        assert status.queued[0].ttl_left is not None and 25 < status.queued[0].ttl_left <= 30
        assert fresh.wait(10) and fresh.state == "done" and long_one.state == "done"
        cap.wait_played_out()
    assert heard_in_order(cap.samples, tones_of(engine, [long_text, fresh_text]))


@pytest.mark.slow
def test_replace_keeps_only_the_latest_queued_announcement(make_speaker: MakeSpeaker) -> None:
    engine = ToneEngine(seconds_per_word=0.2)
    speaker = make_speaker(engine)
    reply_text, before_text, after_text, *news = PHRASES[:6]
    with pulse.Capture() as cap:
        reply = speaker.speak(reply_text, owner="desktop")
        before = speaker.speak(before_text, mode="queue", owner="x")
        first = speaker.speak(news[0], mode="queue", owner="ci-1", replace="build")
        after = speaker.speak(after_text, mode="queue", owner="y")
        second = speaker.speak(news[1], mode="queue", owner="ci-2", replace="build")
        third = speaker.speak(news[2], mode="queue", owner="ci-1", replace="build")
        assert first.state == "dropped" and second.state == "dropped"
        assert first.reason == f"replaced by utterance {second.id} (replace key 'build')"
        assert second.reason == f"replaced by utterance {third.id} (replace key 'build')"
        # The latest takes the first one's place in line: before the speech queued after it.
        assert [q.id for q in speaker.status().queued] == [before.id, third.id, after.id]
        assert after.wait(10)
        cap.wait_played_out()
    assert [u.state for u in (reply, before, third, after)] == ["done"] * 4
    order = [reply_text, before_text, news[2], after_text]
    assert heard_in_order(cap.samples, tones_of(engine, order)), pulse.frequency_sequence(
        cap.samples
    )


@pytest.mark.slow
def test_replace_ends_a_playing_announcement_with_its_current_sentence(
    make_speaker: MakeSpeaker,
) -> None:
    # 12,004 frames a chunk: not a multiple of any callback size, so a chunk ends inside a
    # callback, which would go straight on into the next chunk if it did not stop there.
    engine = ToneEngine(seconds_per_word=0.2501, words_per_chunk=2)
    speaker = make_speaker(engine)
    old_text, new_text, newest_text = " ".join(PHRASES[:5]), PHRASES[5], PHRASES[6]
    with pulse.Capture() as cap:
        old = speaker.speak(old_text, owner="ci-1", replace="tests")
        # A fifth of the way into its second chunk (0.5 s each): a chunk is sounding.
        assert wait_until(lambda: old.seconds_played >= 0.6, 5) is not None
        new = speaker.speak(new_text, mode="queue", owner="ci-2", replace="tests")
        # While the old one ends its sentence, a newer one replaces the new one, not it again.
        newest = speaker.speak(newest_text, mode="queue", owner="ci-1", replace="tests")
        assert old.wait(2), "the old one did not end with its sentence"
        assert old.state == "stopped" and old.reason == (
            f"cut at the end of a sentence: replaced by utterance {new.id} (replace key 'tests')"
        )
        assert new.state == "dropped" and new.chunks_played == 0
        assert newest.wait(10) and newest.state == "done"
        cap.wait_played_out()
    parts = tones_of(engine, [old_text])
    whole = [
        k
        for k in range(1, len(parts))
        if heard_in_order(cap.samples, [*parts[:k], *tones_of(engine, [newest_text])])
    ]
    assert whole, "not heard as whole chunks of the old one, then the newest one"
    # The callback's own count: whole chunks of the old one and not a sample of the next.
    ends = list(itertools.accumulate(len(chunk) for chunk in chunks_of(engine, old_text)))
    assert old.token.frames_played in ends[:-1], (old.token.frames_played, ends)
    assert [drop.id for drop in speaker.status().recent_drops] == [old.id, new.id]


def test_ttl_counts_from_the_request_including_a_wait_for_the_model(
    make_speaker: MakeSpeaker,
) -> None:
    speaker = make_speaker()
    with pulse.Capture() as cap:
        late = speaker.speak(PHRASES[0], ttl=0.5, asked_at=time.monotonic() - 1.0)
        assert late.wait(2) and late.state == "dropped", late
        assert late.reason == "its time to live (0.5 s) ran out before it could start"
        in_time = speaker.speak(PHRASES[1], ttl=5, asked_at=time.monotonic() - 1.0)
        assert in_time.wait(5) and in_time.state == "done"
        cap.wait_played_out()
    assert heard_in_order(cap.samples, tones_of(ToneEngine(), [PHRASES[1]]))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"priority": "urgent"}, "priority must be 'low', 'normal' or 'high'"),
        ({"ttl": -1}, "ttl must be a number of seconds from 0.1 to 3600"),
        ({"ttl": 1e6}, "ttl must be"),
        ({"ttl": True}, "ttl must be"),
        ({"replace": " "}, "replace must be a non-empty key of at most 64 characters"),
        ({"replace": "k" * 65}, "replace must be"),
    ],
)
def test_bad_manners_are_refused_before_anything_is_queued(
    make_speaker: MakeSpeaker, options: dict[str, object], message: str
) -> None:
    speaker: Speaker = make_speaker()
    with pytest.raises(InvalidInputError, match=message):
        speaker.speak("hello", **options)  # type: ignore[arg-type]
    assert speaker.status().current is None and not speaker.status().recent_drops
