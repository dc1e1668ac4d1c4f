"""The output stream and the one long-lived thread that owns it.

The audio thread opens the stream once and keeps it open; it alone starts, stops, closes and
reopens it (CoreAudio ignores stream calls from short-lived threads). It also watches the
stream: a `finished_callback` (the sound server died) or a callback that stopped running (a
frozen device) makes it discard the stream and reopen with backoff. Where the platform keeps
a stream on the device it was opened on (macOS), it also watches the system's default output
and moves there when it changes (see default_output.py). Nothing the rest of the program
calls here ever waits on PortAudio.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

from kokoro_mcp.audio import devices
from kokoro_mcp.audio.buffer import AudioBuffer
from kokoro_mcp.audio.default_output import DefaultOutputProbe, system_probe
from kokoro_mcp.limits import DEFAULT_AUDIO_LATENCY

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
# No callback for this long = the device froze. A server that dies is seen sooner, by the
# finished callback; on a 2-core box loaded by other work, callbacks were seen to pause for up
# to ~0.6 s and then carry on, and reopening the stream then only made the gap longer.
WATCHDOG_SECONDS = 2.0
FIRST_RETRY_SECONDS = 0.25
MAX_RETRY_SECONDS = 4.0
CLOSE_TIMEOUT_SECONDS = 1.0
DEFAULT_CHECK_SECONDS = 1.0  # how often to ask whether the system's default output changed
PLAY_OUT_MARGIN_SECONDS = 0.03  # beyond the stream's latency, before closing it to move

_CLOSE = "close"
_CHECK = "check"


@dataclass(frozen=True)
class AudioStatus:
    """What the audio output is doing, for people: `problem` says why there is no sound and
    `hint` what to do."""

    device: str | None
    ok: bool
    problem: str | None
    hint: str | None
    reconnects: int
    underruns: int = 0  # times an utterance ran out of synthesized audio while playing
    xruns: int = 0  # output underflows the device reported
    latency: float | None = None  # seconds of output latency PortAudio reports


class Player:
    """Plays whatever `buffer` holds through one callback-driven OutputStream."""

    def __init__(
        self,
        buffer: AudioBuffer,
        *,
        device: str | int | None = None,
        latency: float | str = DEFAULT_AUDIO_LATENCY,
        blocksize: int = 0,
        watchdog: float = WATCHDOG_SECONDS,
        default_probe: DefaultOutputProbe | Literal["system"] | None = "system",
    ) -> None:
        """`default_probe` tells the system's default output apart: "system" picks the one
        this platform needs (none where the default is followed already); it is only used
        while `device` is None."""
        self.buffer = buffer
        self.device = device
        self.latency = latency
        self.blocksize = blocksize
        self.watchdog = watchdog
        self._commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards the status fields below
        self._device_name: str | None = None
        self._problem: str | None = None  # None and not running: still opening
        self._hint: str | None = None
        self._reconnects = 0
        self._stream_latency: float | None = None
        self._running = threading.Event()
        self._finished = threading.Event()  # set by PortAudio when the stream ended by itself
        self._closed = threading.Event()
        self._xruns = 0
        self._callback_errors = 0
        # owned by the audio thread:
        self._stream: Any = None
        self._stuck_closer: threading.Thread | None = None
        self._had_stream = False
        # Resolved here, once: the CoreAudio probe is a cheap ctypes handle, not a device call.
        self._default_probe = system_probe() if default_probe == "system" else default_probe
        self._default_seen: Hashable | None = None  # the default when the stream was opened
        self._default_checked_at = 0.0

    # -- API for other threads ----------------------------------------------------------------

    def start(self) -> None:
        """Start the audio thread; it opens the stream in the background."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="kokoro-audio", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 2.0) -> None:
        """Silence at once, close the stream on the audio thread, wait at most `timeout`."""
        self.buffer.paused = True
        self._closed.set()
        self._commands.put(_CLOSE)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("audio thread did not finish within %.1f s; leaving it", timeout)

    def wait_running(self, timeout: float) -> bool:
        """True once the stream is running (False if not within `timeout`)."""
        return self._running.wait(timeout)

    def status(self) -> AudioStatus:
        with self._lock:
            return AudioStatus(
                device=self._device_name,
                ok=self._running.is_set() and self._problem is None,
                problem=self._problem,
                hint=self._hint,
                reconnects=self._reconnects,
                underruns=self.buffer.underruns,
                xruns=self._xruns,
                latency=self._stream_latency,
            )

    # -- PortAudio callbacks --------------------------------------------------------------------

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        try:
            if status and status.output_underflow:
                self._xruns += 1
            self.buffer.fill(outdata[:, 0])
        except Exception:  # raising here would abort the stream
            self._callback_errors += 1
            outdata.fill(0)

    def _on_finished(self) -> None:
        self._finished.set()
        self._commands.put(_CHECK)

    # -- the audio thread -----------------------------------------------------------------------

    def _run(self) -> None:
        retry_at = 0.0
        delay = FIRST_RETRY_SECONDS
        rescan = False  # PortAudio must re-scan devices after a failure or a lost server
        lost = ""  # why a working stream went away, until a new one runs
        while True:
            try:
                command = self._commands.get(timeout=POLL_SECONDS)
            except queue.Empty:
                command = _CHECK
            if command == _CLOSE or self._closed.is_set():
                self._discard_stream()
                self._set_problem("audio output is closed", None)
                return
            if self._stream is not None:
                reason = self._stream_trouble()
                if reason is None and not self._default_moved():
                    continue
                if reason is None:  # healthy, but no longer the default: move there
                    self._play_out_and_discard()
                    rescan = True  # PortAudio's device list still names the old default
                    retry_at = 0.0
                else:
                    logger.warning("audio output lost: %s", reason)
                    lost = f"audio output lost ({reason}); reconnecting"
                    self._set_problem(
                        lost,
                        "Check that the sound server is running and the device is connected;"
                        " speech continues once it is back.",
                    )
                    self._discard_stream(lost=True)  # a frozen device is slow: report first
                    rescan = True
                    retry_at = time.monotonic() + FIRST_RETRY_SECONDS
                    delay = FIRST_RETRY_SECONDS
            if self._stream is None and time.monotonic() >= retry_at:
                if self._closed.is_set():
                    continue  # close() came while the stream was being discarded
                if self._stuck_closer is not None and self._stuck_closer.is_alive():
                    continue  # re-scanning now would tear PortAudio down under that close
                self._stuck_closer = None
                try:
                    self._open_rescanning_once(rescan)
                    lost = ""
                    rescan = False
                    delay = FIRST_RETRY_SECONDS
                except devices.DeviceUnavailable as exc:
                    self._set_problem(f"{lost}: {exc.problem}" if lost else exc.problem, exc.hint)
                    logger.info("no audio output yet: %s (retrying in %.1f s)", exc.problem, delay)
                    rescan = True
                    retry_at = time.monotonic() + delay
                    delay = min(delay * 2, MAX_RETRY_SECONDS)
                except Exception as exc:  # keep the thread alive, report it
                    logger.exception("unexpected error opening audio output")
                    self._set_problem(f"could not open the audio output ({exc})", None)
                    rescan = True
                    retry_at = time.monotonic() + delay
                    delay = min(delay * 2, MAX_RETRY_SECONDS)

    def _stream_trouble(self) -> str | None:
        if self._finished.is_set():
            return "the sound server or device went away"
        try:
            active = bool(self._stream.active)
        except Exception:  # a dead stream may fail to answer
            active = False
        if not active:
            return "the stream stopped"
        silent_for = time.monotonic() - self.buffer.last_fill_at
        if silent_for > self.watchdog:
            return f"the device stopped asking for audio ({silent_for:.1f} s without a callback)"
        return None

    def _default_moved(self) -> bool:
        """True when the system's default output is no longer the one the stream was opened
        on (checked at most every DEFAULT_CHECK_SECONDS; never for a chosen device)."""
        now = time.monotonic()
        if self.device is not None or now - self._default_checked_at < DEFAULT_CHECK_SECONDS:
            return False
        self._default_checked_at = now
        current = self._read_default()
        if current is None:
            return False
        if self._default_seen is None:  # unknown when the stream opened: this is the default
            self._default_seen = current
            return False
        if current == self._default_seen:
            return False
        logger.info("default output changed (%r -> %r): moving there", self._default_seen, current)
        return True

    def _read_default(self) -> Hashable | None:
        probe = self._default_probe
        if probe is None:
            return None
        try:
            return probe()
        except Exception as exc:  # a probe that fails says nothing about the stream
            logger.debug("reading the default output failed: %s", exc)
            return None

    def _open_rescanning_once(self, rescan: bool) -> None:
        """Open; if that fails on PortAudio's cached device list, re-scan and try once more
        (the list is from when PortAudio started and may name a device that is gone)."""
        try:
            self._open(rescan)
        except devices.DeviceUnavailable:
            if rescan:
                raise
            self._open(True)

    def _open(self, rescan: bool) -> None:
        if rescan:
            devices.reinitialize()
        name = devices.describe_output(self.device)
        self._finished.clear()
        stream = devices.open_output_stream(
            self.device,
            sample_rate=self.buffer.sample_rate,
            latency=self.latency,
            blocksize=self.blocksize,
            callback=self._callback,
            finished_callback=self._on_finished,
        )
        self.buffer.last_fill_at = time.monotonic()
        try:
            stream.start()
        except Exception as exc:
            stream.close(ignore_errors=True)
            raise devices.DeviceUnavailable(
                f"could not start the audio output on {name} ({exc})", devices.NO_DEVICE_HINT
            ) from exc
        self._stream = stream
        self._default_seen = self._read_default()
        self._default_checked_at = time.monotonic()
        with self._lock:
            if self._had_stream:
                self._reconnects += 1
            self._had_stream = True
            self._device_name = name
            self._problem = None
            self._hint = None
            self._stream_latency = float(stream.latency)
        self._running.set()
        logger.info("audio output open: %s, latency %.0f ms", name, stream.latency * 1000)

    def _play_out_and_discard(self) -> None:
        """Close a healthy stream without dropping the audio its device already holds (about a
        latency's worth): hold the buffer, let the device play, then close. PortAudio's own
        draining stop was measured to drop it on ALSA (docs/design.md)."""
        self.buffer.held = True
        try:
            latency = float(self._stream.latency) if self._stream is not None else 0.0
            time.sleep(min(latency, 1.0) + PLAY_OUT_MARGIN_SECONDS)
            self._discard_stream()
        finally:
            self.buffer.held = False  # no callback runs until the next stream starts

    def _discard_stream(self, *, lost: bool = False) -> None:
        """Stop and close the stream. A healthy one is closed right here, on the audio thread
        (CoreAudio ignores stream calls from short-lived threads); a lost one from a helper
        thread with a timeout, because a frozen server blocks those calls."""
        stream, self._stream = self._stream, None
        self._running.clear()
        if stream is None:
            return
        if not lost:
            try:
                stream.abort(ignore_errors=True)  # silence now, don't drain
                stream.close(ignore_errors=True)
            except Exception as exc:
                logger.debug("closing audio stream: %s", exc)
            return

        def close() -> None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception as exc:  # it is going away either way
                logger.debug("closing audio stream: %s", exc)

        closer = threading.Thread(target=close, name="kokoro-audio-close", daemon=True)
        closer.start()
        closer.join(CLOSE_TIMEOUT_SECONDS)
        if closer.is_alive():
            logger.warning("audio device did not close within %.1f s", CLOSE_TIMEOUT_SECONDS)
            self._stuck_closer = closer

    def _set_problem(self, problem: str, hint: str | None) -> None:
        with self._lock:
            self._problem = problem
            self._hint = hint
