"""
The box poller and one coordinator per smart-home device (by AIN).

One ``getdevicelistinfos`` per poll serves every device: :class:`FritzboxPoller`
fetches it, the hub hands each device's part to its :class:`FritzDeviceCoordinator`,
so a plug's update wakes only that plug's entities.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER, short_id
from ..coordinator import MeterCoordinator, MeterData, translated_failure
from ..counters import CounterGuards
from ..protocol.fritzbox.client import (
    AhaAuthError,
    AhaBlockedError,
    AhaClient,
    AhaConnectionError,
    AhaError,
    AhaRightsError,
)
from ..protocol.fritzbox.devices import AhaDevice, Reading
from .const import (
    CONF_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    METER_MAX_POWER_W,
    PLUG_MAX_POWER_W,
)


def max_energy_rate(device: AhaDevice) -> float:
    """Highest plausible energy rate of a device, in Wh per second (1.5 x its maximum)."""
    watts = PLUG_MAX_POWER_W if device.product.startswith("FRITZ!DECT") else METER_MAX_POWER_W
    return 1.5 * watts / 3600


class FritzboxPoller(DataUpdateCoordinator[dict[str, AhaDevice]]):
    """Polls the box's device list; errors become translated failures or reauth."""

    config_entry: ConfigEntry[Any]

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: AhaClient) -> None:
        """Poll at the entry's interval (default: the plugs' own cadence)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} devices",
            update_interval=timedelta(
                seconds=float(entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL))
            ),
            always_update=True,  # an unchanged counter still confirms its last reading
        )
        self.client = client

    async def _async_update_data(self) -> dict[str, AhaDevice]:
        try:
            return await self.client.device_list()
        except AhaBlockedError as err:
            raise translated_failure(
                "fritzbox_login_blocked", block_time=str(err.block_time)
            ) from err
        except AhaAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="fritzbox_invalid_auth"
            ) from err
        except AhaRightsError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="fritzbox_missing_right"
            ) from err
        except AhaConnectionError as err:
            raise translated_failure("fritzbox_cannot_connect", error=str(err)) from err
        except AhaError as err:
            raise translated_failure("fritzbox_bad_answer", error=str(err)) from err


@dataclass(slots=True, kw_only=True)
class FritzDeviceData(MeterData):
    """One device's decoded values, energy through the counter guard."""

    device: AhaDevice
    values: dict[str, Reading]


class FritzDeviceCoordinator(MeterCoordinator[FritzDeviceData]):
    """One smart-home device of the box; fed by the hub after each poll."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        device: AhaDevice,
        guards: CounterGuards,
        refresh_box: Callable[[], Awaitable[None]],
    ) -> None:
        """Bind the coordinator to its AIN (the stable identity)."""
        super().__init__(
            hass,
            entry,
            name=f"{device.name} ({short_id(device.ain)})",
            device_key=device.key,
            guards=guards,
        )
        self.device = device
        self._refresh_box = refresh_box

    def meter_device_info(self) -> DeviceInfo:
        """Describe the device (the hub links it to the box)."""
        return DeviceInfo(
            identifiers={(DOMAIN, self.device_key)},
            name=self.device.name,
            manufacturer=self.device.manufacturer or "AVM",
            model=self.device.product or None,
            sw_version=self.device.firmware or None,
            serial_number=self.device.ain,
        )

    def publish(self, device: AhaDevice) -> None:
        """Take the device's part of a poll; not present is unavailable, never 0."""
        self.device = device
        values = dict(device.values)
        if "energy" in values and device.present:
            raw = values["energy"]
            values["energy"] = self.guard_counter(
                "energy", float(raw) if raw is not None else None, max_energy_rate(device)
            )
        data = FritzDeviceData(link=self.link, device=device, values=values)
        if not device.present:
            self.data = data  # the entities exist, unavailable
            self.async_set_unavailable(
                self.translated_failure("fritzbox_not_present", name=device.name)
            )
            return
        self.link.frames_ok += 1
        self.link.last_frame = dt_util.utcnow()
        self.async_set_updated_data(data)

    async def _async_update_data(self) -> FritzDeviceData:
        """Refresh on demand (``update_entity``): poll the box, return this device's part."""
        await self._refresh_box()
        if not self.last_update_success or self.data is None:
            raise translated_failure("fritzbox_not_present", name=self.device.name)
        return self.data

    def diagnostics(self) -> dict[str, Any]:
        """Return the device's decoded values and guard (no secrets in them)."""
        return {
            "product": self.device.product,
            "functions": int(self.device.functions),
            "firmware": self.device.firmware,
            "present": self.device.present,
            "values": dict(self.data.values) if self.data is not None else None,
            "guards": self.guards.diagnostics(),
        }
