"""Sensor platform: one entity per meter value, built from the kind's catalogue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfRatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import EnergyMetersConfigEntry, MeterCoordinator
from .entity import EnergyMetersEntity, always_exists, async_add_dynamic_entities
from .update_policy import Cadence

PARALLEL_UPDATES = 0

type SensorValue = StateType | date | datetime | Decimal


@dataclass(frozen=True, kw_only=True)
class MeterSensorEntityDescription(SensorEntityDescription):
    """A meter value: how to read it from the coordinator data and how often to write it."""

    value_fn: Callable[[Any], SensorValue]
    exists_fn: Callable[[Any], bool] = always_exists
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None = None
    cadence: Cadence = Cadence.SLOW


# Link-quality diagnostics, shared by every kind (values from MeterData.link)
LINK_SENSORS: Final[tuple[MeterSensorEntityDescription, ...]] = (
    MeterSensorEntityDescription(
        key="link_quality",
        translation_key="link_quality",
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.quality,
    ),
    MeterSensorEntityDescription(
        key="checksum_errors",
        translation_key="checksum_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.checksum_errors,
    ),
    MeterSensorEntityDescription(
        key="rejected_readings",
        translation_key="rejected_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.rejected_readings,
    ),
    MeterSensorEntityDescription(
        key="last_frame",
        translation_key="last_frame",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.last_frame,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors for a meter."""
    coordinator = entry.runtime_data
    async_add_dynamic_entities(
        coordinator,
        coordinator.sensor_descriptions,
        MeterSensor,
        async_add_entities,
    )


class MeterSensor(EnergyMetersEntity, SensorEntity):
    """A sensor fed by a meter coordinator."""

    entity_description: MeterSensorEntityDescription

    def __init__(
        self, coordinator: MeterCoordinator[Any], description: MeterSensorEntityDescription
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description)
        self.cadence = description.cadence

    def snapshot(self) -> tuple[Any, Any]:
        """Value and attributes that a write would publish."""
        data = self.coordinator.data
        attributes = (
            self.entity_description.attributes_fn(data)
            if self.entity_description.attributes_fn is not None
            else None
        )
        return (self.entity_description.value_fn(data), attributes)

    @property
    def native_value(self) -> SensorValue:
        """Current value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra attributes (e.g. the time a dated value was measured)."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)
