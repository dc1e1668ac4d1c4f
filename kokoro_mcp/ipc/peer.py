"""Who is on the other end of a Unix socket: the peer's uid, where the OS can tell."""

from __future__ import annotations

import socket
import struct
import sys

# macOS: getsockopt(SOL_LOCAL, LOCAL_PEERCRED) gives a struct xucred
# {u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]}.
_SOL_LOCAL = 0
_LOCAL_PEERCRED = 0x001
_XUCRED_SIZE = 4 + 4 + 2 + 2 + 16 * 4


def peer_uid(sock: socket.socket) -> int | None:
    """The connected peer's user id, or None where the platform does not say."""
    try:
        if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", raw)
            return int(uid)
        if sys.platform == "darwin":
            raw = sock.getsockopt(_SOL_LOCAL, _LOCAL_PEERCRED, _XUCRED_SIZE)
            return int(struct.unpack_from("I", raw, 4)[0])
    except OSError:
        return None
    return None
