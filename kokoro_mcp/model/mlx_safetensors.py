"""A minimal, deterministic safetensors writer and header reader (float32 only).

The format is an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
shape and byte range, then the raw data. Writing it ourselves keeps conversion byte-for-byte
reproducible (sorted names, fixed metadata) and free of extra dependencies.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from kokoro_mcp.errors import ModelError

_ALIGN = 8
_DTYPES = {np.dtype(np.float32): "F32"}


def write_safetensors(
    path: Path,
    tensors: Mapping[str, npt.NDArray[Any]],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write `tensors` (sorted by name, little-endian float32) to `path`."""
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    offset = 0
    arrays: list[npt.NDArray[Any]] = []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        if array.dtype not in _DTYPES:
            raise ValueError(f"{name}: only float32 tensors are written, got {array.dtype}")
        array = array.astype("<f4", copy=False)
        header[name] = {
            "dtype": _DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
        arrays.append(array)
    encoded = json.dumps(header, separators=(",", ":"), sort_keys=False).encode()
    encoded += b" " * (-len(encoded) % _ALIGN)
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for array in arrays:
            handle.write(array.tobytes())
        handle.flush()


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header: {name: {"dtype", "shape", "data_offsets"}, "__metadata__": ...}."""
    try:
        with path.open("rb") as handle:
            return _read_header(handle, path)
    except OSError as error:
        raise ModelError(f"cannot read {path} ({error})") from error


def _read_header(handle: BinaryIO, path: Path) -> dict[str, Any]:
    raw = handle.read(8)
    if len(raw) != 8:
        raise ModelError(f"{path} is not a safetensors file (shorter than 8 bytes)")
    (length,) = struct.unpack("<Q", raw)
    if length > 100_000_000:
        raise ModelError(f"{path} is not a safetensors file (header length {length})")
    try:
        header = json.loads(handle.read(length))
    except ValueError as error:
        raise ModelError(f"{path} has an unreadable safetensors header ({error})") from error
    if not isinstance(header, dict):
        raise ModelError(f"{path} has an unreadable safetensors header")
    result: dict[str, Any] = header
    return result
