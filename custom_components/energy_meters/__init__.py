"""Energy Meters: Linky TIC, IEC 62056-21, wM-Bus and FRITZ!Box meters as Home Assistant entities."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .const import CONF_KIND, MeterKind
from .coordinator import EnergyMetersConfigEntry
from .kinds import create_coordinator

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Set up one meter from a config entry."""
    coordinator = create_coordinator(hass, entry, MeterKind(entry.data[CONF_KIND]))
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await coordinator.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """Unload a config entry (its reader task is cancelled with it)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
