"""
Coordinator base shared by every meter kind.

One coordinator per meter (config entry). A kind subclasses
:class:`MeterCoordinator` and supplies its data type, device info and entity
catalogue; what is common lives here: the update policy read from the options,
counter guards, link statistics, availability logging and diagnostics.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
import time
from typing import TYPE_CHECKING, Any

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
from .protocol.plausibility import CounterGuard, Verdict
from .update_policy import UpdatePolicy

if TYPE_CHECKING:
    from .binary_sensor import MeterBinarySensorEntityDescription
    from .sensor import MeterSensorEntityDescription

type EnergyMetersConfigEntry = ConfigEntry[MeterCoordinator[Any]]


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
    """Base coordinator: one meter, one config entry."""

    config_entry: EnergyMetersConfigEntry
    #: keys of entry data/option values to redact in diagnostics
    redact_keys: frozenset[str] = frozenset()

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnergyMetersConfigEntry,
        *,
        name: str,
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
        self.policy = UpdatePolicy(
            slow_interval=float(entry.options.get(CONF_COUNTER_INTERVAL, DEFAULT_COUNTER_INTERVAL)),
            fast_interval=float(entry.options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL)),
        )
        self.link = LinkStats()
        self._guards: dict[str, CounterGuard] = {}
        self._unavailable_logged = False

    # --- what each kind provides -------------------------------------------------
    @property
    @abstractmethod
    def device_info(self) -> DeviceInfo:
        """Device registry information of the meter."""

    @property
    @abstractmethod
    def unique_key(self) -> str:
        """Stable identifier of the meter, prefix of every entity unique ID."""

    @property
    def sensor_descriptions(self) -> Sequence[MeterSensorEntityDescription]:
        """Every sensor this meter may have."""
        return ()

    @property
    def binary_sensor_descriptions(self) -> Sequence[MeterBinarySensorEntityDescription]:
        """Every binary sensor this meter may have."""
        return ()

    async def async_start(self) -> None:
        """Start push readers after the first refresh (push kinds override)."""

    def diagnostics(self) -> dict[str, Any]:
        """Kind-specific diagnostics (already free of secrets)."""
        return {}

    # --- shared services ---------------------------------------------------------
    def guard_counter(self, key: str, value: float, max_rate: float) -> float | None:
        """
        Pass a counter reading through its plausibility guard.

        Returns the value to publish: the reading when accepted, otherwise the
        last accepted value (None before the first confirmed one).
        """
        guard = self._guards.get(key)
        if guard is None:
            guard = self._guards[key] = CounterGuard(max_rate=max_rate)
        guard.max_rate = max_rate
        verdict = guard.check(value, time.monotonic())
        if verdict in (Verdict.REJECTED_DECREASE, Verdict.REJECTED_JUMP):
            self.link.rejected_readings += 1
            LOGGER.debug(
                "%s: %s reading %s rejected (%s, last accepted %s)",
                self.name,
                key,
                value,
                verdict,
                guard.value,
            )
        return guard.value

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
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders or None,
        )
