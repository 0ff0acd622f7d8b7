"""
HDLC framing as used by DLMS (IEC 62056-46): ``7E format dest src control [HCS] info FCS 7E``.

The format field is ``0xA0`` (type 3) with the segmentation bit 0x08 and an 11-bit length
(the frame without its flags). Addresses are 1, 2 or 4 bytes, each byte's low bit marking
the last one. HCS (over format..control) and FCS (over format..info) are CRC-16/X.25,
sent low byte first. The first segment of a message starts with the LLC header
``E6 E7 00`` (``E6 E6 00`` for commands), dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import HdlcError

FLAG: Final = 0x7E
FORMAT_TYPE3: Final = 0xA0
SEGMENTED: Final = 0x08
LLC_HEADERS: Final = (b"\xe6\xe7\x00", b"\xe6\xe6\x00")
UI_CONTROL: Final = 0x13  # unnumbered information, final bit set
MAX_MESSAGE: Final = 65536


def _crc_byte(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0x8408 if value & 1 else value >> 1
    return value


_CRC_TABLE: Final = tuple(_crc_byte(value) for value in range(256))
"""CRC-16/X.25 of every byte value: one lookup per byte instead of eight shifts."""


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25 (reflected 0x1021, init and xorout 0xFFFF)."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


@dataclass(frozen=True, slots=True)
class HdlcFrame:
    """One HDLC frame."""

    destination: int
    source: int
    control: int
    info: bytes
    segmented: bool = False


def _address(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = 0
    for count in range(4):
        if pos + count >= end:
            break
        byte = data[pos + count]
        value = (value << 7) | (byte >> 1)
        if byte & 1:
            if count == 2:
                break  # 3-byte addresses do not exist
            return value, pos + count + 1
    msg = "invalid HDLC address"
    raise HdlcError(msg)


def encode_address(value: int, size: int = 1) -> bytes:
    """Encode an address on 1, 2 or 4 bytes."""
    if size not in (1, 2, 4) or value >= 1 << (7 * size):
        msg = f"cannot encode HDLC address {value} on {size} bytes"
        raise HdlcError(msg)
    parts = [(value >> (7 * i)) & 0x7F for i in reversed(range(size))]
    return bytes(p << 1 for p in parts[:-1]) + bytes(((parts[-1] << 1) | 1,))


def decode_frame(frame: bytes) -> HdlcFrame:
    """Decode one frame, flags included. Raises :class:`HdlcError`."""
    if len(frame) < 9 or frame[0] != FLAG or frame[-1] != FLAG:
        msg = "HDLC frame must start and end with 0x7E"
        raise HdlcError(msg)
    body = frame[1:-1]
    if body[0] & 0xF0 != FORMAT_TYPE3:
        msg = f"unsupported HDLC format {body[0]:#04x}"
        raise HdlcError(msg)
    length = ((body[0] & 0x07) << 8) | body[1]
    if length != len(body):
        msg = f"HDLC length {length} does not match {len(body)}"
        raise HdlcError(msg)
    if crc16_x25(body[:-2]) != int.from_bytes(body[-2:], "little"):
        msg = "HDLC FCS mismatch"
        raise HdlcError(msg)
    destination, pos = _address(body, 2, len(body) - 2)
    source, pos = _address(body, pos, len(body) - 2)
    if pos >= len(body) - 2:
        msg = "HDLC frame without control field"
        raise HdlcError(msg)
    control = body[pos]
    pos += 1
    info = b""
    if pos < len(body) - 2:
        if pos + 2 > len(body) - 2 or crc16_x25(body[:pos]) != int.from_bytes(
            body[pos : pos + 2], "little"
        ):
            msg = "HDLC HCS mismatch"
            raise HdlcError(msg)
        info = body[pos + 2 : -2]
    return HdlcFrame(destination, source, control, info, bool(body[0] & SEGMENTED))


def encode_frame(frame: HdlcFrame, *, destination_size: int = 1, source_size: int = 1) -> bytes:
    """Encode a frame (for simulators and tests)."""
    header = encode_address(frame.destination, destination_size)
    header += encode_address(frame.source, source_size) + bytes((frame.control,))
    length = 2 + len(header) + (len(frame.info) + 2 if frame.info else 0) + 2
    if length > 0x7FF:
        msg = "HDLC frame too long"
        raise HdlcError(msg)
    fmt = FORMAT_TYPE3 | (SEGMENTED if frame.segmented else 0) | (length >> 8)
    head = bytes((fmt, length & 0xFF)) + header
    body = head
    if frame.info:
        body += crc16_x25(head).to_bytes(2, "little") + frame.info
    body += crc16_x25(body).to_bytes(2, "little")
    return bytes((FLAG,)) + body + bytes((FLAG,))


class HdlcParser:
    """
    Incremental HDLC reader: feed bytes, get complete (reassembled) messages.

    A segment that fails its check loses the whole message: the segments that follow
    it are dropped up to the message's last one (or up to a frame that opens a new
    message with an LLC header), so the tail of a message is never taken for one.
    """

    def __init__(self) -> None:
        """Start with empty buffers."""
        self._buffer = bytearray()
        self._segments = bytearray()
        self._skipping = False
        self.frame_errors = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the messages (LLC header dropped) they complete."""
        self._buffer += data
        messages: list[bytes] = []
        while True:
            start = self._buffer.find(bytes((FLAG,)))
            if start < 0:
                self._buffer.clear()
                return messages
            del self._buffer[:start]
            if len(self._buffer) < 3:
                return messages
            if self._buffer[1] & 0xF0 != FORMAT_TYPE3:
                del self._buffer[:1]  # flag between frames, or noise
                continue
            length = ((self._buffer[1] & 0x07) << 8) | self._buffer[2]
            if len(self._buffer) < length + 2:
                return messages
            raw = bytes(self._buffer[: length + 2])
            try:
                frame = decode_frame(raw)
            except HdlcError:
                self.frame_errors += 1
                # a message was under way, or the frame says more segments follow
                self._skipping = bool(self._segments) or bool(raw[1] & SEGMENTED)
                self._segments.clear()
                del self._buffer[:1]
                continue
            del self._buffer[: length + 1]  # keep the closing flag: it may open the next
            if message := self._assemble(frame):
                messages.append(message)

    def _assemble(self, frame: HdlcFrame) -> bytes | None:
        if self._skipping:
            if not frame.info.startswith(LLC_HEADERS):
                self._skipping = frame.segmented  # the lost message's last segment ends it
                return None
            self._skipping = False  # a new message starts
        self._segments += frame.info
        if len(self._segments) > MAX_MESSAGE:
            self._segments.clear()
            self._skipping = frame.segmented
            return None
        if frame.segmented:
            return None
        message = bytes(self._segments)
        self._segments.clear()
        for llc in LLC_HEADERS:
            if message.startswith(llc):
                return message[len(llc) :]
        return message
