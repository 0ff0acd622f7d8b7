"""
OBIS readings from IEC 62056-21 readouts, DLMS notifications and SML lists, in one form.

Every protocol yields :class:`ObisReading`: the code, its catalogue row
(:func:`..obis.describe`) and the value, numbers converted to the row's unit
(``Wh`` -> ``kWh``, ``W`` -> ``kW``), so an entity has one unit whatever the meter
sends. A number in a unit that does not fit the row (``kWh`` for a voltage) is
dropped and counted, never shown in the wrong unit.

Identity: :func:`iec_identity`, :func:`dlms_identity` say which meter sent a reading
(C.1.0, 0.0.0, the logical device name, the system title).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
import re
from typing import TYPE_CHECKING, Final

from ..obis import GENERIC_ROW, ObisCode, ObisQuantity, ObisRow, describe, parse_obis

if TYPE_CHECKING:
    from ..dlms.apdu import Notification
    from ..iec62056.messages import Identification
    from ..iec62056.readout import Readout

_PREFIXES: Final = {"": 0, "k": 3, "M": 6, "G": 9, "m": -3}
_BASES: Final = ("varh", "VAh", "Wh", "var", "VA", "W", "V", "A", "Hz", "°", "%", "s", "h")
NUMERIC: Final = frozenset(
    {
        ObisQuantity.ACTIVE_ENERGY,
        ObisQuantity.REACTIVE_ENERGY,
        ObisQuantity.APPARENT_ENERGY,
        ObisQuantity.ACTIVE_POWER,
        ObisQuantity.REACTIVE_POWER,
        ObisQuantity.APPARENT_POWER,
        ObisQuantity.VOLTAGE,
        ObisQuantity.CURRENT,
        ObisQuantity.FREQUENCY,
        ObisQuantity.POWER_FACTOR,
        ObisQuantity.PHASE_ANGLE,
        ObisQuantity.EVENT_COUNTER,
    }
)
"""Quantities whose value must be a number (anything else is text)."""

SERIAL_CODES: Final = (parse_obis("C.1.0"), parse_obis("0.0.0"), parse_obis("0-0:96.1.0"))
LOGICAL_NAME: Final = parse_obis("0-0:42.0.0")


@dataclass(frozen=True, slots=True)
class ObisReading:
    """One value of a meter, ready to publish."""

    code: ObisCode
    row: ObisRow
    value: Decimal | str
    unit: str | None  # the row's unit for numbers in the catalogue, else what the meter sent


def _split_unit(unit: str) -> tuple[str, int] | None:
    """``kWh`` -> (``Wh``, 3); None for a unit without a known base."""
    text = unit.strip()
    for base in _BASES:
        for prefix, exponent in _PREFIXES.items():
            if text == prefix + base or text.lower() == (prefix + base).lower():
                return base, exponent
    return None


def convert(value: Decimal, unit: str | None, target: str | None) -> Decimal | None:
    """Convert ``value`` from ``unit`` to ``target``; None when they do not fit together."""
    if target is None or unit is None or not unit.strip():
        return value
    source, wanted = _split_unit(unit), _split_unit(target)
    if source is None or wanted is None or source[0].lower() != wanted[0].lower():
        return None
    return value.scaleb(source[1] - wanted[1])


def reading(code: ObisCode, value: Decimal | str | None, unit: str | None) -> ObisReading | None:
    """
    Build the reading of one value; None when it cannot be shown truthfully.

    A numeric quantity with a text value, or with a unit that does not fit, gives None.
    """
    row = describe(code)
    if value is None:
        return None
    if row.quantity in NUMERIC:
        if not isinstance(value, Decimal):
            return None
        converted = convert(value, unit, row.unit)
        if converted is None:
            return None
        return ObisReading(code, row, converted, row.unit if row.unit else unit)
    if row is GENERIC_ROW:
        return ObisReading(code, row, value, unit)
    return ObisReading(code, row, value if isinstance(value, str) else str(value), row.unit)


def _collect(items: Iterable[ObisReading | None]) -> dict[ObisCode, ObisReading]:
    result: dict[ObisCode, ObisReading] = {}
    for item in items:
        if item is not None:
            result.setdefault(item.code, item)
    return result


def iec_readings(readout: Readout) -> tuple[dict[ObisCode, ObisReading], int]:
    """Return the readings of an IEC readout, and how many OBIS data sets could not be used."""
    built: list[ObisReading | None] = []
    for code, data_set in readout.by_obis().items():
        row = describe(code)
        number = data_set.number
        value: Decimal | str | None = number
        if number is None or row.quantity not in NUMERIC:
            value = data_set.value
        built.append(reading(code, value, data_set.unit))
    found = _collect(built)
    return found, len(readout.by_obis()) - len(found)


def _datum_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        if value.isascii() and value.decode("ascii").isprintable():
            return value.decode("ascii")
        return value.hex().upper()
    if isinstance(value, int | float | bool):
        return str(value)
    return None


def dlms_readings(notification: Notification) -> tuple[dict[ObisCode, ObisReading], int]:
    """Return the readings of a DataNotification (scaler applied), and how many could not be used."""
    built: list[ObisReading | None] = []
    for item in notification.values:
        scaled = item.scaled
        value: Decimal | str | None = scaled if scaled is not None else _datum_text(item.value)
        built.append(reading(item.obis, value, item.unit))
    found = _collect(built)
    return found, len(notification.values) - len(found)


_IDENT_RE: Final = re.compile(r"[^0-9A-Za-z_.\-]+")


def clean_identity(text: str) -> str:
    """Return an identity usable in unique IDs: stripped, spaces and symbols collapsed to ``_``."""
    return _IDENT_RE.sub("_", text.strip()).strip("_")


def iec_identity(
    readings: dict[ObisCode, ObisReading], identification: Identification | None
) -> str | None:
    """Return the meter serial (C.1.0, else 0.0.0), else the identification string."""
    for code in SERIAL_CODES:
        found = readings.get(code)
        if found is not None and (ident := clean_identity(str(found.value))):
            return ident
    if identification is not None:
        return clean_identity(str(identification)) or None
    return None


def dlms_identity(readings: dict[ObisCode, ObisReading], system_title: bytes | None) -> str | None:
    """Return the logical device name, else the serial (0-0:96.1.0), else the system title."""
    for code in (LOGICAL_NAME, SERIAL_CODES[2]):
        found = readings.get(code)
        if found is not None and (ident := clean_identity(str(found.value))):
            return ident
    if system_title:
        return system_title.hex().upper()
    return None


def system_title_text(system_title: bytes) -> str:
    """Return a system title as shown to users: manufacturer letters and the serial in hex."""
    head = system_title[:3]
    if head.isalpha() and head.isascii():
        return f"{head.decode('ascii')} {system_title[3:].hex().upper()}"
    return system_title.hex().upper()
