"""
From OBIS readings to published data, the same for the three protocols.

Counters pass the shared counter guard; other numbers must be physically plausible
(:mod:`..protocol.optical.ranges`): a 0 V or 9999 V reading is counted as rejected
and the previous value stays. Voltages, frequency and power are then judged against
the user's limits; an anomaly that starts or ends fires ``energy_meters_anomaly``.
A different meter on the port raises a repair issue; its readings are not published.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..coordinator import MeterCoordinator
from ..protocol.obis import ObisCode, ObisQuantity, parse_obis
from ..protocol.optical.ranges import Anomaly, Limits, plausible, supervise
from ..protocol.optical.values import NUMERIC, ObisReading
from .const import (
    CONF_FREQUENCY_MAX,
    CONF_FREQUENCY_MIN,
    CONF_POWER_LIMIT,
    CONF_VOLTAGE_MAX,
    CONF_VOLTAGE_MIN,
    EVENT_ANOMALY,
)
from .data import OpticalData

DEFAULT_MAX_POWER_KW: Final = 150.0
"""Power assumed when none is configured, for the counter guard (1.5 x a big house)."""
VOLTAGE_CODES: Final = {1: parse_obis("32.7.0"), 2: parse_obis("52.7.0"), 3: parse_obis("72.7.0")}
FREQUENCY_CODE: Final = parse_obis("14.7.0")
POWER_CODES: Final = (parse_obis("1.7.0"), parse_obis("16.7.0"))
FOREIGN_READINGS_BEFORE_REPAIR: Final = 3


def limits_from_options(options: Mapping[str, Any]) -> Limits:
    """Return the supply-quality limits of an entry's options."""
    default = Limits()
    power = float(options.get(CONF_POWER_LIMIT, 0) or 0)
    return Limits(
        voltage_min=float(options.get(CONF_VOLTAGE_MIN, default.voltage_min)),
        voltage_max=float(options.get(CONF_VOLTAGE_MAX, default.voltage_max)),
        frequency_min=float(options.get(CONF_FREQUENCY_MIN, default.frequency_min)),
        frequency_max=float(options.get(CONF_FREQUENCY_MAX, default.frequency_max)),
        power_max_kw=power if power > 0 else None,
    )


class ReadingProcessor:
    """Turns readings into :class:`OpticalData` for one coordinator."""

    def __init__(self, coordinator: MeterCoordinator[OpticalData], port: str) -> None:
        """Bind to the coordinator (its guards, link stats, entry options)."""
        self.coordinator = coordinator
        self.port = port
        self.limits = limits_from_options(coordinator.config_entry.options)
        self.values: dict[str, Any] = {}
        self.units: dict[str, str | None] = {}
        self.anomalies: dict[str, Anomaly] = {}
        self.unknown: dict[str, str] = {}
        self._foreign: str | None = None
        self._foreign_count = 0

    def _max_rate(self) -> float:
        """Highest plausible counter rate, kWh (or kvarh) per second."""
        power = self.limits.power_max_kw or DEFAULT_MAX_POWER_KW
        return max(power, DEFAULT_MAX_POWER_KW) * 1.5 / 3600.0

    def _accept(self, reading: ObisReading) -> None:
        key = reading.code.slug
        row = reading.row
        if row.is_counter:
            number = float(reading.value) if isinstance(reading.value, Decimal) else None
            self.values[key] = self.coordinator.guard_counter(key, number, self._max_rate())
        elif row.quantity in NUMERIC:
            assert isinstance(reading.value, Decimal)
            if not plausible(row.quantity, reading.value):
                self.coordinator.link.rejected_readings += 1
                LOGGER.debug(
                    "%s: %s = %s rejected (implausible)",
                    self.coordinator.name,
                    reading.code,
                    reading.value,
                )
                return
            self.values[key] = float(reading.value)
        elif row.quantity is ObisQuantity.UNKNOWN:
            # not in the catalogue: published as a generic (disabled) sensor, never lost
            self.unknown[str(reading.code)] = f"{reading.value} {reading.unit or ''}".strip()
            value = reading.value
            self.values[key] = float(value) if isinstance(value, Decimal) else value
        else:
            self.values[key] = reading.value
        self.units[key] = reading.unit

    def is_foreign(self, identity: str | None) -> bool:
        """Whether readings come from another meter (a persistent one raises a repair)."""
        coordinator = self.coordinator
        if identity is None or identity == coordinator.device_key:
            if self._foreign is not None and self._foreign_count >= FOREIGN_READINGS_BEFORE_REPAIR:
                ir.async_delete_issue(coordinator.hass, DOMAIN, self._issue_id())
            self._foreign, self._foreign_count = None, 0
            return False
        coordinator.link.frames_failed += 1
        if identity != self._foreign:
            self._foreign, self._foreign_count = identity, 0
        self._foreign_count += 1
        if self._foreign_count == FOREIGN_READINGS_BEFORE_REPAIR:
            entry = coordinator.config_entry
            ir.async_create_issue(
                coordinator.hass,
                DOMAIN,
                self._issue_id(),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="meter_replaced",
                translation_placeholders={
                    "title": entry.title,
                    "port": self.port,
                    "expected": coordinator.device_key,
                    "found": identity,
                },
            )
        return True

    def _issue_id(self) -> str:
        return f"meter_replaced_{self.coordinator.config_entry.entry_id}"

    def publish(
        self, readings: Mapping[ObisCode, ObisReading], readout_seconds: float | None = None
    ) -> OpticalData:
        """Accept what can be accepted; judge the supply; return the data to publish."""
        link = self.coordinator.link
        link.frames_ok += 1
        link.last_frame = dt_util.utcnow()
        for reading in readings.values():
            if reading.code.billing_period is None and reading.code.b == 0:
                self._accept(reading)
        self._supervise()
        return OpticalData(
            link=link,
            values=dict(self.values),
            units=dict(self.units),
            anomalies=dict(self.anomalies),
            readout_seconds=readout_seconds,
        )

    def _number(self, code: ObisCode) -> Decimal | None:
        value = self.values.get(code.slug)
        return Decimal(str(value)) if isinstance(value, float) else None

    def _supervise(self) -> None:
        voltages = {
            phase: number
            for phase, code in VOLTAGE_CODES.items()
            if (number := self._number(code)) is not None
        }
        power = next((n for code in POWER_CODES if (n := self._number(code)) is not None), None)
        judged = supervise(voltages, self._number(FREQUENCY_CODE), power, self.limits)
        for key, anomaly in judged.items():
            before = self.anomalies.get(key)
            if anomaly.active != (before is not None and before.active):
                self._fire(anomaly)  # a start, or the end of one (inactive needs before)
        self.anomalies = judged

    def _fire(self, anomaly: Anomaly) -> None:
        coordinator = self.coordinator
        coordinator.hass.bus.async_fire(
            EVENT_ANOMALY,
            {
                "meter": coordinator.device_key,
                "entry_id": coordinator.config_entry.entry_id,
                "anomaly": anomaly.key,
                "active": anomaly.active,
                "direction": anomaly.direction,
                "value": anomaly.value,
                "minimum": anomaly.minimum,
                "maximum": anomaly.maximum,
            },
        )
