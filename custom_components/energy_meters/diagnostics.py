"""Diagnostics download: entry, device and the kind's own counters, secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import EnergyMetersConfigEntry

# redacted whatever the kind: meter serials, delivery point, keys, passwords
REDACT_ALWAYS = frozenset(
    {"title", "serial", "serial_number", "password", "username", "key", "unique_id"}
)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnergyMetersConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data
    redact = REDACT_ALWAYS | coordinator.redact_keys
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "available": coordinator.last_update_success,
            "last_error": str(coordinator.last_exception) if coordinator.last_exception else None,
            "meter": coordinator.diagnostics(),
        },
        redact,
    )
