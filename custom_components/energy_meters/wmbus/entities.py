"""
The wM-Bus catalogue: entities from the JSON fields a meter actually sends.

Drivers differ (about 113 in wmbusmeters 2.0.0) and field names change between
versions, so the catalogue is built from rules, not a frozen list: the unit and
device class come from the field-name suffix *and* the JSON value type
(``protocol/wmbus/fields.py``), the device class of a volume from the meter's
medium (water, gas). A field seen for the first time gets its description then
(:class:`FieldCatalogue` grows; the platforms pick new ones up on the next
telegram, without a reload). Totals, power, flow, temperatures and status are
enabled; any other field is a disabled generic sensor named after the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import SIGNAL_STRENGTH_DECIBELS_MILLIWATT, EntityCategory

from ..descriptions import (
    REJECTED_READINGS,
    MeterBinarySensorEntityDescription,
    MeterSensorEntityDescription,
)
from ..protocol.wmbus.fields import Quantity, Unit, field_unit, is_total
from ..protocol.wmbus.output import FieldValue
from ..update_policy import Cadence
from .coordinator import media_class
from .data import ReceiverData, WmbusMeterData

_DEVICE_CLASSES: Final = {
    Quantity.FLOW: SensorDeviceClass.VOLUME_FLOW_RATE,
    Quantity.ENERGY: SensorDeviceClass.ENERGY,
    Quantity.POWER: SensorDeviceClass.POWER,
    Quantity.TEMPERATURE: SensorDeviceClass.TEMPERATURE,
    Quantity.VOLTAGE: SensorDeviceClass.VOLTAGE,
    Quantity.CURRENT: SensorDeviceClass.CURRENT,
    Quantity.FREQUENCY: SensorDeviceClass.FREQUENCY,
    Quantity.PRESSURE: SensorDeviceClass.PRESSURE,
    Quantity.HUMIDITY: SensorDeviceClass.HUMIDITY,
    Quantity.REACTIVE_ENERGY: SensorDeviceClass.REACTIVE_ENERGY,
    Quantity.REACTIVE_POWER: SensorDeviceClass.REACTIVE_POWER,
    Quantity.APPARENT_POWER: SensorDeviceClass.APPARENT_POWER,
    Quantity.SIGNAL: SensorDeviceClass.SIGNAL_STRENGTH,
    Quantity.DURATION: SensorDeviceClass.DURATION,
}
_VOLUME_CLASSES: Final = {"water": SensorDeviceClass.WATER, "gas": SensorDeviceClass.GAS}
_FAST: Final = frozenset({Quantity.POWER, Quantity.FLOW, Quantity.CURRENT})
_ENABLED: Final = frozenset({Quantity.POWER, Quantity.FLOW, Quantity.TEMPERATURE, Quantity.HCA})
NAMED_FIELDS: Final = {
    # field -> translation key (fields most meters send; the rest use "wmbus_field")
    "total_m3": "wmbus_total_volume",
    "total_energy_consumption_kwh": "wmbus_total_energy",
    "total_energy_consumption_tariff1_kwh": "wmbus_total_energy_tariff1",
    "total_energy_consumption_tariff2_kwh": "wmbus_total_energy_tariff2",
    "total_volume_m3": "wmbus_total_volume",
    "power_kw": "wmbus_power",
    "volume_flow_m3h": "wmbus_flow",
    "flow_m3h": "wmbus_flow",
    "max_flow_m3h": "wmbus_max_flow",
    "flow_temperature_c": "wmbus_flow_temperature",
    "return_temperature_c": "wmbus_return_temperature",
    "external_temperature_c": "wmbus_external_temperature",
    "temperature_difference_c": "wmbus_temperature_difference",
    "current_consumption_hca": "wmbus_current_consumption",
    "consumption_at_set_date_hca": "wmbus_consumption_at_set_date",
    "target_m3": "wmbus_target_volume",
    "status": "wmbus_status",
    "current_status": "wmbus_current_status",
}
STATUS_FIELDS: Final = frozenset({"status", "current_status"})


def _field_value(name: str) -> Any:
    def value(data: WmbusMeterData) -> FieldValue:
        return data.values.get(name)

    return value


def _variant(data: Any, name: str) -> tuple[str, str] | None:
    """(kind, medium class) of field ``name`` in ``data``: what picks its description."""
    if not isinstance(data, WmbusMeterData) or name not in data.values:
        return None
    value = data.values[name]
    unit = field_unit(name, value)
    if unit is None:
        kind = "text" if isinstance(value, str) or value is None else "number"
    else:
        kind = unit.suffix
    klass = media_class(data.media) if unit is not None and unit.quantity is Quantity.VOLUME else ""
    return kind, klass


def build_description(name: str, variant: tuple[str, str]) -> MeterSensorEntityDescription:
    """Describe field ``name`` as its first telegram showed it."""
    kind, klass = variant
    unit: Unit | None = field_unit(name, 0.0) if kind not in {"text", "number"} else None
    translation_key = NAMED_FIELDS.get(name, "wmbus_field")
    placeholders = None if name in NAMED_FIELDS else {"field": name}
    enabled = name in NAMED_FIELDS or name in STATUS_FIELDS
    device_class: SensorDeviceClass | None = None
    state_class: SensorStateClass | None = None
    cadence = Cadence.SLOW
    if unit is not None:
        if unit.quantity is Quantity.VOLUME:
            device_class = _VOLUME_CLASSES.get(klass, SensorDeviceClass.VOLUME)
        else:
            device_class = _DEVICE_CLASSES.get(unit.quantity)
        if is_total(name, unit):
            state_class = SensorStateClass.TOTAL
            enabled = True
        elif unit.quantity in {Quantity.VOLUME, Quantity.ENERGY}:
            state_class = None  # a billing-date or target value: not a measurement
        else:
            state_class = SensorStateClass.MEASUREMENT
        enabled = enabled or unit.quantity in _ENABLED
        if unit.quantity in _FAST:
            cadence = Cadence.FAST

    def exists(data: Any) -> bool:
        return _variant(data, name) == variant

    return MeterSensorEntityDescription(
        key=name,
        translation_key=translation_key,
        translation_placeholders=placeholders,
        device_class=device_class,
        state_class=state_class,
        native_unit_of_measurement=unit.symbol if unit is not None else None,
        entity_registry_enabled_default=enabled,
        value_fn=_field_value(name),
        exists_fn=exists,
        cadence=cadence,
    )


def _meter(data: Any) -> bool:
    return isinstance(data, WmbusMeterData)


def _receiver(data: Any) -> bool:
    return isinstance(data, ReceiverData)


def _telegram_attributes(data: WmbusMeterData) -> dict[str, Any]:
    return {
        "last_telegram": data.last_telegram.isoformat() if data.last_telegram else None,
        "interval_s": round(data.interval) if data.interval is not None else None,
        "driver": data.driver,
        "media": data.media,
    }


STATIC_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    MeterSensorEntityDescription(
        key="telegrams",
        translation_key="wmbus_telegrams",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        # changes on every telegram: a recorder row each time for little use (RSSI, the
        # meter's own values and availability tell the link is alive); enable it to debug
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.telegrams,
        attributes_fn=_telegram_attributes,
        exists_fn=_meter,
    ),
    MeterSensorEntityDescription(
        key="rssi",
        translation_key="wmbus_rssi",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.rssi_dbm,
        exists_fn=lambda data: _meter(data) and data.rssi_dbm is not None,
    ),
    replace(REJECTED_READINGS, exists_fn=_meter),  # meters only, not the receiver
    MeterSensorEntityDescription(
        key="restarts",
        translation_key="wmbus_restarts",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.restarts,
        exists_fn=_receiver,
    ),
    MeterSensorEntityDescription(
        key="receiver_telegrams",
        translation_key="wmbus_telegrams",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # as the meters' counters
        value_fn=lambda data: data.telegrams,
        exists_fn=_receiver,
    ),
)

BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = (
    MeterBinarySensorEntityDescription(
        key="receiver_running",
        translation_key="wmbus_receiver_running",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.running and data.problem is None,
        exists_fn=_receiver,
        cadence=Cadence.ALARM,
    ),
)


class FieldCatalogue(tuple[MeterSensorEntityDescription, ...]):
    """
    The sensors of the kind: the static ones, then one per field heard so far.

    The shared platforms iterate the catalogue on every coordinator update, so
    iterating it after :meth:`learn` added a field creates that field's entity.
    (A core hook "descriptions for this data" would be cleaner; see the kind's
    notes.)
    """

    _fields: dict[tuple[str, tuple[str, str]], MeterSensorEntityDescription]

    def __new__(cls, static: tuple[MeterSensorEntityDescription, ...]) -> FieldCatalogue:
        """Start from the static descriptions."""
        self = super().__new__(cls, static)
        self._fields = {}
        return self

    def __iter__(self) -> Iterator[MeterSensorEntityDescription]:
        """Iterate the static descriptions, then the learned fields."""
        yield from super().__iter__()
        yield from list(self._fields.values())

    def learn(self, data: WmbusMeterData) -> None:
        """Add a description for every field of ``data`` not seen in this form before."""
        for name in data.values:
            variant = _variant(data, name)
            if variant is not None and (name, variant) not in self._fields:
                self._fields[name, variant] = build_description(name, variant)

    @property
    def learned(self) -> int:
        """How many field descriptions were added."""
        return len(self._fields)


SENSORS: Final = FieldCatalogue(STATIC_SENSORS)
