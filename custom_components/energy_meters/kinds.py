"""Registry of meter kinds: which coordinator serves which kind.

Adding a kind = a protocol module under ``protocol/``, a coordinator with its
entity catalogue in its own subpackage, a config-flow step, and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant

from .const import MeterKind
from .coordinator import EnergyMetersConfigEntry, MeterCoordinator
from .linky.coordinator import LinkyCoordinator

COORDINATORS: dict[MeterKind, Callable[[HomeAssistant, EnergyMetersConfigEntry], MeterCoordinator[Any]]] = {
    MeterKind.LINKY: LinkyCoordinator,
}


def create_coordinator(
    hass: HomeAssistant, entry: EnergyMetersConfigEntry, kind: MeterKind
) -> MeterCoordinator[Any]:
    """Build the coordinator serving ``kind``."""
    return COORDINATORS[kind](hass, entry)
