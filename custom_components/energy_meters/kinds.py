"""
Registry of meter kinds: which coordinator serves which kind.

Adding a kind = a protocol module under ``protocol/``, a coordinator with its
entity catalogue in its own subpackage, a config-flow step, and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription

from .const import CONF_KIND, MeterKind
from .coordinator import EnergyMetersConfigEntry, MeterCoordinator
from .linky.coordinator import LinkyCoordinator
from .linky.entities import LINKY_BINARY_SENSORS, LINKY_SENSORS

COORDINATORS: dict[
    MeterKind, Callable[[HomeAssistant, EnergyMetersConfigEntry], MeterCoordinator[Any]]
] = {
    MeterKind.LINKY: LinkyCoordinator,
}


def create_coordinator(
    hass: HomeAssistant, entry: EnergyMetersConfigEntry
) -> MeterCoordinator[Any]:
    """Build the coordinator serving the entry's meter kind."""
    return COORDINATORS[MeterKind(entry.data[CONF_KIND])](hass, entry)


def all_entity_descriptions() -> list[tuple[str, EntityDescription]]:
    """Every (platform, description) any kind may create (translation checks use it)."""
    return [
        *(("sensor", description) for description in LINKY_SENSORS),
        *(("binary_sensor", description) for description in LINKY_BINARY_SENSORS),
    ]
