"""
Physical plausibility per quantity, and EN 50160 limits the user cares about.

:data:`PLAUSIBLE` bounds what a low-voltage meter can really measure: a reading
outside (0 V, 9999 V, 655 Hz from a bad frame that passed its check) is garbage,
counted and not written. :class:`Limits` are the supply-quality thresholds
(EN 50160: 230 V +/- 10 %, 50 Hz +/- 1 %; a power limit of the user's choice):
a reading beyond them is real and becomes an anomaly, not a rejection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from ..obis import ObisQuantity

PLAUSIBLE: Final[Mapping[ObisQuantity, tuple[Decimal, Decimal]]] = MappingProxyType(
    {
        ObisQuantity.VOLTAGE: (Decimal(50), Decimal(500)),  # V, phase to neutral
        ObisQuantity.CURRENT: (Decimal(0), Decimal(1000)),  # A
        ObisQuantity.FREQUENCY: (Decimal(40), Decimal(70)),  # Hz
        ObisQuantity.ACTIVE_POWER: (Decimal(-1000), Decimal(1000)),  # kW
        ObisQuantity.REACTIVE_POWER: (Decimal(-1000), Decimal(1000)),  # kvar
        ObisQuantity.APPARENT_POWER: (Decimal(-1000), Decimal(1000)),  # kVA
        ObisQuantity.POWER_FACTOR: (Decimal(-1), Decimal(1)),
        ObisQuantity.PHASE_ANGLE: (Decimal(-360), Decimal(360)),  # °
        ObisQuantity.ACTIVE_ENERGY: (Decimal(0), Decimal(10) ** 12),  # kWh
        ObisQuantity.REACTIVE_ENERGY: (Decimal(0), Decimal(10) ** 12),
        ObisQuantity.APPARENT_ENERGY: (Decimal(0), Decimal(10) ** 12),
    }
)
"""Closed range of a believable reading, in the catalogue unit of the quantity."""


def plausible(quantity: ObisQuantity, value: Decimal) -> bool:
    """Whether ``value`` (in the catalogue unit) can be a real reading of ``quantity``."""
    bounds = PLAUSIBLE.get(quantity)
    if bounds is None:
        return True
    low, high = bounds
    return low <= value <= high


VOLTAGE_MIN: Final = 207.0  # V, EN 50160: 230 V - 10 %
VOLTAGE_MAX: Final = 253.0  # V, 230 V + 10 %
FREQUENCY_MIN: Final = 49.5  # Hz, 50 Hz - 1 %
FREQUENCY_MAX: Final = 50.5  # Hz


@dataclass(frozen=True, slots=True)
class Limits:
    """Supply-quality thresholds; ``power_max_kw`` None: no power anomaly."""

    voltage_min: float = VOLTAGE_MIN
    voltage_max: float = VOLTAGE_MAX
    frequency_min: float = FREQUENCY_MIN
    frequency_max: float = FREQUENCY_MAX
    power_max_kw: float | None = None


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One supervised value against its thresholds."""

    key: str  # voltage_l1, frequency, power
    active: bool
    value: float
    minimum: float | None
    maximum: float | None

    @property
    def direction(self) -> str | None:
        """``over`` / ``under`` while active, else None."""
        if not self.active:
            return None
        return "under" if self.minimum is not None and self.value < self.minimum else "over"


def _check(key: str, value: float, low: float | None, high: float | None) -> Anomaly:
    active = (low is not None and value < low) or (high is not None and value > high)
    return Anomaly(key, active, value, low, high)


def supervise(
    voltages: Mapping[int, Decimal],
    frequency: Decimal | None,
    power_kw: Decimal | None,
    limits: Limits,
) -> dict[str, Anomaly]:
    """Judge the supervised values present; keys ``voltage_l<n>``, ``frequency``, ``power``."""
    result: dict[str, Anomaly] = {}
    for phase, voltage in sorted(voltages.items()):
        key = f"voltage_l{phase}"
        result[key] = _check(key, float(voltage), limits.voltage_min, limits.voltage_max)
    if frequency is not None:
        result["frequency"] = _check(
            "frequency", float(frequency), limits.frequency_min, limits.frequency_max
        )
    if power_kw is not None and limits.power_max_kw is not None:
        result["power"] = _check("power", float(power_kw), None, limits.power_max_kw)
    return result
