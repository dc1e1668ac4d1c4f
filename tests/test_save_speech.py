"""save_speech: speech into a WAV in the configured folder, never outside it, while live speech
plays on undisturbed.

The real model through a real MCP client and the shared daemon (the file says the words, lasts
as long as the engine's own audio, and comes back as a resource link); path escapes refused
through the daemon with the tone engine; live playback recorded at the null sink while a file
renders on the same engine (in-process, the tone engine with a simulated inference time so that
a policy that let the file take the engine's turns would starve what plays).
"""

from __future__ import annotations

import os
import wave
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from mcp import Client

from kokoro_mcp.config import Settings
from kokoro_mcp.engine.tone import ToneEngine
from kokoro_mcp.errors import InvalidInputError
from kokoro_mcp.server.backends import LocalBackend
from kokoro_mcp.server.sdk_front import build_server
from kokoro_mcp.speech_files import check_file_name, default_output_dir
from tests import asr, pulse
from tests.mcp_helpers import (
    NO_DAEMON,
    TONE,
    assert_plain_error,
    connect,
    error_text,
    structured,
)

pytest_plugins = ["tests.model_fixtures"]

SAID = "The parcel arrived on Tuesday morning. Please sign the delivery form by Friday."


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32767.0, rate


# -- names and the folder (no model) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../x.wav", "has a folder part"),
        ("/etc/x.wav", "has a folder part"),
        ("sub/x.wav", "has a folder part"),
        ("..\\x.wav", "has a folder part"),
        ("..", "starts with a dot"),
        (".hidden.wav", "starts with a dot"),
        ("", "file_name is empty"),
        ("x\n.wav", "control characters"),
        ("c:x.wav", "contains ':'"),
        ("song.mp3", "asks for .mp3 audio; only WAV is written"),
    ],
)
def test_file_names_that_could_leave_the_folder_are_refused(name: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_file_name(name)
    assert says in str(caught.value)
    assert "summary.wav" in str(caught.value)  # says what to pass instead
    assert_plain_error(str(caught.value))


def test_plain_names_get_wav_and_omitted_names_a_timestamp() -> None:
    assert check_file_name("summary") == "summary.wav"
    assert check_file_name("Weekly notes 3.WAV") == "Weekly notes 3.WAV"
    assert check_file_name("v1.2 notes") == "v1.2 notes.wav"
    generated = check_file_name(None)
    assert generated.startswith("speech-") and generated.endswith(".wav")


def test_default_folder_is_in_music_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_MUSIC_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_output_dir() == tmp_path / "data" / "kokoro-mcp" / "speech"
    (tmp_path / "Music").mkdir()
    assert default_output_dir() == tmp_path / "Music" / "kokoro-mcp"
    (tmp_path / "config").mkdir()
    (tmp_path / "Musik").mkdir()
    (tmp_path / "config" / "user-dirs.dirs").write_text('XDG_MUSIC_DIR="$HOME/Musik"\n')
    assert default_output_dir() == tmp_path / "Musik" / "kokoro-mcp"


# -- the real model through MCP and the daemon -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_save_speech_writes_what_the_engine_says(tmp_path: Path, onnx_engine: Any) -> None:
    folder = tmp_path / "speech"  # created on first use

    async def run() -> tuple[dict[str, Any], list[Any]]:
        async with connect({"KOKORO_MCP_OUTPUT_DIR": str(folder)}, read_timeout=180) as session:
            result = await session.call_tool(
                "save_speech", {"text": SAID, "file_name": "parcel", "voice": "af_heart"}
            )
            return structured(result), list(result.content)

    saved, content = anyio.run(run)
    path = folder / "parcel.wav"
    assert saved["path"] == str(path) and saved["file_name"] == "parcel.wav"
    assert saved["uri"] == path.as_uri() and saved["overwritten"] is False
    assert (saved["characters"], saved["voice"], saved["speed"]) == (len(SAID), "af_heart", 1.0)
    assert saved["bytes"] == path.stat().st_size
    # The text mirrors the result; then a resource link the client can open.
    kinds = [block.type for block in content]
    assert kinds == ["text", "resource_link"]
    link = content[1]
    assert str(link.uri) == path.as_uri() and link.mime_type == "audio/wav"
    assert link.name == "parcel.wav" and link.size == saved["bytes"]

    samples, rate = _read_wav(path)
    assert rate == 24_000
    assert saved["duration"] == pytest.approx(len(samples) / rate, abs=0.001)
    onnx_engine.clear_cache()
    own = sum(chunk.samples.size for chunk in onnx_engine.stream(SAID, "af_heart"))
    assert abs(len(samples) - own) / rate < 0.05, (len(samples), own)
    heard = asr.transcribe(samples, rate)
    assert asr.word_error_rate(SAID, heard) <= 0.15, heard
    assert [p.name for p in folder.iterdir()] == ["parcel.wav"]  # no temporary file left


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_both_mcp_fronts_return_the_file_as_a_resource_link(tmp_path: Path) -> None:
    """The proxy's own front (with the daemon) and the SDK's (--no-daemon) answer alike."""

    async def save(extra: dict[str, str], name: str) -> list[dict[str, Any]]:
        env = {**TONE, "KOKORO_MCP_OUTPUT_DIR": str(tmp_path), **extra}
        async with connect(env) as session:
            result = await session.call_tool("save_speech", {"text": "Kept.", "file_name": name})
            assert not result.is_error, error_text(result)
            return [
                block.model_dump(mode="json", by_alias=True, exclude_none=True)
                for block in result.content
            ]

    proxy = anyio.run(save, {}, "proxy")
    sdk = anyio.run(save, NO_DAEMON, "sdk")
    for content, name in ((proxy, "proxy.wav"), (sdk, "sdk.wav")):
        assert [block["type"] for block in content] == ["text", "resource_link"]
        link = content[1]
        assert link["uri"] == (tmp_path / name).as_uri() and link["name"] == name
        assert link["mimeType"] == "audio/wav" and link["size"] == (tmp_path / name).stat().st_size
    assert set(proxy[1]) == set(sdk[1])  # the same fields from either front


# -- escapes, through the daemon (tone engine) -----------------------------------------------------


@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_paths_out_of_the_folder_and_existing_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "escape.wav").symlink_to(outside / "target.wav")  # dangling, pointing out
    (folder / "loop.wav").symlink_to(folder / "kept.wav")  # even a link back inside
    (folder / "kept.wav").write_bytes(b"precious")
    (folder / "sub").mkdir()

    async def run() -> None:
        env = {**TONE, "KOKORO_MCP_OUTPUT_DIR": str(folder)}
        async with connect(env) as session:

            async def refused(name: Any, says: str, **more: Any) -> None:
                result = await session.call_tool(
                    "save_speech", {"text": "Nothing to keep.", "file_name": name, **more}
                )
                assert result.is_error, name
                assert says in error_text(result), error_text(result)
                assert_plain_error(error_text(result))

            await refused("../x.wav", "has a folder part")
            await refused("/etc/x.wav", "has a folder part")
            await refused(str(outside / "x.wav"), "has a folder part")
            await refused("escape.wav", "is a symbolic link", overwrite=True)
            await refused("loop.wav", "is a symbolic link", overwrite=True)
            await refused("sub", "it is a folder", overwrite=True)  # sub.wav? no: "sub" + .wav
            await refused("kept.wav", "already exists", overwrite=False)
            await refused("kept", "already exists")
            await refused("x.wav", "overwrite must be true or false", overwrite="yes")
            replaced = structured(
                await session.call_tool(
                    "save_speech",
                    {"text": "Replaced on purpose.", "file_name": "kept.wav", "overwrite": True},
                )
            )
            assert replaced["overwritten"] is True and replaced["duration"] > 0.3

    (folder / "sub.wav").mkdir()  # so that "sub" (sub.wav) names a folder
    anyio.run(run)
    assert not (outside / "target.wav").exists() and list(outside.iterdir()) == []
    assert (folder / "escape.wav").is_symlink() and (folder / "loop.wav").is_symlink()
    assert (folder / "kept.wav").read_bytes()[:4] == b"RIFF"  # replaced only with overwrite
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == []


