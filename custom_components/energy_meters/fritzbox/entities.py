"""
FRITZ!Box catalogue: one row per AHA value (``protocol/fritzbox/devices.py`` FIELDS).

A device gets an entity for each value its function bits give it
(``exists_fn``: the key is in its decoded values); a value without a reading now
is unknown, and a device that is not present is unavailable.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
)

from ..descriptions import (
    LINK_SENSORS,
    MeterBinarySensorEntityDescription,
    MeterSensorEntityDescription,
)
from ..update_policy import Cadence


def _has(key: str) -> Any:
    return lambda data: key in data.values


def _value(key: str) -> Any:
    return lambda data: data.values.get(key)


def _sensor(key: str, **kwargs: Any) -> MeterSensorEntityDescription:
    return MeterSensorEntityDescription(
        key=key, value_fn=_value(key), exists_fn=_has(key), **kwargs
    )


def _binary(key: str, **kwargs: Any) -> MeterBinarySensorEntityDescription:
    return MeterBinarySensorEntityDescription(
        key=key, value_fn=_value(key), exists_fn=_has(key), **kwargs
    )


def _thermostat(key: str) -> MeterSensorEntityDescription:
    return _sensor(
        key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
    )


FRITZBOX_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    _sensor(
        "power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=1,
        cadence=Cadence.FAST,
    ),
    # the plug's lifetime register: state class total (see README), guarded, in Wh
    _sensor(
        "energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        cadence=Cadence.COUNTER,
    ),
    _sensor(
        "voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=1,
    ),
    _sensor(
        "current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=2,
        cadence=Cadence.FAST,
    ),
    _sensor(
        "temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
    ),
    _sensor(
        "humidity",
        device_class=SensorDeviceClass.HUMIDITY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
    ),
    _sensor(
        "battery",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _thermostat("hkr_actual"),
    _thermostat("hkr_target"),
    _thermostat("hkr_comfort"),
    _thermostat("hkr_eco"),
    # counter readings the guard refused
    *(row for row in LINK_SENSORS if row.key == "rejected_readings"),
)

FRITZBOX_BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = (
    _binary(
        "battery_low",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _binary("switch_on", translation_key="switch_on", device_class=BinarySensorDeviceClass.POWER),
    _binary(
        "window_open", translation_key="window_open", device_class=BinarySensorDeviceClass.WINDOW
    ),
    _binary("boost", translation_key="boost"),
    _binary("alarm", device_class=BinarySensorDeviceClass.OPENING, cadence=Cadence.ALARM),
)
