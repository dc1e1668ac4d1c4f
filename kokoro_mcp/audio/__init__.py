"""Playback: a lock-free FIFO of audio chunks and the player that drains it into one stream."""

from kokoro_mcp.audio.buffer import AudioBuffer, BufferedChunk, PlaybackToken
from kokoro_mcp.audio.devices import DeviceUnavailable
from kokoro_mcp.audio.keepalive import KEEP_ALIVE_DBFS, KEEP_ALIVE_HZ, KeepAliveTone
from kokoro_mcp.audio.player import AudioStatus, Player

__all__ = [
    "KEEP_ALIVE_DBFS",
    "KEEP_ALIVE_HZ",
    "AudioBuffer",
    "AudioStatus",
    "BufferedChunk",
    "DeviceUnavailable",
    "KeepAliveTone",
    "PlaybackToken",
    "Player",
]
