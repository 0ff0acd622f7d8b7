"""
FRITZ!Box catalogue: one row per AHA value (``protocol/fritzbox/devices.py`` FIELDS).

A device gets an entity for each value its function bits give it
(``exists_fn``: the key is in its decoded values); a value without a reading now
is unknown, and a device that is not present is unavailable.

Controls: a switchable socket (function bit 9) gets a switch (``setswitchon/off``), so
does a HAN-FUN on/off unit (bit 15 without 9: ``setsimpleonoff``); a thermostat gets a
climate entity (``sethkrtsoll``: heat/off, 8-28 °C in 0.5 °C steps, presets comfort, eco
and boost = valve fully open), like core ``fritzbox``. A device locked on the box
(``lock``: no switching through its UI or the API) is refused a command before it is
sent, as core does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.climate.const import (
    PRESET_BOOST,
    PRESET_COMFORT,
    PRESET_ECO,
    HVACMode,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.components.switch.const import SwitchDeviceClass
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.exceptions import HomeAssistantError

from ..const import DOMAIN
from ..descriptions import (
    REJECTED_READINGS,
    MeterBinarySensorEntityDescription,
    MeterClimateEntityDescription,
    MeterSensorEntityDescription,
    MeterSwitchEntityDescription,
)
from ..protocol.fritzbox.client import AhaClient, AhaError
from ..protocol.fritzbox.devices import HKR_MAX_CELSIUS, HKR_MIN_CELSIUS, Function
from ..update_policy import Cadence

if TYPE_CHECKING:
    from .coordinator import FritzDeviceCoordinator


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


def _unlocked(key: str) -> Any:
    """Device class lock: on means unlocked (the box's flag is 1 when locked)."""
    return lambda data: None if (locked := data.values.get(key)) is None else not locked


def _thermostat(key: str, cadence: Cadence = Cadence.SLOW) -> MeterSensorEntityDescription:
    return _sensor(
        key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        cadence=cadence,
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
        # the mains voltage, the same at every plug and read better at the meter: off by
        # default (it would add a state row at every poll for each plug)
        entity_registry_enabled_default=False,
    ),
    _sensor(
        "current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=2,
        cadence=Cadence.FAST,
        # derived (power / voltage), nothing the power does not show: off by default,
        # which saves 720 state rows a day per plug
        entity_registry_enabled_default=False,
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
    _thermostat("hkr_target", Cadence.ALARM),  # a set point: shown at once, like the climate
    _thermostat("hkr_comfort"),
    _thermostat("hkr_eco"),
    # counter readings the guard refused
    REJECTED_READINGS,
)

FRITZBOX_BINARY_SENSORS: Final[tuple[MeterBinarySensorEntityDescription, ...]] = (
    _binary(
        "battery_low",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    # a relay that switched is written at once, like the switch itself
    _binary(
        "switch_on",
        translation_key="switch_on",
        device_class=BinarySensorDeviceClass.POWER,
        cadence=Cadence.ALARM,
    ),
    _binary(
        "window_open", translation_key="window_open", device_class=BinarySensorDeviceClass.WINDOW
    ),
    _binary("boost", translation_key="boost"),
    _binary("alarm", device_class=BinarySensorDeviceClass.OPENING, cadence=Cadence.ALARM),
    # Settings made on the box, read only: a binary sensor cannot be CONFIG (Home Assistant
    # refuses to add one: CONFIG is for entities that change a setting), so DIAGNOSTIC, as
    # in core. Plugs and thermostats: "lock" forbids switching through the box's UI and the
    # API (commands are refused, see _run), "device_lock" the buttons on the device. They
    # rarely change; when they do, at once, as the refusal does.
    *(
        MeterBinarySensorEntityDescription(
            key=key,
            translation_key=key,
            device_class=BinarySensorDeviceClass.LOCK,
            entity_category=EntityCategory.DIAGNOSTIC,
            value_fn=_unlocked(key),
            exists_fn=_has(key),
            cadence=Cadence.ALARM,
        )
        for key in ("lock", "device_lock")
    ),
)


# --- controls ------------------------------------------------------------------------
async def _run(
    coordinator: FritzDeviceCoordinator, command: Callable[[AhaClient, str], Awaitable[object]]
) -> None:
    """Send one command for the device; a refused or failed one is a translated error."""
    if coordinator.data is not None and coordinator.data.values.get("lock"):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="fritzbox_locked",
            translation_placeholders={"name": coordinator.device.name},
        )
    client: AhaClient = coordinator.config_entry.runtime_data.client
    try:
        await command(client, coordinator.device.ain)
    except (AhaError, ValueError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="fritzbox_command_failed",
            translation_placeholders={"name": coordinator.device.name, "error": str(err)},
        ) from err


async def _turn(coordinator: FritzDeviceCoordinator, on: bool) -> None:
    """Switch a socket (bit 9) with ``setswitchon/off``, a HAN-FUN unit with ``setsimpleonoff``."""
    if coordinator.device.functions & Function.SOCKET:
        await _run(coordinator, lambda client, ain: client.set_switch(ain, on))
    else:
        await _run(coordinator, lambda client, ain: client.set_simple_on_off(ain, on))


async def _set_target(coordinator: FritzDeviceCoordinator, celsius: float) -> None:
    await _run(coordinator, lambda client, ain: client.set_target_temperature(ain, celsius))


async def _set_preset_temperature(coordinator: FritzDeviceCoordinator, key: str) -> None:
    """Set the target to the device's comfort or eco temperature (as set on the box)."""
    celsius = coordinator.data.values.get(key) if coordinator.data is not None else None
    if not isinstance(celsius, float | int):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="fritzbox_preset_unknown",
            translation_placeholders={"name": coordinator.device.name},
        )
    await _set_target(coordinator, float(celsius))


