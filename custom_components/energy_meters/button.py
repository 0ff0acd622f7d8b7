"""Button platform: actions on a device (read a meter out now), from the kind's catalogue."""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import MeterCoordinator
from .descriptions import MeterButtonEntityDescription
from .entity import EnergyMetersEntity, async_add_hub_entities
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

PARALLEL_UPDATES = 0  # presses of one device share its session (the kind serialises)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyMetersConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons of every device of the entry's hub."""
    async_add_hub_entities(
        entry.runtime_data, kind_of(entry).buttons, MeterButton, async_add_entities
    )


class MeterButton(EnergyMetersEntity, ButtonEntity):
    """A button whose press runs the kind's action on the device."""

    entity_description: MeterButtonEntityDescription

    def __init__(
        self, coordinator: MeterCoordinator[Any], description: MeterButtonEntityDescription
    ) -> None:
        """Create the button."""
        super().__init__(coordinator, description)

    def snapshot(self) -> tuple[Any, Any]:
        """Return nothing to write: a button has no state of its own."""
        return (None, None)

    async def async_press(self) -> None:
        """Run the action."""
        await self.entity_description.press_fn(self.coordinator)
