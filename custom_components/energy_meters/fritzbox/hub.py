"""
A FRITZ!Box hub: the box is a device; its plugs, thermostats and contacts sit behind it.

A HAN-FUN device is listed as the device and its units (``<AIN>-<n>``, which carry the
values). Each unit is a device of its own (its unique IDs are the unit's AIN, as they
always were), named by the box, with the product and firmware of the device it belongs to.
When that device has values of its own (a battery), it is a device too and its units sit
behind it (``via_device_id``), as the box's devices sit behind the box; when it has none,
it is not shown at all: a device without entities would only be clutter.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import UpdateFailed

from ..const import DOMAIN
from ..coordinator import translated_failure
from ..hub import EnergyMetersConfigEntry, Hub
from ..protocol.fritzbox.client import AhaClient
from ..protocol.fritzbox.devices import AhaDevice
from .backfill import EnergyBackfill
from .coordinator import FritzboxPoller, FritzDeviceCoordinator


class FritzboxHub(Hub):
    """One box, one session, one coordinator per AIN."""

    def __init__(self, hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> None:
        """Create the client on Home Assistant's shared HTTP session."""
        super().__init__(hass, entry)
        verify = bool(entry.data.get(CONF_VERIFY_SSL, False))
        self.client = AhaClient(
            async_get_clientsession(hass, verify_ssl=verify),
            entry.data[CONF_HOST],
            entry.data[CONF_USERNAME],
            entry.data[CONF_PASSWORD],
            verify_ssl=verify,
        )
        self.poller = FritzboxPoller(hass, entry, self.client)
        #: imports each plug's energy history into its statistics once (backfill.py)
        self.backfill = EnergyBackfill(hass, entry, self.client)
        #: the devices the box lists now, and those it stopped listing (unavailable,
        #: removable by the user); ``coordinators`` holds the listed ones
        self.listed: dict[str, FritzDeviceCoordinator] = {}
        self.gone: dict[str, FritzDeviceCoordinator] = {}

    def hub_device_info(self) -> DeviceInfo:
        """Describe the box itself."""
        return DeviceInfo(
            identifiers={(DOMAIN, f"fritzbox_{self.entry.unique_id or self.entry.entry_id}")},
            name=self.entry.title,
            manufacturer="AVM",
            model="FRITZ!Box",
            configuration_url=str(self.client.url),
        )

    async def async_setup_devices(self) -> None:
        """Log in, read the device list once, then follow every poll."""
        await self.backfill.async_load()
        await self.poller.async_config_entry_first_refresh()
        self._remove_unit_holders()
        self._sync()
        self.entry.async_on_unload(self.poller.async_add_listener(self._sync))

    async def _refresh_box(self) -> None:
        await self.poller.async_refresh()

    @callback
    def _sync(self) -> None:
        """Hand each device its part of the poll; add new devices, retire gone ones."""
        if not self.poller.last_update_success:
            err = self.poller.last_exception
            failure = (
                err
                if isinstance(err, UpdateFailed)
                else translated_failure("fritzbox_cannot_connect", error=str(err))
            )
            for coordinator in self.listed.values():
                coordinator.async_set_unavailable(failure)
            return
        devices = {key: device for key, device in self.poller.data.items() if not device.only_units}
        # a unit after its device, which must be registered before the unit links to it
        for key, device in sorted(devices.items(), key=lambda item: item[1].parent is not None):
            if key in self.listed:
                self._publish(self.listed[key], device)
            elif key in self.gone:
                coordinator = self.listed[key] = self.coordinators[key] = self.gone.pop(key)
                self._publish(coordinator, device)  # back: its entities still exist
            else:
                coordinator = FritzDeviceCoordinator(
                    self.hass, self.entry, device, self.counters.guards_for(key), self._refresh_box
                )
                self._publish(coordinator, device)
                self.listed[key] = coordinator
                self.add_coordinator(coordinator, self._parent_device_id(device))
        for key in [key for key in self.listed if key not in devices]:
            gone = self.gone[key] = self.listed.pop(key)
            del self.coordinators[key]
            gone.async_set_unavailable(
                translated_failure("fritzbox_device_gone", name=gone.device.name)
            )
        self.backfill.async_poll_succeeded(self.listed.values())  # never after a failed poll

    def _publish(self, coordinator: FritzDeviceCoordinator, device: AhaDevice) -> None:
        """Hand a device its part; an energy increase after a long silence is an outage."""
        before = coordinator.guards.last("energy")
        coordinator.publish(device)
        interval = self.poller.update_interval
        self.backfill.async_note_reading(
            coordinator.device_key,
            before,
            coordinator.guards.last("energy"),
            3 * interval.total_seconds() if interval else 0.0,
        )

    def _parent_device_id(self, unit: AhaDevice) -> str | None:
        """Return the registry id of the device a HAN-FUN unit belongs to, if it is shown."""
        if (parent := self.listed.get(unit.parent or "")) is None:
            return None
        return (
            dr.async_get(self.hass)
            .async_get_or_create(config_entry_id=self.entry.entry_id, **parent.device_info)
            .id
        )

    def _remove_unit_holders(self) -> None:
        """Remove the devices earlier versions made of HAN-FUN devices that only hold units."""
        registry = dr.async_get(self.hass)
        for key, device in self.poller.data.items():
            if device.only_units and (
                old := registry.async_get_device_by_identifier((DOMAIN, key), self.entry.entry_id)
            ):
                registry.async_remove_device(old.id)  # its entities go with it

    @callback
    def async_device_removed(self, device: dr.DeviceEntry) -> None:
        """Forget a gone device the user deleted: if the box lists it again, it starts afresh."""
        for key in [
            key
            for key, coordinator in self.gone.items()
            if device.identifiers & coordinator.device_info.get("identifiers", set())
        ]:
            del self.gone[key]

    async def async_shutdown(self) -> None:
        """Save the guards and end the session on the box."""
        await super().async_shutdown()
        await self.client.logout()

    def diagnostics(self) -> dict[str, Any]:
        """Session counters and the devices the box no longer lists (never the SID)."""
        return {
            "session": self.client.diagnostics(),
            "poll_interval": self.poller.update_interval.total_seconds()
            if self.poller.update_interval
            else None,
            "gone": sorted(self.gone),
        }
