"""A Linky hub: one TIC port, one meter behind it (no hub device of its own)."""

from __future__ import annotations

from ..hub import Hub
from .coordinator import LinkyCoordinator


class LinkyHub(Hub):
    """One TIC dongle serving one meter."""

    async def async_setup_devices(self) -> None:
        """Open the port and wait for the meter's first frame."""
        coordinator = LinkyCoordinator(
            self.hass, self.entry, self.counters.guards_for(self.entry.data["serial"])
        )
        await coordinator.async_config_entry_first_refresh()
        self.add_coordinator(coordinator)
