"""Sensor platform: one entity per meter value, built from the kind's catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MeterCoordinator
from .descriptions import MeterSensorEntityDescription, SensorValue
from .entity import EnergyMetersEntity, async_add_hub_entities
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every device of the entry's hub."""
    async_add_hub_entities(
        entry.runtime_data, kind_of(entry).sensors, MeterSensor, async_add_entities
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
        return (self.native_value, self.extra_state_attributes)

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
