"""
Entity descriptions shared by every kind: what a value is and how to read it.

Kinds build their catalogues (``<kind>/entities.py``) from these classes; the
platforms (``sensor.py``, ``binary_sensor.py``, ``switch.py``, ``climate.py``) only
turn them into entities. Controls (switches, thermostats) carry async command
functions that take the device's coordinator: the platform runs the command,
refreshes the device at once, and turns a failure into a translated error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.button import ButtonEntityDescription
from homeassistant.components.climate import ClimateEntityDescription
from homeassistant.components.climate.const import HVACMode
from homeassistant.components.sensor import SensorEntityDescription, SensorStateClass
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.const import EntityCategory, UnitOfRatio
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.typing import StateType

from .const import DOMAIN
from .update_policy import Cadence

type SensorValue = StateType | date | datetime | Decimal


def always_exists(_data: Any) -> bool:
    """Default ``exists_fn``: the value exists for every meter of the kind."""
    return True


@dataclass(frozen=True, kw_only=True)
class MeterSensorEntityDescription(SensorEntityDescription):
    """A meter value: how to read it from the coordinator data and how often to write it."""

    value_fn: Callable[[Any], SensorValue]
    exists_fn: Callable[[Any], bool] = always_exists
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None = None
    cadence: Cadence = Cadence.SLOW


@dataclass(frozen=True, kw_only=True)
class MeterBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A meter flag."""

    value_fn: Callable[[Any], bool | None]
    exists_fn: Callable[[Any], bool] = always_exists
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None = None
    cadence: Cadence = Cadence.SLOW


@dataclass(frozen=True, kw_only=True)
class MeterSwitchEntityDescription(SwitchEntityDescription):
    """A switchable output of a device (a plug's relay)."""

    value_fn: Callable[[Any], bool | None]
    """Whether it is on, from the coordinator data (None: unknown)."""
    turn_fn: Callable[[Any, bool], Awaitable[None]]
    """``await turn_fn(coordinator, on)``: switch it; raise HomeAssistantError on failure."""
    exists_fn: Callable[[Any], bool] = always_exists
    cadence: Cadence = Cadence.ALARM


@dataclass(frozen=True, kw_only=True)
class MeterButtonEntityDescription(ButtonEntityDescription):
    """An action on a device (read a meter out now)."""

    press_fn: Callable[[Any], Awaitable[None]]
    """``await press_fn(coordinator)``: do it; raise HomeAssistantError on failure."""
    exists_fn: Callable[[Any], bool] = always_exists


@dataclass(frozen=True, kw_only=True)
class MeterClimateEntityDescription(ClimateEntityDescription):
    """A thermostat: temperatures in °C, a target to set, optional modes and presets."""

    current_temperature_fn: Callable[[Any], float | None]
    target_temperature_fn: Callable[[Any], float | None]
    set_target_fn: Callable[[Any, float], Awaitable[None]]
    """``await set_target_fn(coordinator, celsius)``; raise HomeAssistantError on failure."""
    min_temp: float
    max_temp: float
    target_temperature_step: float = 0.5
    hvac_modes: tuple[HVACMode, ...] = (HVACMode.HEAT,)
    hvac_mode_fn: Callable[[Any], HVACMode | None] = lambda _data: HVACMode.HEAT
    set_hvac_mode_fn: Callable[[Any, HVACMode], Awaitable[None]] | None = None
    """Needed when ``hvac_modes`` holds more than one mode."""
    preset_modes: tuple[str, ...] = ()
    preset_fn: Callable[[Any], str | None] = lambda _data: None
    set_preset_fn: Callable[[Any, str], Awaitable[None]] | None = None
    """Needed when ``preset_modes`` is not empty."""
    exists_fn: Callable[[Any], bool] = always_exists
    cadence: Cadence = Cadence.ALARM


async def async_run_command(coordinator: Any, command: Awaitable[None]) -> None:
    """
    Run a control's command, then refresh the device at once (its new state, read back).

    A kind's command raises a HomeAssistantError with its own translation key; any
    other error becomes ``exceptions.command_failed``. Only a coordinator whose refresh
    reads the device (a poll) can carry controls.
    """
    try:
        await command
    except HomeAssistantError:
        raise
    except Exception as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"name": str(coordinator.name), "error": str(err)},
        ) from err
    await coordinator.async_refresh()


def _link_attributes(data: Any) -> Mapping[str, Any] | None:
    last = data.link.last_frame
    return {"last_frame": last.isoformat() if last is not None else None}


REJECTED_READINGS: Final = MeterSensorEntityDescription(
    key="rejected_readings",
    translation_key="rejected_readings",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda data: data.link.rejected_readings,
)
"""Readings the counter guard refused (every kind with counters has it)."""


LINK_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    # The time of the last frame changes on every frame: it is an attribute of the
    # link-quality sensor (which has a unit, so the logbook ignores it), not a
    # timestamp sensor that would add an Activity entry on every write.
    MeterSensorEntityDescription(
        key="link_quality",
        translation_key="link_quality",
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.quality,
        attributes_fn=_link_attributes,
    ),
    MeterSensorEntityDescription(
        key="checksum_errors",
        translation_key="checksum_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.checksum_errors,
    ),
    REJECTED_READINGS,
)
RETIRED_LINK_KEYS: Final = frozenset({"last_frame"})
"""Value keys of link entities that no longer exist (removed by the entry migration)."""
