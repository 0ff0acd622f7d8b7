"""
Energy Meters: Linky TIC, IEC 62056-21, wM-Bus and FRITZ!Box meters as HA entities.

Home Assistant is imported lazily here so that ``protocol/`` (and the
simulators built on it) can be imported without Home Assistant installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import EnergyMetersConfigEntry

PLATFORMS: Final = ("binary_sensor", "sensor")


async def async_setup_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Set up one meter from a config entry."""
    kinds = await hass.async_add_import_executor_job(importlib.import_module, f"{__name__}.kinds")
    coordinator = kinds.create_coordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await coordinator.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Unload a config entry (its reader task is cancelled with it)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
