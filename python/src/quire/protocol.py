"""The daemon socket's wire format, byte for byte the same as ``src-shared/protocol``.

Every frame is ``u32 big-endian length of what follows | u8 kind | payload``. JSON frames
hold UTF-8 ``JSON.stringify`` text; a sync frame holds ``u16 room-id length | room id
(UTF-8) | Automerge sync message``. The shared vectors in ``src-shared/protocol/vectors``
pin these bytes for both languages.
"""
from __future__ import annotations

import os
import struct
from enum import IntEnum
from typing import Any, List, NamedTuple, Optional, Tuple

from . import _jsjson
from .errors import FrameError, ProtocolError

__all__ = [
    "PROTOCOL_MAGIC",
    "PROTOCOL_VERSION",
    "MAX_FRAME_BYTES",
    "MAX_JSON_FRAME_BYTES",
    "FrameKind",
    "Frame",
    "FrameDecoder",
    "encode_frame",
    "encode_json_frame",
    "decode_json_payload",
    "encode_sync_frame",
    "decode_sync_payload",
    "make_hello",
    "parse_welcome",
    "parse_protocol_error",
    "parse_response",
    "parse_broadcast",
]

PROTOCOL_MAGIC = "quire"
#: Must equal PROTOCOL_VERSION in src-shared/protocol/messages.ts.
PROTOCOL_VERSION = 1

#: Largest frame either side accepts (payload + kind byte).
MAX_FRAME_BYTES = 64 * 1024 * 1024
#: JSON frames are requests and small events; anything bigger is a bug or an attack.
MAX_JSON_FRAME_BYTES = 16 * 1024 * 1024


class FrameKind(IntEnum):
    HELLO = 1
    WELCOME = 2
    SYNC = 3
    REQUEST = 4
    RESPONSE = 5
    BROADCAST = 6
    ERROR = 7


_KINDS = frozenset(int(k) for k in FrameKind)


class Frame(NamedTuple):
    kind: int
    payload: bytes


def encode_frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">IB", len(payload) + 1, int(kind)) + bytes(payload)


def encode_json_frame(kind: int, value: Any) -> bytes:
    return encode_frame(kind, _jsjson.stringify(value).encode("utf-8", "surrogatepass"))


def decode_json_payload(frame: Frame) -> Any:
    if len(frame.payload) > MAX_JSON_FRAME_BYTES:
        raise FrameError(
            "frame-too-large", f"JSON frame of {len(frame.payload)} bytes exceeds {MAX_JSON_FRAME_BYTES}"
        )
    try:
        payload = frame.payload
        # TextDecoder('utf-8') drops one leading byte-order mark; so do we.
        if payload[:3] == b"\xef\xbb\xbf":
            payload = payload[3:]
        return _jsjson.parse(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise FrameError("bad-json", f"frame kind {frame.kind} does not hold valid UTF-8 JSON: {err}") from None


def encode_sync_frame(room_id: str, message: bytes) -> bytes:
    rid = room_id.encode("utf-8")
    if not 0 < len(rid) <= 0xFFFF:
        raise FrameError("bad-sync-frame", "room id must be 1..65535 bytes")
    return encode_frame(FrameKind.SYNC, struct.pack(">H", len(rid)) + rid + bytes(message))


def decode_sync_payload(payload: bytes) -> Tuple[str, bytes]:
    if len(payload) < 2:
        raise FrameError("bad-sync-frame", "sync frame shorter than its room-id length")
    (n,) = struct.unpack_from(">H", payload)
    if n == 0 or len(payload) < 2 + n:
        raise FrameError("bad-sync-frame", f"sync frame room id length {n} does not fit in {len(payload)} bytes")
    try:
        room_id = bytes(payload[2 : 2 + n]).decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("bad-sync-frame", "sync frame room id is not UTF-8") from None
    return room_id, bytes(payload[2 + n :])


class FrameDecoder:
    """Incremental decoder: push what the socket delivered, get whole frames back.

    Raises FrameError on a zero or over-cap length prefix or an unknown kind, as soon as
    the header shows it (the caller closes the connection).
    """

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_frame_bytes

    def push(self, chunk: bytes) -> List[Frame]:
        self._buf += chunk
        frames: List[Frame] = []
        while len(self._buf) >= 4:
            (length,) = struct.unpack_from(">I", self._buf)
            if length == 0:
                raise FrameError("empty-frame", "frame length 0 (a frame holds at least its kind byte)")
            if length > self._max:
                raise FrameError("frame-too-large", f"frame of {length} bytes exceeds the {self._max}-byte cap")
            if len(self._buf) >= 5 and self._buf[4] not in _KINDS:
                raise FrameError("bad-kind", f"unknown frame kind {self._buf[4]}")
            if len(self._buf) < 4 + length:
                break
            frames.append(Frame(self._buf[4], bytes(self._buf[5 : 4 + length])))
            del self._buf[: 4 + length]
        return frames

    @property
    def pending_bytes(self) -> int:
        """Bytes held for a frame that has not fully arrived."""
        return len(self._buf)


# ---------------------------------------------------------------------------------------
# Handshake and JSON messages (the shapes of src-shared/protocol/messages.ts)


def make_hello(token: str, client_name: str, pid: Optional[int] = None) -> dict[str, Any]:
    """The hello a client sends first; key order matches the TypeScript SDK's."""
    return {
        "magic": PROTOCOL_MAGIC,
        "protocol": PROTOCOL_VERSION,
        "token": token,
        "client": {"name": client_name, "pid": os.getpid() if pid is None else pid},
    }


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())


