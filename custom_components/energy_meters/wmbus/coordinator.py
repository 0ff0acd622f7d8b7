"""
One coordinator per wM-Bus meter, fed by the hub's wmbusmeters process.

Nothing is polled: the hub hands each telegram to its meter's coordinator.
Counters (``total_*`` volumes and energies) pass the shared guard with the
kind's maximum rate for the meter's medium, so a short telegram's zero or a
corrupted total never reaches the statistics. Each meter learns its own
interval; it is unavailable after :data:`STALE_FACTOR` intervals of silence
and back with the next telegram. The last telegram is saved by the hub and
restored at start, so a meter that sends every few hours shows its values at
once after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import async_call_later

from ..const import DOMAIN, short_id
from ..coordinator import MeterCoordinator, MeterData
from ..counters import CounterGuards
from ..protocol.wmbus.fields import Quantity, field_unit, is_total
from ..protocol.wmbus.output import FieldValue, Telegram
from .const import (
    CONF_DRIVER,
    CONF_MAX_ELECTRIC_POWER,
    CONF_MAX_GAS_FLOW,
    CONF_MAX_HEAT_POWER,
    CONF_MAX_WATER_FLOW,
    CONF_METER_ID,
    DEFAULT_INTERVAL,
    DEFAULT_MAX_ELECTRIC_POWER,
    DEFAULT_MAX_GAS_FLOW,
    DEFAULT_MAX_HEAT_POWER,
    DEFAULT_MAX_WATER_FLOW,
    MAX_STALE,
    METER_SILENT,
    MIN_STALE,
    STALE_FACTOR,
)
from .data import ReceiverData, WmbusMeterData

if TYPE_CHECKING:
    from .hub import WmbusHub

RENAMED_FIELDS: Final = {"meter_datetime": "meter_timestamp"}
"""Fields renamed by newer wmbusmeters versions -> the key their entity always had."""

# a unit's size relative to the base unit the options use (m³, kWh)
_PER_BASE: Final = {
    "m3": 1.0,
    "l": 1000.0,
    "kwh": 1.0,
    "wh": 1000.0,
    "mwh": 0.001,
    "mj": 3.6,
    "gj": 0.0036,
}
INTERVAL_WEIGHT: Final = 0.25


def device_key_of(meter_id: str) -> str:
    """Device key of a meter: its wM-Bus id (stable, printed on the meter)."""
    return f"wmbus_{meter_id.lower()}"


def media_class(media: str) -> str:
    """Group a wmbusmeters medium into what decides device classes and rates."""
    media = media.lower()
    if "gas" in media:
        return "gas"
    if "water" in media:
        return "water"
    if "electric" in media:
        return "electricity"
    if "heat" in media or "cool" in media:
        return "heat"
    return "other"


class WmbusMeterCoordinator(MeterCoordinator[WmbusMeterData]):
    """One declared meter behind a receiver."""

    def __init__(
        self,
        hub: WmbusHub,
        subentry: ConfigSubentry,
        guards: CounterGuards,
        restored: Mapping[str, Any] | None = None,
    ) -> None:
        """Bind the coordinator to its subentry; start from the saved telegram if any."""
        self.subentry = subentry
        self.meter_id: str = subentry.data[CONF_METER_ID]
        super().__init__(
            hub.hass,
            hub.entry,
            name=f"{subentry.title} ({short_id(self.meter_id)})",
            device_key=device_key_of(self.meter_id),
            guards=guards,
            subentry_id=subentry.subentry_id,
        )
        self.hub = hub
        self.problem: str | None = None
        #: called with new data before it is published (the catalogue learns its fields)
        self.before_publish: Callable[[WmbusMeterData], None] = lambda _data: None
        self._stale_unsub: CALLBACK_TYPE | None = None
        self._initial = self._restore(restored or {})

    # --- device ------------------------------------------------------------------------
    def meter_device_info(self) -> DeviceInfo:
        """Describe the meter's device: its id is the serial number printed on it."""
        data = self.data or self._initial
        return DeviceInfo(
            identifiers={(DOMAIN, self.device_key)},
            name=self.subentry.title,
            manufacturer="Wireless M-Bus",
            model=data.driver or self.subentry.data.get(CONF_DRIVER),
            serial_number=self.meter_id,
        )

    def _restore(self, saved: Mapping[str, Any]) -> WmbusMeterData:
        last = saved.get("last_telegram")
        return WmbusMeterData(
            link=self.link,
            media=str(saved.get("media", "")),
            driver=str(saved.get("driver", "")),
            values=dict(saved.get("values", {})),
            rssi_dbm=saved.get("rssi_dbm"),
            last_telegram=datetime.fromisoformat(last) if last else None,
            interval=saved.get("interval"),
        )

    def saved(self) -> dict[str, Any]:
        """Return what the hub stores for the next start (the last telegram, the interval)."""
        data = self.data or self._initial
        return {
            "media": data.media,
            "driver": data.driver,
            "values": data.values,
            "rssi_dbm": data.rssi_dbm,
            "last_telegram": data.last_telegram.isoformat() if data.last_telegram else None,
            "interval": data.interval,
        }

    async def _async_update_data(self) -> WmbusMeterData:
        """Nothing to poll: the restored (or current) data."""
        return self.data or self._initial

    async def async_start(self) -> None:
        """Judge the restored telegram's age: a long-silent meter starts unavailable."""
        data = self.data or self._initial
        if data.last_telegram is None:
            self._schedule_stale(self.stale_after())
            return
        age = self.now() - data.last_telegram.timestamp()
        self._schedule_stale(max(self.stale_after() - age, 0.0))

    async def async_shutdown(self) -> None:
        """Stop the staleness timer."""
        await super().async_shutdown()
        self._cancel_stale()

    # --- telegrams ---------------------------------------------------------------------
    def max_rate(self, name: str, media: str) -> float:
        """Highest plausible increase of counter ``name`` per second, in its own unit."""
        options = self.config_entry.options
        suffix = name.rsplit("_", 1)[-1]
        unit = field_unit(name, 0)
        klass = media_class(media)
        if unit is not None and unit.quantity is Quantity.VOLUME:
            per_hour = float(
                options.get(CONF_MAX_GAS_FLOW, DEFAULT_MAX_GAS_FLOW)
                if klass == "gas"
                else options.get(CONF_MAX_WATER_FLOW, DEFAULT_MAX_WATER_FLOW)
            )
        elif klass == "electricity":
            per_hour = float(options.get(CONF_MAX_ELECTRIC_POWER, DEFAULT_MAX_ELECTRIC_POWER))
        else:
            per_hour = float(options.get(CONF_MAX_HEAT_POWER, DEFAULT_MAX_HEAT_POWER))
        return per_hour * _PER_BASE.get(suffix, 1.0) / 3600.0

    @callback
    def handle_telegram(self, telegram: Telegram) -> None:
        """Publish one telegram of this meter."""
        previous = self.data or self._initial
        values: dict[str, FieldValue] = dict(previous.values)
        for raw_name, value in telegram.values.items():
            name = RENAMED_FIELDS.get(raw_name, raw_name)
            if is_total(name, field_unit(name, value)):
                reading = float(value) if isinstance(value, (int, float)) else None
                values[name] = self.guard_counter(
                    name, reading, self.max_rate(name, telegram.media)
                )
            else:
                values[name] = value
        now = datetime.fromtimestamp(self.now(), UTC)
        interval = previous.interval
        if previous.last_telegram is not None:
            gap = (now - previous.last_telegram).total_seconds()
            if gap > 1.0:  # repeats of one telegram (several receivers) say nothing
                interval = (
                    gap
                    if interval is None
                    else ((1 - INTERVAL_WEIGHT) * interval + INTERVAL_WEIGHT * gap)
                )
        self.link.frames_ok += 1
        self.link.last_frame = now
        self.problem = None
        data = WmbusMeterData(
            link=self.link,
            media=telegram.media,
            driver=telegram.driver,
            values=values,
            rssi_dbm=telegram.rssi_dbm if telegram.rssi_dbm is not None else previous.rssi_dbm,
            last_telegram=now,
            telegrams=previous.telegrams + 1,
            interval=interval,
        )
        self.before_publish(data)
        self.async_set_updated_data(data)
        self._schedule_stale(self.stale_after())

    @callback
    def set_problem(self, key: str, **placeholders: str) -> None:
        """Mark the meter unavailable for a problem wmbusmeters reported (wrong key…)."""
        self.problem = key
        self.link.frames_failed += 1
        self.async_set_unavailable(self.translated_failure(key, meter=self.name, **placeholders))

    # --- silence -----------------------------------------------------------------------
    def stale_after(self) -> float:
        """Seconds of silence before the meter's entities go unavailable."""
        data = self.data or self._initial
        interval = data.interval or DEFAULT_INTERVAL
        return min(max(STALE_FACTOR * interval, MIN_STALE), MAX_STALE)

    def _schedule_stale(self, delay: float) -> None:
        self._cancel_stale()
        self._stale_unsub = async_call_later(self.hass, delay, self._went_silent)

    def _cancel_stale(self) -> None:
        if self._stale_unsub is not None:
            self._stale_unsub()
            self._stale_unsub = None

    @callback
    def _went_silent(self, _now: datetime) -> None:
        self._stale_unsub = None
        self.async_set_unavailable(
            self.translated_failure(
                METER_SILENT, meter=self.name, minutes=str(round(self.stale_after() / 60))
            )
        )


class WmbusReceiverCoordinator(MeterCoordinator[ReceiverData]):
    """The receiver itself (the wmbusmeters process): health and counts."""

    def __init__(self, hub: WmbusHub) -> None:
        """Bind to the hub: the receiver's device is the hub's own."""
        super().__init__(
            hub.hass,
            hub.entry,
            name=hub.entry.title,
            device_key=f"wmbus_receiver_{hub.entry.entry_id}",
        )
        self.hub = hub

    def meter_device_info(self) -> DeviceInfo:
        """Return the hub's device (no link to itself)."""
        return self.hub.hub_device_info()

    @property
    def device_info(self) -> DeviceInfo:
        """The receiver is the hub device: it links to nothing."""
        return self.meter_device_info()

    async def _async_update_data(self) -> ReceiverData:
        return self.data or ReceiverData(link=self.link)

    @callback
    def publish(self, **changes: Any) -> None:
        """Publish the receiver's state with ``changes``."""
        current = self.data or ReceiverData(link=self.link)
        self.async_set_updated_data(replace(current, **changes))


def is_meter(data: MeterData) -> bool:
    """Tell a meter's data from the receiver's."""
    return isinstance(data, WmbusMeterData)
