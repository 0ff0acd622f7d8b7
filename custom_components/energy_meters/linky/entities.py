"""
Linky entity catalogue, derived from the TIC label table.

Each TIC label row (``protocol/tic/labels.py``) says what the label measures;
``QUANTITY_PRESENTATION`` says once how each kind of quantity is shown in Home
Assistant. STGE status fields and link diagnostics are tables of their own.

Energy counters use state class ``total`` (not ``total_increasing``): a Linky
index is a lifetime register that never resets, the counter guard keeps
decreases out, and should a glitch still slip through, ``total`` nets it out on
the next true reading, whereas ``total_increasing`` would read a dip of more
than 10 % as a meter reset and count the whole index again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfTime,
)

from ..binary_sensor import MeterBinarySensorEntityDescription
from ..protocol.tic import stge as stge_fields
from ..protocol.tic.labels import LABELS, TicLabel, TicQuantity
from ..sensor import LINK_SENSORS, MeterSensorEntityDescription
from ..update_policy import Cadence
from .data import LinkyData


@dataclass(frozen=True, slots=True)
class Presentation:
    """How a quantity appears in Home Assistant."""

    device_class: SensorDeviceClass | None = None
    state_class: SensorStateClass | None = None
    unit: str | None = None
    suggested_unit: str | None = None
    suggested_precision: int | None = None


QUANTITY_PRESENTATION: Final[dict[TicQuantity, Presentation]] = {
    TicQuantity.ENERGY: Presentation(
        SensorDeviceClass.ENERGY,
        SensorStateClass.TOTAL,
        UnitOfEnergy.WATT_HOUR,
        UnitOfEnergy.KILO_WATT_HOUR,
        3,
    ),
    TicQuantity.REACTIVE_ENERGY: Presentation(
        SensorDeviceClass.REACTIVE_ENERGY,
        SensorStateClass.TOTAL,
        UnitOfReactiveEnergy.VOLT_AMPERE_REACTIVE_HOUR,
        UnitOfReactiveEnergy.KILO_VOLT_AMPERE_REACTIVE_HOUR,
        3,
    ),
    TicQuantity.APPARENT_POWER: Presentation(
        SensorDeviceClass.APPARENT_POWER,
        SensorStateClass.MEASUREMENT,
        UnitOfApparentPower.VOLT_AMPERE,
    ),
    TicQuantity.ACTIVE_POWER: Presentation(
        SensorDeviceClass.POWER, SensorStateClass.MEASUREMENT, UnitOfPower.WATT
    ),
    TicQuantity.APPARENT_POWER_KVA: Presentation(
        SensorDeviceClass.APPARENT_POWER, None, UnitOfApparentPower.KILO_VOLT_AMPERE
    ),
    TicQuantity.CURRENT: Presentation(
        SensorDeviceClass.CURRENT, SensorStateClass.MEASUREMENT, UnitOfElectricCurrent.AMPERE
    ),
    TicQuantity.VOLTAGE: Presentation(
        SensorDeviceClass.VOLTAGE, SensorStateClass.MEASUREMENT, UnitOfElectricPotential.VOLT
    ),
    TicQuantity.DURATION_MIN: Presentation(SensorDeviceClass.DURATION, None, UnitOfTime.MINUTES),
    TicQuantity.NUMBER: Presentation(),
    TicQuantity.TEXT: Presentation(),
    TicQuantity.ENUM: Presentation(SensorDeviceClass.ENUM),
    TicQuantity.TIMESTAMP: Presentation(SensorDeviceClass.TIMESTAMP),
}


def _label_sensor(row: TicLabel) -> MeterSensorEntityDescription:
    look = QUANTITY_PRESENTATION[row.quantity]
    label = row.label

    def value(data: LinkyData) -> Any:
        return data.values.get(label)

    def exists(data: LinkyData) -> bool:
        return label in data.values

    def attributes(data: LinkyData) -> dict[str, Any] | None:
        when = data.measured_at.get(label)
        return None if when is None else {"measured_at": when.isoformat()}

    return MeterSensorEntityDescription(
        key=label.lower(),
        translation_key=row.key,
        device_class=look.device_class,
        state_class=look.state_class,
        native_unit_of_measurement=look.unit,
        suggested_unit_of_measurement=look.suggested_unit,
        suggested_display_precision=look.suggested_precision,
        options=sorted(set(row.states.values())) if row.quantity is TicQuantity.ENUM else None,
        entity_category=EntityCategory.DIAGNOSTIC if row.diagnostic else None,
        entity_registry_enabled_default=row.enabled_by_default,
        value_fn=value,
        exists_fn=exists,
        attributes_fn=attributes
        if row.dated and row.quantity is not TicQuantity.TIMESTAMP
        else None,
        cadence=Cadence(row.cadence.value),
    )


def _stge_enum(
    field_name: str, options: tuple[str, ...], *, diagnostic: bool = False
) -> MeterSensorEntityDescription:
    return MeterSensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        entity_registry_enabled_default=not diagnostic,
        options=list(options),
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=lambda data: data.stge is not None,
        cadence=Cadence.ALARM if field_name == "breaker" else Cadence.SLOW,
    )


def _stge_number(field_name: str) -> MeterSensorEntityDescription:
    return MeterSensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=lambda data: data.stge is not None,
    )


STGE_SENSORS: Final = (
    _stge_enum("breaker", stge_fields.BREAKER_STATES),
    _stge_enum("tempo_today", stge_fields.TEMPO_COLOURS),
    _stge_enum("tempo_tomorrow", stge_fields.TEMPO_COLOURS),
    _stge_enum("mobile_peak_notice", stge_fields.MOBILE_PEAK_STATES),
    _stge_enum("mobile_peak_active", stge_fields.MOBILE_PEAK_STATES),
    _stge_enum("euridis", stge_fields.EURIDIS_STATES, diagnostic=True),
    _stge_enum("cpl_status", stge_fields.CPL_STATES, diagnostic=True),
    _stge_number("supplier_index"),
    _stge_number("distributor_index"),
)

# STGE flags: field, device class, alarm (written at once)
STGE_FLAGS: Final[tuple[tuple[str, BinarySensorDeviceClass | None, bool], ...]] = (
    ("dry_contact_open", BinarySensorDeviceClass.OPENING, False),
    ("terminal_cover_open", BinarySensorDeviceClass.TAMPER, True),
    ("overvoltage", BinarySensorDeviceClass.PROBLEM, True),
    ("overpower", BinarySensorDeviceClass.PROBLEM, True),
    ("producer", None, False),
    ("injecting", None, False),
    ("clock_degraded", BinarySensorDeviceClass.PROBLEM, False),
    ("cpl_synchronised", BinarySensorDeviceClass.CONNECTIVITY, False),
)


def _stge_flag(
    field_name: str, device_class: BinarySensorDeviceClass | None, alarm: bool
) -> MeterBinarySensorEntityDescription:
    return MeterBinarySensorEntityDescription(
        key=f"stge_{field_name}",
        translation_key=f"stge_{field_name}",
        device_class=device_class,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: getattr(data.stge, field_name) if data.stge else None,
        exists_fn=lambda data: data.stge is not None,
        cadence=Cadence.ALARM if alarm else Cadence.SLOW,
    )


LINKY_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    *(_label_sensor(row) for row in LABELS.values() if row.alias_of is None and row.is_entity),
    *STGE_SENSORS,
    *LINK_SENSORS,
)

LINKY_BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = tuple(
    _stge_flag(*row) for row in STGE_FLAGS
)
