"""
One hub per config entry: the port, the process or the box behind the meters.

The hub is the entry's ``runtime_data``. It owns one coordinator per device
(``coordinators``, keyed by device key), the counter store those devices'
guards are restored from, and, for hubs that serve several devices, a device
of its own that each meter links to with ``via_device_id`` (HA 2026.10; the
``via_device`` tuple is deprecated). Platforms subscribe to new devices with
:meth:`Hub.async_add_device_listener`, so a device that appears later (a new
plug on a FRITZ!Box) gets its entities then.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .coordinator import MeterCoordinator
from .counters import CounterStore

type EnergyMetersConfigEntry = ConfigEntry[Hub]
type DeviceListener = Callable[[MeterCoordinator[Any]], None]


class Hub(ABC):
    """What a config entry runs: one hub, one coordinator per device behind it."""

    def __init__(self, hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> None:
        """Bind the hub to its entry."""
        self.hass = hass
        self.entry = entry
        self.coordinators: dict[str, MeterCoordinator[Any]] = {}
        self.counters = CounterStore(hass, entry.entry_id)
        self.device_id: str | None = None
        self._listeners: list[DeviceListener] = []
        #: the subentries (devices the user declared) this hub was set up with
        self.declared = {sub_id: dict(sub.data) for sub_id, sub in entry.subentries.items()}
        #: the data and options this hub was set up with (a change reloads the entry)
        self.data = dict(entry.data)
        self.options = dict(entry.options)
        #: a reload is under way (later changes ride on it)
        self.reloading = False

    # --- what each kind provides -------------------------------------------------
    def hub_device_info(self) -> DeviceInfo | None:
        """Return the hub's own device (a receiver, a box); None when the hub is just a port."""
        return None

    @abstractmethod
    async def async_setup_devices(self) -> None:
        """Create the coordinators (with :meth:`add_coordinator`) and refresh them once."""

    def diagnostics(self) -> dict[str, Any]:
        """Hub-level diagnostics (redacted by the caller)."""
        return {}

    # --- lifecycle -----------------------------------------------------------------
    async def async_setup(self) -> None:
        """Restore the counter guards, register the hub device, set up the devices."""
        await self.counters.async_load()
        if (info := self.hub_device_info()) is not None:
            device = dr.async_get(self.hass).async_get_or_create(
                config_entry_id=self.entry.entry_id, **info
            )
            self.device_id = device.id
        await self.async_setup_devices()

    async def async_start(self) -> None:
        """Start every device's reader (push kinds)."""
        for coordinator in self.coordinators.values():
            await coordinator.async_start()

    async def async_shutdown(self) -> None:
        """Save the counter guards (readers stop with the entry's background tasks)."""
        await self.counters.async_save()

    # --- entry changes ------------------------------------------------------------
    def _changed(self, entry: EnergyMetersConfigEntry) -> bool:
        declared = {sub_id: dict(sub.data) for sub_id, sub in entry.subentries.items()}
        return (
            dict(entry.data) != self.data
            or dict(entry.options) != self.options
            or declared != self.declared
        )

    async def async_entry_updated(
        self, hass: HomeAssistant, entry: EnergyMetersConfigEntry
    ) -> None:
        """
        Reload when the data, options or declared devices changed (not on a rename).

        Changes made while a reload runs ride on it; one that lands after the new hub
        took its snapshot reloads again.
        """
        if self.reloading or not self._changed(entry):
            return
        self.reloading = True
        await hass.config_entries.async_reload(entry.entry_id)
        if entry.state is ConfigEntryState.LOADED and entry.runtime_data._changed(entry):  # noqa: SLF001
            await entry.runtime_data.async_entry_updated(hass, entry)

    # --- devices -------------------------------------------------------------------
    @callback
    def add_coordinator(
        self, coordinator: MeterCoordinator[Any], via_device_id: str | None = None
    ) -> None:
        """
        Register a device's coordinator and tell the platforms.

        The device sits behind the hub's device, or behind ``via_device_id`` (a registered
        device it is part of: a HAN-FUN unit's device).
        """
        coordinator.via_device_id = via_device_id or self.device_id
        self.coordinators[coordinator.device_key] = coordinator
        for listener in list(self._listeners):
            listener(coordinator)

    @callback
    def async_add_device_listener(self, listener: DeviceListener) -> CALLBACK_TYPE:
        """Call ``listener`` for each device added from now on; return the unsubscriber."""
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    @callback  # noqa: B027 - an optional hook, empty by default
    def async_device_removed(self, device: dr.DeviceEntry) -> None:
        """Forget a device the user deleted (hubs that remember gone devices override)."""

    def serves_device(self, device: dr.DeviceEntry) -> bool:
        """Tell whether ``device`` is the hub's own or one of its current meters."""
        if device.id == self.device_id:
            return True
        ours = {
            identifier
            for coordinator in self.coordinators.values()
            for identifier in coordinator.device_info.get("identifiers", set())
        }
        return bool(device.identifiers & ours)
