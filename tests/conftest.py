"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pulse
from tests.daemon_helpers import DaemonHome

# Before anything imports sounddevice: all playback in tests goes to the private PulseAudio
# server (null sinks we can record), never to a real sound card.
pulse.use_private_server()


@pytest.fixture(scope="session", autouse=True)
def private_daemon_home() -> Iterator[DaemonHome]:
    """No test talks to the user's own speech daemon: anything that starts one without a home
    of its own (a CLI `say`, the Inspector, doctor) gets this session's, stopped at the end."""
    with DaemonHome() as home:
        saved = {name: os.environ.get(name) for name in home.env()}
        os.environ.update(home.env())
        try:
            yield home
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[None]:
    """The private PulseAudio server runs (started here unless scripts/pulse.sh already did);
    stopped at the end only if this session started it."""
    was_running = pulse.server_answers()
    pulse.start_server()
    yield
    if not was_running:
        pulse.stop_server()


@pytest.fixture
def audio_server(pulse_server: None) -> Iterator[None]:
    """The server answers and tts_sink is the default, before and after the test (fault tests
    kill, freeze and re-route it; the next test still gets a working server)."""
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)
    yield
    pulse.resume_server()
    pulse.start_server()
    pulse.set_default_sink(pulse.SINK)


@pytest.fixture(scope="session")
def mlx_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session copy of the ONNX install (symlinks) with its mlx/ conversion, made once.

    Needs the `model_dir` fixture: modules using it declare
    `pytest_plugins = ["tests.model_fixtures"]`.
    """
    from kokoro_mcp.model.mlx_convert import install_mlx_weights

    root = tmp_path_factory.mktemp("mlx-install")
    for name in ("manifest.json", "config.json", "kokoro-v1.0.int8.onnx", "voices", "spacy"):
        if (model_dir / name).exists():
            (root / name).symlink_to(model_dir / name)
    install_mlx_weights(root)
    return root