# -- live speech is not disturbed (in-process, timed tone engine) --------------------------------

# Each chunk is a sentence of 8 words x 0.25 s = 2 s of sound that takes 1.2 s to "synthesize":
# live speech alone gains 0.8 s on playback per chunk, but had the file's chunks (1.2 s each)
# taken turns with it, every 2 s of sound would need 2.4 s of engine time and playback would
# run dry. The policy has to hold the file back until enough is buffered.
SECONDS_PER_WORD = 0.25
INFERENCE_SECONDS = 1.2
# Turn-taking would leave a 0.4 s gap before every chunk from the second on: six chunks show it.
LIVE_SENTENCES = 6  # 12 s of sound
FILE_SENTENCES = 5


def _sentences(word: str, count: int) -> str:
    return " ".join(
        " ".join(f"{word}{8 * index + n}" for n in range(8)) + "." for index in range(count)
    )


def _tone_server(folder: Path) -> Any:
    settings = Settings(engine="tone", daemon=False, output_dir=folder)
    engine = ToneEngine(
        seconds_per_word=SECONDS_PER_WORD,
        latency=INFERENCE_SECONDS,
        words_per_chunk=8,
        frequency=440.0,
    )
    return build_server(settings, LocalBackend(settings, engine_factory=lambda _: engine))


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
@pytest.mark.parametrize("file_first", [False, True], ids=["speech-first", "file-first"])
def test_rendering_a_file_does_not_interrupt_what_is_playing(
    tmp_path: Path, file_first: bool
) -> None:
    live = _sentences("word", LIVE_SENTENCES)
    recorded = _sentences("file", FILE_SENTENCES)

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        async with Client(_tone_server(tmp_path)) as client:
            outcome: dict[str, Any] = {}

            async def speak() -> None:
                result = await client.call_tool("speak", {"text": live, "wait": True})
                outcome["speak"] = structured(result)

            async def save() -> None:
                result = await client.call_tool(
                    "save_speech", {"text": recorded, "file_name": "beside.wav"}
                )
                outcome["save"] = structured(result)

            async with anyio.create_task_group() as group:
                group.start_soon(save if file_first else speak)
                # Speech first: it has started and holds the engine. File first: the file
                # renders at full speed (nothing plays) when the speech arrives.
                await anyio.sleep(2.5 if file_first else 0.5)
                group.start_soon(speak if file_first else save)
            return outcome["speak"], outcome["save"]

    with pulse.Capture() as capture:
        spoken, saved = anyio.run(run)
        capture.wait_played_out(timeout=10.0)
        samples = capture.samples
    assert spoken["state"] == "finished" and spoken["chunks_played"] == spoken["chunks"]
    # Arriving during a file, speech waits for at most the one piece being rendered.
    assert spoken["time_to_first_audio"] < 2 * INFERENCE_SECONDS + 1.0
    assert saved["duration"] == pytest.approx(FILE_SENTENCES * 8 * SECONDS_PER_WORD, abs=0.01)
    assert os.path.getsize(saved["path"]) == saved["bytes"]
    runs = pulse.sound_runs(samples, min_gap=0.02)
    assert runs, "nothing was heard"
    start, end = runs[0][0], runs[-1][1]
    heard = (end - start) / pulse.SAMPLE_RATE
    gaps = pulse.silent_gaps(samples, start, end, min_gap=0.02)
    gap_seconds = sum(stop - begin for begin, stop in gaps) / pulse.SAMPLE_RATE
    # 12 s of sound in one piece: no dropout beyond what a loaded machine's audio device
    # shows without any file being made (a few short underruns).
    expected = LIVE_SENTENCES * 8 * SECONDS_PER_WORD
    assert gap_seconds < 0.3 and heard == pytest.approx(expected, abs=0.4), (gaps, heard)


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.usefixtures("audio_server")
def test_a_cancelled_save_leaves_no_file(tmp_path: Path) -> None:
    """Cancelling the request stops the render at its next piece and discards the file."""
    settings = Settings(engine="tone", daemon=False, output_dir=tmp_path)
    engine = ToneEngine(seconds_per_word=0.1, latency=0.3, words_per_chunk=8)
    backend = LocalBackend(settings, engine_factory=lambda _: engine)

    async def run() -> None:
        async with Client(build_server(settings, backend)) as client:
            with anyio.move_on_after(2.0) as scope:  # ~6 of its 30 pieces rendered
                await client.call_tool(
                    "save_speech", {"text": _sentences("cut", 30), "file_name": "cut"}
                )
            assert scope.cancelled_caught, "the render finished before it was cancelled"
            await anyio.sleep(1.0)  # the render thread reaches its next piece and stops
            assert 0 < engine.gate.background_turns < 30  # under way, then stopped

    anyio.run(run)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary file
