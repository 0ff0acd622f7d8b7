r"""
IEC 62056-21 messages: request, identification, acknowledgement / option select, break, BCC.

Facts (see tests/fixtures/iec62056/README.md for sources): every session starts at 300 Bd,
7E1. The request is ``/?<address>!\r\n``. The identification ``/XXXZ[\W]<ident>\r\n``
carries the manufacturer (FLAG id; a lower-case third letter means the meter reacts in
20 ms instead of 200 ms), the baud character Z and an optional enhanced identification
``\W`` (W = 2: the meter supports mode E, HDLC). The BCC is the XOR of every byte after
STX (or SOH) up to and including ETX.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import xor
import re
from types import MappingProxyType
from typing import Final

from . import IdentificationError, Iec62056Error

SOH: Final = 0x01
STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
ACK: Final = 0x06
NAK: Final = 0x15
CRLF: Final = b"\r\n"

SIGN_ON_BAUDRATE: Final = 300
MODE_D_BAUDRATE: Final = 2400
BREAK_MESSAGE: Final = b"\x01B0\x03q"  # SOH B 0 ETX BCC: end of session

WAKE_UP: Final = b"\x00" * 84  # 2.24 s of NUL at 300 Bd, for battery meters
WAKE_UP_PAUSE: Final = 1.6  # s to wait after the NULs

MODE_C_BAUDRATES: Final = MappingProxyType(
    {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
)
MODE_B_BAUDRATES: Final = MappingProxyType(
    {"A": 600, "B": 1200, "C": 2400, "D": 4800, "E": 9600, "F": 19200}
)
_ADDRESS_RE: Final = re.compile(r"^[0-9A-Za-z ]{0,32}$")


class Mode(StrEnum):
    """Protocol mode the identification announces."""

    A = "A"  # no baud switch: data at 300 Bd, no ACK
    B = "B"  # both switch after the identification, no ACK
    C = "C"  # ACK / option select, then data at the chosen speed
    E = "E"  # mode C with HDLC (binary) support announced by \\2


class ReadoutKind(StrEnum):
    """Mode control character Y of the option select message."""

    DATA = "0"  # data readout
    PROGRAMMING = "1"
    BINARY = "2"  # HDLC


def bcc(data: bytes) -> int:
    """XOR of ``data``: pass the bytes after STX/SOH up to and including ETX."""
    return reduce(xor, data, 0)


def request_message(address: str = "") -> bytes:
    r"""Return the sign-on request ``/?<address>!\r\n`` (address for buses, else empty)."""
    if not _ADDRESS_RE.match(address):
        msg = f"invalid device address: {address!r}"
        raise Iec62056Error(msg)
    return b"/?" + address.encode("ascii") + b"!" + CRLF


def ack_message(
    baud_char: str, kind: ReadoutKind = ReadoutKind.DATA, protocol_control: str = "0"
) -> bytes:
    """Return the ACK / option select message ``ACK V Z Y CR LF``."""
    if baud_char not in MODE_C_BAUDRATES:
        msg = f"invalid mode C baud character: {baud_char!r}"
        raise Iec62056Error(msg)
    if len(protocol_control) != 1 or not protocol_control.isdigit():
        msg = f"invalid protocol control character: {protocol_control!r}"
        raise Iec62056Error(msg)
    return bytes((ACK,)) + f"{protocol_control}{baud_char}{kind}".encode("ascii") + CRLF


def mode_c_baud_char(baudrate: int) -> str:
    """Return the mode C baud character of a speed (raises for a speed not in the table)."""
    for char, rate in MODE_C_BAUDRATES.items():
        if rate == baudrate:
            return char
    msg = f"no mode C baud character for {baudrate} Bd"
    raise Iec62056Error(msg)


@dataclass(frozen=True, slots=True)
class Identification:
    """A parsed identification message."""

    manufacturer: str  # FLAG id, 3 letters as sent (case kept)
    baud_char: str
    enhanced: str | None  # W of \\W, None when absent
    ident: str  # device identification, after Z (and \\W)

    @property
    def mode(self) -> Mode:
        r"""Mode the baud character (and \W) announce."""
        if self.baud_char in MODE_C_BAUDRATES:
            return Mode.E if self.enhanced == "2" else Mode.C
        if self.baud_char in MODE_B_BAUDRATES:
            return Mode.B
        return Mode.A

    @property
    def max_baudrate(self) -> int:
        """Highest speed the meter offers (300 Bd in mode A)."""
        if self.mode is Mode.B:
            return MODE_B_BAUDRATES[self.baud_char]
        return MODE_C_BAUDRATES.get(self.baud_char, SIGN_ON_BAUDRATE)

    @property
    def fast_reaction(self) -> bool:
        """Whether the meter answers within 20 ms (lower-case third letter) instead of 200 ms."""
        return self.manufacturer[2].islower()

    def __str__(self) -> str:
        """Return the identification as sent, without / and CR LF."""
        enhanced = f"\\{self.enhanced}" if self.enhanced is not None else ""
        return f"{self.manufacturer}{self.baud_char}{enhanced}{self.ident}"


def parse_identification(line: bytes) -> Identification:
    r"""
    Parse ``/XXXZ[\W]ident`` (CR LF optional; bytes before the last ``/`` are ignored).

    Raises :class:`IdentificationError`.
    """
    start = line.rfind(b"/")
    if start < 0:
        msg = f"no identification in {line!r}"
        raise IdentificationError(msg)
    body = line[start + 1 :].rstrip(b"\r\n")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as err:
        msg = f"identification is not ASCII: {line!r}"
        raise IdentificationError(msg) from err
    if len(text) < 4 or not text[:3].isalpha() or not text.isprintable():
        msg = f"malformed identification: {line!r}"
        raise IdentificationError(msg)
    manufacturer, baud_char, rest = text[:3], text[3], text[4:]
    enhanced: str | None = None
    if len(rest) >= 2 and rest[0] == "\\" and rest[1].isdigit():
        enhanced, rest = rest[1], rest[2:]
    return Identification(manufacturer, baud_char, enhanced, rest)