def _bad(what: str, value: Any) -> ProtocolError:
    text = _jsjson.stringify(value) if _safe(value) else repr(value)
    return ProtocolError(f"the daemon sent a malformed {what}: {text[:200]}")


def _safe(value: Any) -> bool:
    try:
        _jsjson.stringify(value)
        return True
    except (TypeError, ValueError):
        return False


def parse_welcome(value: Any) -> dict[str, Any]:
    """Validates a Welcome (WelcomeSchema); raises ProtocolError."""
    ok = (
        isinstance(value, dict)
        and _is_int(value.get("protocol"))
        and isinstance(value.get("daemon"), dict)
        and isinstance(value["daemon"].get("version"), str)
        and _is_int(value["daemon"].get("pid"))
        and isinstance(value.get("connectionId"), str)
    )
    if not ok:
        raise _bad("welcome", value)
    welcome: dict[str, Any] = value
    return welcome


def parse_protocol_error(value: Any) -> Optional[dict[str, str]]:
    """A ProtocolError frame's ``{code, message}``, or None when malformed."""
    if isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("message"), str):
        return value
    return None


def parse_response(value: Any) -> dict[str, Any]:
    """Validates a Response (ResponseSchema); raises ProtocolError."""
    if isinstance(value, dict) and _is_int(value.get("id")):
        response: dict[str, Any] = value
        if value.get("ok") is True and "result" in value:
            return response
        if value.get("ok") is False and parse_protocol_error(value.get("error")) is not None:
            return response
    raise _bad("response", value)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _room_id_ok(v: Any) -> bool:
    # z.string().min(1).max(200): lengths in UTF-16 code units, as JavaScript counts them.
    return isinstance(v, str) and 1 <= len(v.encode("utf-16-le", "surrogatepass")) // 2 <= 200


def parse_broadcast(value: Any) -> Optional[dict[str, Any]]:
    """A known, well-formed Broadcast, or None (an event this client does not know: newer daemon)."""
    if not isinstance(value, dict) or not _room_id_ok(value.get("roomId")):
        return None
    event = value.get("event")
    if event == "kernel-status":
        ok = isinstance(value.get("status"), str) and isinstance(value.get("reason", ""), str)
    elif event == "custom":
        ok = isinstance(value.get("commId"), str) and isinstance(value.get("content"), dict) and _str_list(value.get("buffers"))
    elif event == "execute-output":
        ok = _is_int(value.get("requestId")) and isinstance(value.get("output"), dict)
    elif event == "input-request":
        # Only sent to a client that asked for stdin, which this client never does yet.
        ok = (
            _is_int(value.get("requestId"))
            and (value.get("cellId") is None or isinstance(value.get("cellId"), str))
            and "cellId" in value
            and isinstance(value.get("prompt"), str)
            and isinstance(value.get("password"), bool)
        )
    else:
        ok = False
    return value if ok else None
