"""
A-XDR data, general-block-transfer and DataNotification (push) decoding.

A push list is a structure whose elements are, depending on the meter, flat
``obis, value[, {scaler, unit}]`` runs (E450, EVN), ``{obis, value[, {scaler, unit}]}``
structures (Kaifa), or plain values without OBIS codes (kept in ``Notification.body``).
:func:`decode_push` turns any of them into :class:`DlmsValue` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
import struct
from typing import Final

from ..obis import ObisCode, dlms_unit
from . import ApduError, DecryptionError
from .cipher import GENERAL_CIPHERING, GENERAL_GLO_CIPHERING, decipher, read_length

DATA_NOTIFICATION: Final = 0x0F
GENERAL_BLOCK_TRANSFER: Final = 0xE0
MAX_DEPTH: Final = 16

type Datum = None | bool | int | float | str | bytes | tuple[Datum, ...]

_FIXED: Final = {
    0x03: 1,  # boolean
    0x05: 4,  # double-long
    0x06: 4,  # double-long-unsigned
    0x0F: 1,  # integer
    0x10: 2,  # long
    0x11: 1,  # unsigned
    0x12: 2,  # long-unsigned
    0x14: 8,  # long64
    0x15: 8,  # long64-unsigned
    0x16: 1,  # enum
    0x17: 4,  # float32
    0x18: 8,  # float64
    0x19: 12,  # date-time
    0x1A: 5,  # date
    0x1B: 4,  # time
}
_SIGNED: Final = frozenset({0x05, 0x0F, 0x10, 0x14})


def decode_data(data: bytes, pos: int = 0, depth: int = 0) -> tuple[Datum, int]:
    """Decode one A-XDR datum at ``pos``; return it and the position after it."""
    if depth > MAX_DEPTH or pos >= len(data):
        msg = "truncated or too deeply nested data"
        raise ApduError(msg)
    tag = data[pos]
    pos += 1
    if tag == 0x00:
        return None, pos
    if tag in (0x01, 0x02):  # array, structure
        count, pos = read_length(data, pos)
        items: list[Datum] = []
        for _ in range(count):
            item, pos = decode_data(data, pos, depth + 1)
            items.append(item)
        return tuple(items), pos
    if tag in (0x09, 0x0A, 0x0C, 0x04):  # octet / visible / utf8 string, bit string
        length, pos = read_length(data, pos)
        if tag == 0x04:
            length = (length + 7) // 8
        raw = data[pos : pos + length]
        if len(raw) != length:
            msg = "truncated string"
            raise ApduError(msg)
        if tag in (0x0A, 0x0C):
            try:
                return raw.decode("utf-8" if tag == 0x0C else "ascii"), pos + length
            except UnicodeDecodeError as err:
                msg = "invalid text string"
                raise ApduError(msg) from err
        return raw, pos + length
    size = _FIXED.get(tag)
    if size is None:
        msg = f"unsupported A-XDR type {tag:#04x}"
        raise ApduError(msg)
    raw = data[pos : pos + size]
    if len(raw) != size:
        msg = "truncated value"
        raise ApduError(msg)
    pos += size
    if tag == 0x03:
        return raw != b"\x00", pos
    if tag == 0x17:
        return float(struct.unpack(">f", raw)[0]), pos
    if tag == 0x18:
        return float(struct.unpack(">d", raw)[0]), pos
    if tag in (0x19, 0x1A, 0x1B):
        return raw, pos
    return int.from_bytes(raw, "big", signed=tag in _SIGNED), pos


@dataclass(frozen=True, slots=True)
class DlmsValue:
    """One pushed value: OBIS code, raw value, scaler and unit."""

    obis: ObisCode
    value: Datum
    scaler: int = 0
    unit_code: int | None = None

    @property
    def unit(self) -> str | None:
        """Unit text, None when the value has none."""
        return dlms_unit(self.unit_code) if self.unit_code is not None else None

    @property
    def scaled(self) -> Decimal | None:
        """Numeric value times 10^scaler, None for a non-numeric value."""
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            return None
        return Decimal(str(self.value)).scaleb(self.scaler)

    @property
    def text(self) -> str | None:
        """Value as text (visible strings, printable octet strings)."""
        if isinstance(self.value, str):
            return self.value
        if isinstance(self.value, bytes) and self.value.isascii():
            decoded = self.value.decode("ascii")
            return decoded if decoded.isprintable() else None
        return None


@dataclass(frozen=True, slots=True)
class Notification:
    """A decoded DataNotification."""

    invoke_id: int
    date_time: bytes | None
    body: Datum
    values: tuple[DlmsValue, ...]
    authenticated: bool = False
    system_title: bytes | None = None


def _scaler_unit(item: Datum) -> tuple[int, int] | None:
    if (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], int)
        and isinstance(item[1], int)
        and not isinstance(item[0], bool)
        and -128 <= item[0] <= 127
    ):
        return item[0], item[1]
    return None


def _is_obis(item: Datum) -> bool:
    return isinstance(item, bytes) and len(item) == 6


def extract_values(body: Datum) -> list[DlmsValue]:
    """Find ``obis, value[, scaler_unit]`` runs anywhere in a push body."""
    found: list[DlmsValue] = []
    if not isinstance(body, tuple):
        return found
    i = 0
    while i < len(body):
        item = body[i]
        if _is_obis(item) and i + 1 < len(body) and not isinstance(body[i + 1], tuple):
            assert isinstance(item, bytes)
            scaler_unit = _scaler_unit(body[i + 2]) if i + 2 < len(body) else None
            scaler, unit = scaler_unit if scaler_unit else (0, None)
            found.append(DlmsValue(ObisCode.from_bytes(item), body[i + 1], scaler, unit))
            i += 3 if scaler_unit else 2
            continue
        if isinstance(item, tuple):
            found += extract_values(item)
        i += 1
    return found


def decode_notification(apdu: bytes) -> Notification:
    """Decode a plain DataNotification (tag 0x0F). Raises :class:`ApduError`."""
    if len(apdu) < 6 or apdu[0] != DATA_NOTIFICATION:
        msg = "not a DataNotification"
        raise ApduError(msg)
    invoke_id = int.from_bytes(apdu[1:5], "big")
    pos = 5
    date_time: bytes | None = None
    if apdu[pos] == 0x0C:  # date-time as a 12-byte octet string
        date_time = apdu[pos + 1 : pos + 13]
        if len(date_time) != 12:
            msg = "truncated date-time"
            raise ApduError(msg)
        pos += 13
    elif apdu[pos] == 0x00:
        pos += 1
    else:
        msg = "invalid date-time in DataNotification"
        raise ApduError(msg)
    body, pos = decode_data(apdu, pos)
    if pos != len(apdu):
        msg = "bytes after the notification body"
        raise ApduError(msg)
    return Notification(invoke_id, date_time, body, tuple(extract_values(body)))


class BlockAssembler:
    """Reassemble general-block-transfer (0xE0) blocks into the APDU they carry."""

    def __init__(self) -> None:
        """Start with no pending blocks."""
        self._blocks = bytearray()
        self._next = 1

    def feed(self, apdu: bytes) -> bytes | None:
        """Add one APDU; return a complete APDU (itself if not a block), else None."""
        if not apdu or apdu[0] != GENERAL_BLOCK_TRANSFER:
            return apdu
        if len(apdu) < 6:
            msg = "truncated general-block-transfer"
            raise ApduError(msg)
        control = apdu[1]
        number = int.from_bytes(apdu[2:4], "big")
        length, pos = read_length(apdu, 6)
        data = apdu[pos:]
        if len(data) != length:
            msg = "general-block-transfer length mismatch"
            raise ApduError(msg)
        if number == 1:
            self._blocks.clear()
            self._next = 1
        if number != self._next:
            self._blocks.clear()
            self._next = 1
            msg = f"block {number} out of sequence"
            raise ApduError(msg)
        self._blocks += data
        self._next += 1
        if not control & 0x80:
            return None
        complete = bytes(self._blocks)
        self._blocks.clear()
        self._next = 1
        return complete


def decode_push(
    apdu: bytes, key: bytes | None = None, authentication_key: bytes | None = None
) -> Notification:
    """
    Decode a pushed APDU: plain DataNotification or ciphered (0xDB / 0xDD).

    A wrong key shows as a tag mismatch (authenticated encryption) or, for
    encryption-only, as a plaintext that is not a well-formed DataNotification: both
    raise :class:`DecryptionError`. Other faults raise :class:`ApduError`.
    """
    if apdu[:1] not in (bytes((GENERAL_GLO_CIPHERING,)), bytes((GENERAL_CIPHERING,))):
        return decode_notification(apdu)
    if key is None:
        msg = "the meter ciphers its data: an encryption key is needed"
        raise ApduError(msg)
    deciphered = decipher(apdu, key, authentication_key)
    try:
        notification = decode_notification(deciphered.plaintext)
    except ApduError as err:
        msg = "deciphered data is not a DataNotification: wrong key?"
        raise DecryptionError(msg) from err
    return Notification(
        notification.invoke_id,
        notification.date_time,
        notification.body,
        notification.values,
        deciphered.authenticated,
        deciphered.system_title,
    )
