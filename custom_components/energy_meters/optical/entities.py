"""
Optical entity catalogue, derived from the one OBIS catalogue (``protocol/obis.py``).

One sensor per catalogue row (current values, channel 0); the value key is the OBIS
code's slug (``1_0_1_8_0_255``), so unique IDs are ``<meter identity>_<obis slug>``.
Names share one translation key per family, with the tariff or phase as placeholder.
Energies are ``total`` (lifetime registers behind the counter guard, see the Linky
catalogue for why not ``total_increasing``). Anomalies are binary sensors per phase.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
import re
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    DEGREE,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfReactivePower,
)

from ..descriptions import (
    LINK_SENSORS,
    MeterBinarySensorEntityDescription,
    MeterButtonEntityDescription,
    MeterSensorEntityDescription,
)
from ..protocol.obis import CATALOGUE, ObisCode, ObisQuantity, ObisRow
from ..update_policy import Cadence
from .data import OpticalData

# quantity: device class, state class, unit, cadence
PRESENTATION: Final[
    dict[
        ObisQuantity, tuple[SensorDeviceClass | None, SensorStateClass | None, str | None, Cadence]
    ]
] = {
    ObisQuantity.ACTIVE_ENERGY: (
        SensorDeviceClass.ENERGY,
        SensorStateClass.TOTAL,
        UnitOfEnergy.KILO_WATT_HOUR,
        Cadence.SLOW,
    ),
    ObisQuantity.REACTIVE_ENERGY: (
        SensorDeviceClass.REACTIVE_ENERGY,
        SensorStateClass.TOTAL,
        UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
        Cadence.SLOW,
    ),
    ObisQuantity.APPARENT_ENERGY: (None, SensorStateClass.TOTAL, "kVAh", Cadence.SLOW),
    ObisQuantity.ACTIVE_POWER: (
        SensorDeviceClass.POWER,
        SensorStateClass.MEASUREMENT,
        UnitOfPower.KILO_WATT,
        Cadence.FAST,
    ),
    ObisQuantity.REACTIVE_POWER: (
        SensorDeviceClass.REACTIVE_POWER,
        SensorStateClass.MEASUREMENT,
        UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        Cadence.FAST,
    ),
    ObisQuantity.APPARENT_POWER: (
        SensorDeviceClass.APPARENT_POWER,
        SensorStateClass.MEASUREMENT,
        UnitOfApparentPower.KILO_VOLT_AMPERE,
        Cadence.FAST,
    ),
    ObisQuantity.VOLTAGE: (
        SensorDeviceClass.VOLTAGE,
        SensorStateClass.MEASUREMENT,
        UnitOfElectricPotential.VOLT,
        Cadence.FAST,
    ),
    ObisQuantity.CURRENT: (
        SensorDeviceClass.CURRENT,
        SensorStateClass.MEASUREMENT,
        UnitOfElectricCurrent.AMPERE,
        Cadence.FAST,
    ),
    ObisQuantity.FREQUENCY: (
        SensorDeviceClass.FREQUENCY,
        SensorStateClass.MEASUREMENT,
        UnitOfFrequency.HERTZ,
        Cadence.FAST,
    ),
    ObisQuantity.POWER_FACTOR: (
        SensorDeviceClass.POWER_FACTOR,
        SensorStateClass.MEASUREMENT,
        None,
        Cadence.FAST,
    ),
    ObisQuantity.PHASE_ANGLE: (None, SensorStateClass.MEASUREMENT, DEGREE, Cadence.FAST),
    ObisQuantity.EVENT_COUNTER: (None, SensorStateClass.TOTAL_INCREASING, None, Cadence.SLOW),
}
_FAMILY_RE: Final = re.compile(r"^(?P<base>.+?)_(?:t(?P<tariff>\d)|l(?P<phase>\d)|(?P<n>\d))$")


def translation_of(row: ObisRow) -> tuple[str, dict[str, str] | None]:
    """Return the translation key and placeholders of a row: families share one key."""
    match = _FAMILY_RE.match(row.key)
    if match is None:
        return f"obis_{row.key}", None
    base = match["base"]
    if match["tariff"]:
        return f"obis_{base}_tariff", {"tariff": match["tariff"]}
    if match["phase"]:
        return f"obis_{base}_phase", {"phase": match["phase"]}
    return f"obis_{base}_n", {"index": match["n"]}


def _obis_sensor(code: ObisCode, row: ObisRow) -> MeterSensorEntityDescription:
    slug = code.slug
    device_class, state_class, unit, cadence = PRESENTATION.get(
        row.quantity, (None, None, None, Cadence.SLOW)
    )
    key, placeholders = translation_of(row)
    energy = row.quantity in (ObisQuantity.ACTIVE_ENERGY, ObisQuantity.REACTIVE_ENERGY)

    def value(data: OpticalData) -> Any:
        return data.values.get(slug)

    def exists(data: OpticalData) -> bool:
        return slug in data.values

    return MeterSensorEntityDescription(
        key=slug,
        translation_key=key,
        translation_placeholders=placeholders,
        device_class=device_class,
        state_class=state_class,
        native_unit_of_measurement=unit,
        suggested_display_precision=3 if energy else None,
        entity_category=EntityCategory.DIAGNOSTIC if row.diagnostic else None,
        entity_registry_enabled_default=row.enabled_by_default,
        value_fn=value,
        exists_fn=exists,
        cadence=cadence,
    )


def _codes() -> list[tuple[ObisCode, ObisRow]]:
    seen: set[str] = set()
    rows: list[tuple[ObisCode, ObisRow]] = []
    for (a, c, d, e), row in CATALOGUE.items():
        code = ObisCode(a, 0, c, d, e)
        if code.slug not in seen:
            seen.add(code.slug)
            rows.append((code, row))
    return rows


def _anomaly(key: str, placeholders: dict[str, str] | None) -> MeterBinarySensorEntityDescription:
    anomaly_key = key

    def value(data: OpticalData) -> bool | None:
        found = data.anomalies.get(anomaly_key)
        return found.active if found is not None else None

    def exists(data: OpticalData) -> bool:
        return anomaly_key in data.anomalies

    def attributes(data: OpticalData) -> Mapping[str, Any] | None:
        found = data.anomalies.get(anomaly_key)
        if found is None:
            return None
        return {
            "value": found.value,
            "minimum": found.minimum,
            "maximum": found.maximum,
            "direction": found.direction,
        }

    family = "voltage" if key.startswith("voltage") else key
    return MeterBinarySensorEntityDescription(
        key=f"anomaly_{key}",
        translation_key=f"optical_{family}_anomaly",
        translation_placeholders=placeholders,
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=value,
        exists_fn=exists,
        attributes_fn=attributes,
        cadence=Cadence.ALARM,
    )


def _readout_time(data: OpticalData) -> float | None:
    return round(data.readout_seconds, 1) if data.readout_seconds is not None else None


READOUT_TIME: Final = MeterSensorEntityDescription(
    key="readout_time",
    translation_key="optical_readout_time",
    device_class=SensorDeviceClass.DURATION,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement="s",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=_readout_time,
    exists_fn=lambda data: data.readout_seconds is not None,
)

CATALOGUE_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    *(_obis_sensor(code, row) for code, row in _codes()),
    READOUT_TIME,
    *LINK_SENSORS,
)
_KNOWN: Final = frozenset(description.key for description in CATALOGUE_SENSORS)


@cache
def _generic_sensor(slug: str, unit: str | None) -> MeterSensorEntityDescription:
    """Describe a code the catalogue does not know: a disabled sensor named by its code."""
    a, b, c, d, e, f = slug.split("_")
    return MeterSensorEntityDescription(
        key=slug,
        translation_key="optical_obis_generic",
        translation_placeholders={"code": f"{a}-{b}:{c}.{d}.{e}*{f}"},
        native_unit_of_measurement=unit,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.values.get(slug),
        exists_fn=lambda data: slug in data.values,
    )


def optical_sensors(data: OpticalData) -> Iterator[MeterSensorEntityDescription]:
    """Yield the catalogue, then a generic disabled sensor per unknown code of ``data``."""
    yield from CATALOGUE_SENSORS
    for slug in data.values:
        if slug not in _KNOWN:
            yield _generic_sensor(slug, data.units.get(slug))


OPTICAL_SENSORS: Final = optical_sensors

_PHASES: tuple[tuple[str, dict[str, str] | None], ...] = (
    *((f"voltage_l{n}", {"phase": str(n)}) for n in (1, 2, 3)),
    ("frequency", None),
    ("power", None),
)
OPTICAL_BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = tuple(
    _anomaly(key, placeholders) for key, placeholders in _PHASES
)


async def _read_now(coordinator: Any) -> None:
    await coordinator.async_read_now()


OPTICAL_BUTTONS: Final[tuple[MeterButtonEntityDescription, ...]] = (
    MeterButtonEntityDescription(
        key="read_now",
        translation_key="read_now",
        press_fn=_read_now,
        # readout meters only: push meters talk on their own
        exists_fn=lambda data: data.readout_seconds is not None,
    ),
)
