"""
Diagnostics download: the entry, its hub and every device, secrets redacted.

Two layers: keys named in ``REDACT_ALWAYS`` or in the kind's ``redact`` set are
replaced wherever they appear; then every secret value of the entry (serials,
keys, passwords, the unique ID) is scrubbed from any string in the output,
whatever key it sits under (a serial inside an error message, a title…).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .hub import EnergyMetersConfigEntry
from .kinds import kind_of

REDACT_ALWAYS = frozenset(
    {"title", "serial", "serial_number", "password", "username", "key", "unique_id", "name"}
)
MIN_SECRET_LENGTH = 4
"""Shorter values are not scrubbed from text (they would match everywhere)."""


def _secret_values(data: Any, keys: frozenset[str]) -> Iterable[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in keys and isinstance(value, str | int):
                yield str(value)
            else:
                yield from _secret_values(value, keys)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _secret_values(item, keys)


def scrub(data: Any, secrets: frozenset[str]) -> Any:
    """Replace every occurrence of a secret in the strings of ``data``."""
    if isinstance(data, str):
        for secret in secrets:
            data = data.replace(secret, REDACTED)
        return data
    if isinstance(data, dict):
        return {key: scrub(value, secrets) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [scrub(item, secrets) for item in data]
    return data


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnergyMetersConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    hub = entry.runtime_data
    redact = REDACT_ALWAYS | kind_of(entry).redact
    raw = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "version": f"{entry.version}.{entry.minor_version}",
            "data": dict(entry.data),
            "options": dict(entry.options),
            "subentries": [
                {"type": sub.subentry_type, "title": sub.title, "data": dict(sub.data)}
                for sub in entry.subentries.values()
            ],
        },
        "hub": hub.diagnostics(),
        "devices": [
            {
                "available": coordinator.last_update_success,
                "last_error": str(coordinator.last_exception)
                if coordinator.last_exception
                else None,
                "meter": coordinator.diagnostics(),
            }
            for coordinator in hub.coordinators.values()
        ],
    }
    secrets = frozenset(
        value
        for value in (
            *_secret_values(raw["entry"], redact),
            entry.unique_id or "",
            entry.title,
        )
        if len(value) >= MIN_SECRET_LENGTH
    )
    return scrub(async_redact_data(raw, redact), secrets)  # type: ignore[no-any-return]
