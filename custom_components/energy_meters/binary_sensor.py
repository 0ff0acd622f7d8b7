"""Binary sensor platform: status flags decoded from the meter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import EnergyMetersConfigEntry, MeterCoordinator
from .entity import EnergyMetersEntity, always_exists, async_add_dynamic_entities
from .update_policy import Cadence

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MeterBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A meter flag."""

    value_fn: Callable[[Any], bool | None]
    exists_fn: Callable[[Any], bool] = always_exists
    cadence: Cadence = Cadence.SLOW


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors for a meter."""
    coordinator = entry.runtime_data
    async_add_dynamic_entities(
        coordinator,
        coordinator.binary_sensor_descriptions,
        MeterBinarySensor,
        async_add_entities,
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
        """Value that a write would publish."""
        return (self.entity_description.value_fn(self.coordinator.data), None)

    @property
    def is_on(self) -> bool | None:
        """Current flag."""
        return self.entity_description.value_fn(self.coordinator.data)
