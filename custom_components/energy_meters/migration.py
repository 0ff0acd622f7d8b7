"""
Config-entry migrations.

1.1 -> 1.2: entities whose value became something else are removed from the
entity registry (Linky "Last frame" is now an attribute of "Link quality";
"Meter clock" became "Clock offset"), so no orphan stays behind as
"no longer provided". Unique IDs of every other entity are unchanged.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .const import LOGGER
from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

VERSION = 1
MINOR_VERSION = 2


def _remove_retired_entities(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> None:
    retired = kind_of(entry).retired_value_keys
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if any(entity.unique_id.endswith(f"_{key}") for key in retired):
            LOGGER.debug("Removing retired entity %s", entity.entity_id)
            registry.async_remove(entity.entity_id)


STEPS: Final = (_remove_retired_entities,)
"""STEPS[n - 1] takes an entry from minor version n to n + 1."""


async def async_migrate_entry(hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> bool:
    """
    Bring ``entry`` to the current minor version, one step at a time.

    Home Assistant refuses entries of a newer major version before calling this.
    """
    for minor, step in enumerate(STEPS[entry.minor_version - 1 :], start=entry.minor_version):
        step(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=minor + 1)
    return True
