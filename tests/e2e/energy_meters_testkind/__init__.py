"""
Test-only extension: registers a hub kind whose meters are config subentries.

Copied into a real Home Assistant's ``custom_components`` by the end-to-end test
(and imported directly by in-process tests) to prove the subentry shape
before a real kind uses it. It is never shipped.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.kinds import KINDS, register_kind

from .kind import TEST_HUB, TEST_KIND


async def async_setup(hass: HomeAssistant, config: dict[str, Any]) -> bool:
    """Register the kind and make sure one test hub entry exists."""
    register_kind(TEST_HUB)
    assert TEST_KIND in KINDS
    entries = hass.config_entries.async_entries(DOMAIN)
    if not any(entry.data.get("kind") == TEST_KIND for entry in entries):
        await hass.config_entries.flow.async_init(DOMAIN, context={"source": TEST_KIND})
    return True
