"""
IEC 62056-21 data messages: ``STX <data block> ! CR LF ETX BCC``.

A data block is lines of data sets ``address(value*unit)``. Tolerated quirks (sources in
tests/fixtures/iec62056/README.md): several sets per line, value-only continuation sets
``(…)`` (extra values of the previous set), padded or blank values, the unit missing or
glued to the value (``(0000000 kWh)``), ``!`` on the same line as the last set, LF-only or
doubled line ends, hex values (``96.5.0(0000001C)``), short OBIS forms and billing-period
suffixes (see :mod:`..obis`). Bytes with the high bit set are refused: 7E1 data read as 8N1
(parity in bit 7) must not turn into values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
import re
from typing import TYPE_CHECKING, Final

from ..obis import ObisCode, ObisError, parse_obis
from . import BccError, FramingError
from .messages import ETX, STX, Identification, bcc

if TYPE_CHECKING:
    from collections.abc import Mapping

_SET_RE: Final = re.compile(r"([^()/!]*)\(([^()]*)\)")
_NUMBER_RE: Final = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_GLUED_UNIT_RE: Final = re.compile(r"^([+-]?[\d.,]+)\s+([A-Za-z%°][A-Za-z0-9%°/²³]*)$")
_HEX_RE: Final = re.compile(r"^[0-9A-Fa-f]+$")


@lru_cache(maxsize=4096)
def _obis_of(address: str) -> ObisCode | None:
    """Parse an address once: a meter repeats the same few dozen in every readout."""
    try:
        return parse_obis(address)
    except ObisError:
        return None


@dataclass(frozen=True, slots=True)
class DataSet:
    """One data set: address, value, optional unit and extra values of the same line."""

    address: str
    value: str  # padding stripped
    unit: str | None = None
    extra: tuple[str, ...] = ()  # continuation values ``(…)`` after the set

    @property
    def obis(self) -> ObisCode | None:
        """OBIS code of the address, None when the address is not an OBIS code."""
        return _obis_of(self.address)

    @property
    def number(self) -> Decimal | None:
        """Value as a decimal number (comma accepted), None when it is not one."""
        if not _NUMBER_RE.match(self.value):
            return None
        try:
            return Decimal(self.value.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
            return None

    def hex_value(self) -> int | None:
        """Value read as hexadecimal (status registers such as ``0000001C``)."""
        return int(self.value, 16) if _HEX_RE.match(self.value) else None


@dataclass(frozen=True, slots=True)
class Readout:
    """A parsed readout: identification (if seen), data sets, and whether a BCC checked it."""

    data_sets: tuple[DataSet, ...]
    identification: Identification | None = None
    bcc_checked: bool = False
    unparsed: tuple[str, ...] = field(default=())  # lines that held no data set

    def by_obis(self) -> Mapping[ObisCode, DataSet]:
        """Return the data sets keyed by OBIS code (first occurrence wins; non-OBIS addresses left out)."""
        result: dict[ObisCode, DataSet] = {}
        for data_set in self.data_sets:
            code = data_set.obis
            if code is not None:
                result.setdefault(code, data_set)
        return result


def _split_value(raw: str) -> tuple[str, str | None]:
    if "*" in raw:
        value, _, unit = raw.partition("*")
        return value.strip(), unit.strip() or None
    text = raw.strip()
    if match := _GLUED_UNIT_RE.match(text):
        return match.group(1), match.group(2)
    return text, None


def parse_data_block(block: str) -> tuple[tuple[DataSet, ...], tuple[str, ...]]:
    """
    Parse the lines of a data block into data sets.

    Returns the data sets and the non-empty lines that held none (kept for diagnostics).
    The closing ``!`` (own line or glued to the last set) is dropped.
    """
    sets: list[DataSet] = []
    unparsed: list[str] = []
    for raw_line in re.split(r"[\r\n]+", block):
        line = raw_line.strip()
        if line.endswith("!"):
            line = line[:-1].rstrip()
        if not line:
            continue
        end = 0
        found = False
        for match in _SET_RE.finditer(line):
            address = match.group(1).strip()
            if line[end : match.start()].strip() or len(address.split()) > 1:
                break  # garbage between sets: keep what was read, report the line
            end = match.end()
            found = True
            value, unit = _split_value(match.group(2))
            if not address and sets:
                previous = sets[-1]
                sets[-1] = DataSet(
                    previous.address, previous.value, previous.unit, (*previous.extra, value)
                )
            elif address:
                sets.append(DataSet(address, value, unit))
            else:
                found = False
        if not found or line[end:].strip():
            unparsed.append(line)
    return tuple(sets), tuple(unparsed)


def parse_data_message(message: bytes, identification: Identification | None = None) -> Readout:
    """
    Parse a complete data message ``STX … ETX BCC`` (nothing before STX, nothing after BCC).

    Raises :class:`BccError` when the BCC does not match and :class:`FramingError` for any
    other structural fault. A value is returned only from a message whose BCC verifies.
    """
    if len(message) < 3 or message[0] != STX:
        msg = "data message does not start with STX"
        raise FramingError(msg)
    etx = message.find(bytes((ETX,)), 1)
    if etx != len(message) - 2:
        msg = "data message must end with ETX and one BCC byte"
        raise FramingError(msg)
    if bcc(message[1 : etx + 1]) != message[-1]:
        msg = f"BCC mismatch: computed {bcc(message[1 : etx + 1]):#04x}, sent {message[-1]:#04x}"
        raise BccError(msg)
    return _parse_block(message[1:etx], identification, bcc_checked=True)


def _parse_block(
    block: bytes, identification: Identification | None, *, bcc_checked: bool
) -> Readout:
    if not block.isascii():
        msg = "data block holds bytes with bit 7 set (7E1 read as 8 bits?)"
        raise FramingError(msg)
    text = block.decode("ascii")
    if not text.rstrip("\r\n").endswith("!"):
        msg = "data block does not end with '!'"
        raise FramingError(msg)
    sets, unparsed = parse_data_block(text)
    return Readout(sets, identification, bcc_checked, unparsed)


def parse_unchecked_block(block: bytes, identification: Identification | None = None) -> Readout:
    """
    Parse a data block sent without STX/ETX/BCC (some mode D meters): nothing verifies it.

    The result has ``bcc_checked=False``; callers decide whether to trust it.
    """
    return _parse_block(block, identification, bcc_checked=False)
