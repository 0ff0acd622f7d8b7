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
    from homeassistant.helpers.device_registry import DeviceEntry

    from .hub import EnergyMetersConfigEntry

PLATFORMS: Final = ("binary_sensor", "button", "climate", "sensor", "switch")


async def async_setup_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Set up one hub (a port, a process, a box) and the devices behind it."""
    kinds = await hass.async_add_import_executor_job(importlib.import_module, f"{__name__}.kinds")
    hub = kinds.kind_of(entry).create_hub(hass, entry)
    await hub.async_setup()
    entry.runtime_data = hub
    await hub.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(hub.async_entry_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Unload a hub (its readers are cancelled with the entry; guards are saved)."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_shutdown()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> None:
    """Forget everything the entry stored (``.storage/energy_meters.<entry_id>.*``)."""
    counters = importlib.import_module(f"{__name__}.counters")
    await counters.async_remove_entry_stores(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EnergyMetersConfigEntry, device: DeviceEntry
) -> bool:
    """Let the user remove a device the hub no longer serves (a meter that is gone)."""
    hub = entry.runtime_data
    if hub.serves_device(device):
        return False
    hub.async_device_removed(device)  # if it comes back, it is a new device with new entities
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Migrate an entry to the current version (see ``migration.py``)."""
    migration = importlib.import_module(f"{__name__}.migration")
    result: bool = await migration.async_migrate_entry(hass, entry)
    return result
