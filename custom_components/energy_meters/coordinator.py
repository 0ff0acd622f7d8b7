"""
Coordinator base shared by every meter kind: one coordinator per meter device.

A hub (``hub.py``: a serial port, a wmbusmeters process, a FRITZ!Box) owns one
:class:`MeterCoordinator` per device behind it, so a telegram for one meter
wakes only that meter's entities. What is common lives here: the update policy
read from the options, counter guards that survive restarts (``counters.py``),
link statistics, availability logging and translated failures.

This module knows nothing about entity platforms: the catalogue of each kind
lives in the kind registry (``kinds.py``).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_COUNTER_INTERVAL,
    CONF_POWER_INTERVAL,
    DEFAULT_COUNTER_INTERVAL,
    DEFAULT_POWER_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .counters import CounterGuards
from .update_policy import UpdatePolicy


@dataclass(slots=True)
class LinkStats:
    """Link-quality counters of one meter connection."""

    frames_ok: int = 0
    frames_failed: int = 0  # frames with at least one bad group, or aborted
    checksum_errors: int = 0
    rejected_readings: int = 0
    state_writes: int = 0
    last_frame: datetime | None = None

    @property
    def quality(self) -> float | None:
        """Share of valid frames, in percent (None before any frame)."""
        total = self.frames_ok + self.frames_failed
        if total == 0:
            return None
        return round(100.0 * self.frames_ok / total, 1)


@dataclass(slots=True, kw_only=True)
class MeterData:
    """What every kind's coordinator data carries besides its readings."""

    link: LinkStats


class MeterCoordinator[DataT: MeterData](DataUpdateCoordinator[DataT]):
    """Base coordinator: one meter device behind a hub."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        name: str,
        device_key: str,
        guards: CounterGuards | None = None,
        subentry_id: str | None = None,
        update_interval: Any = None,
    ) -> None:
        """Initialize the coordinator with the entry's update policy."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=name,
            update_interval=update_interval,
            always_update=False,
        )
        self.device_key = device_key
        self.subentry_id = subentry_id
        #: device registry id of the hub's own device, set by the hub
        self.via_device_id: str | None = None
        self.policy = UpdatePolicy(
            slow_interval=float(entry.options.get(CONF_COUNTER_INTERVAL, DEFAULT_COUNTER_INTERVAL)),
            fast_interval=float(entry.options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL)),
        )
        self.link = LinkStats()
        self.guards = guards if guards is not None else CounterGuards(device_key)
        self._unavailable_logged = False

    # --- what each kind provides -------------------------------------------------
    @abstractmethod
    def meter_device_info(self) -> DeviceInfo:
        """Device registry information of the meter (without the hub link)."""

    @property
    def device_info(self) -> DeviceInfo:
        """Device registry information, linked to the hub's device if there is one."""
        info = self.meter_device_info()
        if self.via_device_id is not None:
            info["via_device_id"] = self.via_device_id
        return info

    async def async_start(self) -> None:
        """Start push readers after the first refresh (push kinds override)."""

    def diagnostics(self) -> dict[str, Any]:
        """Kind-specific diagnostics (redacted by the caller)."""
        return {}

    # --- shared services ---------------------------------------------------------
    def now(self) -> float:
        """Wall-clock seconds: counter guards compare readings across restarts."""
        return time.time()

    def guard_counter(self, key: str, value: float | None, max_rate: float) -> float | None:
        """
        Pass a counter reading through its plausibility guard.

        ``value`` is None for a reading that arrived but is not a number (a
        corrupted digit that passed the checksum): it is rejected like any
        implausible one. Returns the value to publish: the last accepted one
        (None before the first confirmed reading).
        """
        published, rejected = self.guards.check(key, value, max_rate, self.now())
        if rejected:
            self.link.rejected_readings += 1
            LOGGER.debug(
                "%s: %s reading %s rejected (last accepted %s)", self.name, key, value, published
            )
        return published

    @callback
    def async_set_unavailable(self, err: UpdateFailed) -> None:
        """Mark every entity unavailable; log once at info level."""
        self.last_exception = err
        if not self._unavailable_logged:
            LOGGER.info("%s is unavailable: %s", self.name, err)
            self._unavailable_logged = True
        if self.last_update_success:
            self.last_update_success = False
            self.async_update_listeners()

    @callback
    def async_set_updated_data(self, data: DataT) -> None:
        """Publish new data; log the recovery once."""
        if self._unavailable_logged:
            LOGGER.info("%s is available again", self.name)
            self._unavailable_logged = False
        super().async_set_updated_data(data)

    def translated_failure(self, key: str, **placeholders: str) -> UpdateFailed:
        """Build an UpdateFailed carrying a translation key."""
        return translated_failure(key, **placeholders)


def translated_failure(key: str, **placeholders: str) -> UpdateFailed:
    """Build an UpdateFailed carrying a translation key (strings under ``exceptions``)."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
