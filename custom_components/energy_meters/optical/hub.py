"""An optical hub: one port (IR head, customer-interface cable), one meter behind it."""

from __future__ import annotations

from ..hub import Hub
from .const import CONF_IDENTITY
from .coordinator import coordinator_for


class OpticalHub(Hub):
    """One port serving one meter (no hub device of its own)."""

    async def async_setup_devices(self) -> None:
        """Create the protocol's coordinator and wait for its first reading."""
        identity = self.entry.data[CONF_IDENTITY]
        coordinator = coordinator_for(self.hass, self.entry, self.counters.guards_for(identity))
        try:
            await coordinator.async_config_entry_first_refresh()
        except BaseException:
            await coordinator.async_shutdown()  # the next setup attempt opens the port again
            raise
        self.add_coordinator(coordinator)
