"""Switch platform: switchable outputs of a device (a plug's relay), from the kind's catalogue."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MeterCoordinator
from .descriptions import MeterSwitchEntityDescription, async_run_command
from .entity import EnergyMetersEntity, async_add_hub_entities
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

PARALLEL_UPDATES = 1  # one command at a time per platform: a box serialises them anyway


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches of every device of the entry's hub."""
    async_add_hub_entities(
        entry.runtime_data, kind_of(entry).switches, MeterSwitch, async_add_entities
    )


class MeterSwitch(EnergyMetersEntity, SwitchEntity):
    """A switch whose state is read back from the device after every command."""

    entity_description: MeterSwitchEntityDescription

    def __init__(
        self, coordinator: MeterCoordinator[Any], description: MeterSwitchEntityDescription
    ) -> None:
        """Create the switch."""
        super().__init__(coordinator, description)
        self.cadence = description.cadence

    def snapshot(self) -> tuple[Any, Any]:
        """Value that a write would publish."""
        return (self.is_on, None)

    @property
    def is_on(self) -> bool | None:
        """Whether the output is on (None: unknown)."""
        return self.entity_description.value_fn(self.coordinator.data)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on, then read the device back."""
        await self._async_turn(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off, then read the device back."""
        await self._async_turn(on=False)

    async def _async_turn(self, *, on: bool) -> None:
        await async_run_command(
            self.coordinator, self.entity_description.turn_fn(self.coordinator, on)
        )
