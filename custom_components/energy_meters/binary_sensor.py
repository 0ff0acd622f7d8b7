"""Binary sensor platform: status flags decoded from the meter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MeterCoordinator
from .descriptions import MeterBinarySensorEntityDescription
from .entity import EnergyMetersEntity, async_add_hub_entities
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of every device of the entry's hub."""
    async_add_hub_entities(
        entry.runtime_data, kind_of(entry).binary_sensors, MeterBinarySensor, async_add_entities
    )


class MeterBinarySensor(EnergyMetersEntity, BinarySensorEntity):
    """A binary sensor fed by a meter coordinator."""

    entity_description: MeterBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: MeterCoordinator[Any],
        description: MeterBinarySensorEntityDescription,
    ) -> None:
        """Create the binary sensor."""
        super().__init__(coordinator, description)
        self.cadence = description.cadence

    def snapshot(self) -> tuple[Any, Any]:
        """Value and attributes that a write would publish."""
        return (self.is_on, self.extra_state_attributes)

    @property
    def is_on(self) -> bool | None:
        """Current flag."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra attributes (e.g. the measured value and the threshold of an anomaly)."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)
