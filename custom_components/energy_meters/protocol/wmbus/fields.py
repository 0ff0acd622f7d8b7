"""
Units of wmbusmeters JSON fields: the last ``_suffix`` of a numeric field.

The suffix alone is not enough: ``prev_1_month`` holds a date string and
``unknown_a`` a text, so a field is a quantity only when its JSON value is a
number (or ``null``, which numeric fields may carry). Unit names follow
``wmbusmeters --listunits``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .output import FieldValue


class Quantity(StrEnum):
    """What a numeric field measures."""

    VOLUME = "volume"
    FLOW = "flow"
    ENERGY = "energy"
    POWER = "power"
    TEMPERATURE = "temperature"
    VOLTAGE = "voltage"
    CURRENT = "current"
    FREQUENCY = "frequency"
    PRESSURE = "pressure"
    HUMIDITY = "humidity"
    HCA = "hca"
    REACTIVE_ENERGY = "reactive_energy"
    APPARENT_ENERGY = "apparent_energy"
    REACTIVE_POWER = "reactive_power"
    APPARENT_POWER = "apparent_power"
    DURATION = "duration"
    RATIO = "ratio"
    SIGNAL = "signal"
    COUNT = "count"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Unit:
    """A wmbusmeters unit suffix: its quantity and its symbol as Home Assistant writes it."""

    suffix: str
    quantity: Quantity
    symbol: str | None


_UNITS: Final = (
    Unit("m3", Quantity.VOLUME, "m³"),
    Unit("l", Quantity.VOLUME, "L"),
    Unit("m3h", Quantity.FLOW, "m³/h"),
    Unit("lh", Quantity.FLOW, "L/h"),
    Unit("kwh", Quantity.ENERGY, "kWh"),
    Unit("wh", Quantity.ENERGY, "Wh"),
    Unit("mwh", Quantity.ENERGY, "MWh"),
    Unit("mj", Quantity.ENERGY, "MJ"),
    Unit("gj", Quantity.ENERGY, "GJ"),
    Unit("kw", Quantity.POWER, "kW"),
    Unit("w", Quantity.POWER, "W"),
    Unit("c", Quantity.TEMPERATURE, "°C"),
    Unit("k", Quantity.TEMPERATURE, "K"),
    Unit("f", Quantity.TEMPERATURE, "°F"),
    Unit("v", Quantity.VOLTAGE, "V"),
    Unit("a", Quantity.CURRENT, "A"),
    Unit("hz", Quantity.FREQUENCY, "Hz"),
    Unit("bar", Quantity.PRESSURE, "bar"),
    Unit("pa", Quantity.PRESSURE, "Pa"),
    Unit("rh", Quantity.HUMIDITY, "%"),
    Unit("pct", Quantity.RATIO, "%"),
    Unit("hca", Quantity.HCA, None),
    Unit("kvarh", Quantity.REACTIVE_ENERGY, "kvarh"),
    Unit("kvah", Quantity.APPARENT_ENERGY, "kVAh"),
    Unit("kvar", Quantity.REACTIVE_POWER, "kvar"),
    Unit("kva", Quantity.APPARENT_POWER, "kVA"),
    Unit("s", Quantity.DURATION, "s"),
    Unit("min", Quantity.DURATION, "min"),
    Unit("h", Quantity.DURATION, "h"),
    Unit("d", Quantity.DURATION, "d"),
    Unit("dbm", Quantity.SIGNAL, "dBm"),
    Unit("counter", Quantity.COUNT, None),
    Unit("nr", Quantity.COUNT, None),
    Unit("ppm", Quantity.OTHER, "ppm"),
    Unit("factor", Quantity.OTHER, None),
)
UNITS: Final = {unit.suffix: unit for unit in _UNITS}


def field_unit(name: str, value: FieldValue) -> Unit | None:
    """Return the unit of a numeric field, None for a text field or an unknown suffix."""
    if isinstance(value, str) or "_" not in name:
        return None
    return UNITS.get(name.rsplit("_", 1)[1])


def is_total(name: str, unit: Unit | None) -> bool:
    """Tell whether a field is a lifetime register (a counter that must not decrease)."""
    return (
        unit is not None
        and unit.quantity in {Quantity.VOLUME, Quantity.ENERGY}
        and name.startswith("total_")
        and "prev" not in name
        and "month" not in name
    )