async def _set_hvac_mode(coordinator: FritzDeviceCoordinator, mode: HVACMode) -> None:
    if mode == HVACMode.OFF:
        await _run(coordinator, lambda client, ain: client.set_thermostat_off(ain))
    else:  # heat again: at the comfort temperature, as core does
        await _set_preset_temperature(coordinator, "hkr_comfort")


async def _set_preset(coordinator: FritzDeviceCoordinator, preset: str) -> None:
    if preset == PRESET_BOOST:  # 254: valve fully open until changed
        await _run(coordinator, lambda client, ain: client.set_thermostat_on(ain))
    else:
        await _set_preset_temperature(
            coordinator, "hkr_comfort" if preset == PRESET_COMFORT else "hkr_eco"
        )


def _hvac_mode(data: Any) -> HVACMode | None:
    off = data.values.get("hkr_off")
    if off is None:
        return None
    return HVACMode.OFF if off else HVACMode.HEAT


def _preset(data: Any) -> str | None:
    values = data.values
    if values.get("hkr_on") or values.get("boost"):
        return PRESET_BOOST
    target = values.get("hkr_target")
    if target is None:
        return None
    if target == values.get("hkr_comfort"):
        return PRESET_COMFORT
    if target == values.get("hkr_eco"):
        return PRESET_ECO
    return None


FRITZBOX_SWITCHES: Final[tuple[MeterSwitchEntityDescription, ...]] = (
    # the plug is the device's main feature: the switch takes the device's name
    MeterSwitchEntityDescription(
        key="switch",
        name=None,
        device_class=SwitchDeviceClass.OUTLET,
        value_fn=_value("switch_on"),
        exists_fn=_has("switch_on"),
        turn_fn=_turn,
    ),
)

FRITZBOX_CLIMATES: Final[tuple[MeterClimateEntityDescription, ...]] = (
    MeterClimateEntityDescription(
        key="thermostat",
        name=None,
        current_temperature_fn=lambda data: (
            data.values.get("hkr_actual")
            if data.values.get("hkr_actual") is not None
            else data.values.get("temperature")
        ),
        target_temperature_fn=_value("hkr_target"),
        set_target_fn=_set_target,
        min_temp=HKR_MIN_CELSIUS,
        max_temp=HKR_MAX_CELSIUS,
        target_temperature_step=0.5,
        hvac_modes=(HVACMode.HEAT, HVACMode.OFF),
        hvac_mode_fn=_hvac_mode,
        set_hvac_mode_fn=_set_hvac_mode,
        preset_modes=(PRESET_COMFORT, PRESET_ECO, PRESET_BOOST),
        preset_fn=_preset,
        set_preset_fn=_set_preset,
        exists_fn=_has("hkr_target"),
    ),
)
