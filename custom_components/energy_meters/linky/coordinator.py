"""
Push coordinator for a Linky meter's TIC output.

A config-entry background task reads the serial link and feeds the frame
parser. Each valid frame becomes a :class:`LinkyData`; counters pass through the
shared plausibility guard first. When no valid frame arrives for two frame
periods the entities go unavailable; a lost link is reopened with backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import CONF_BAUDRATE, CONF_DEVICE, CONF_SERIAL, CONF_TIC_MODE, DOMAIN, LOGGER
from ..coordinator import EnergyMetersConfigEntry, MeterCoordinator
from ..protocol.serial_link import (
    PortNotFoundError,
    SerialLink,
    SerialLinkError,
    SerialSettings,
    open_serial,
)
from ..protocol.tic.framing import TicFrame, TicMode, TicParser
from ..protocol.tic.labels import LABELS, TicQuantity, decode_value
from ..protocol.tic.meter import TicMeterInfo, describe_meter
from ..protocol.tic.stge import StgeStatus, decode_stge
from .data import LinkyData
from .entities import LINKY_BINARY_SENSORS, LINKY_SENSORS

if TYPE_CHECKING:
    from ..binary_sensor import MeterBinarySensorEntityDescription
    from ..sensor import MeterSensorEntityDescription

FIRST_FRAME_TIMEOUT: Final = 15.0
"""Seconds to wait for the first valid frame at setup."""
FRAME_PERIOD: Final = {TicMode.HISTORIC: 2.5, TicMode.STANDARD: 1.5}
"""Typical seconds between frames, before any is measured."""
MISSING_FRAMES_BEFORE_UNKNOWN: Final = 3
"""A label absent from this many full frames in a row becomes unknown (ADPS ends)."""
BACKOFF: Final = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
COUNTERS: Final = frozenset({TicQuantity.ENERGY, TicQuantity.REACTIVE_ENERGY})
DEFAULT_MAX_POWER_W: Final = 36_000.0 * 3


class LinkyCoordinator(MeterCoordinator[LinkyData]):
    """Reads one Linky TIC port; pushes every valid frame."""

    redact_keys = frozenset({CONF_SERIAL, "address", "prm", "ADCO", "ADSC", "PRM", "serial"})

    def __init__(self, hass: HomeAssistant, entry: EnergyMetersConfigEntry) -> None:
        """Set up from the entry: port URL, TIC mode, meter serial."""
        self.url: str = entry.data[CONF_DEVICE]
        self.mode = TicMode(entry.data[CONF_TIC_MODE])
        self.baudrate: int = entry.data.get(CONF_BAUDRATE, self.mode.baudrate)
        self.serial: str = entry.data[CONF_SERIAL]
        super().__init__(hass, entry, name=f"Linky {self.serial}")
        self.parser = TicParser(self.mode)
        self._link: SerialLink | None = None
        self._reader_started = False
        self._meter: TicMeterInfo | None = None
        self._values: dict[str, Any] = {}
        self._measured_at: dict[str, datetime] = {}
        self._missing: dict[str, int] = {}
        self._unknown_labels: dict[str, str] = {}
        self._stge: StgeStatus | None = None
        self._period = FRAME_PERIOD[self.mode]
        self._last_frame_at: float | None = None
        self._foreign_serial: str | None = None

    # --- identity ----------------------------------------------------------------
    @property
    def unique_key(self) -> str:
        """Meter serial (ADCO/ADSC)."""
        return self.serial

    @property
    def device_info(self) -> DeviceInfo:
        """Device entry built from the EURIDIS address."""
        decoded = self._meter.decoded if self._meter is not None else None
        return DeviceInfo(
            identifiers={(DOMAIN, self.serial)},
            name="Linky",
            manufacturer=(decoded.manufacturer if decoded and decoded.manufacturer else "Enedis"),
            model=(decoded.model if decoded and decoded.model else "Linky"),
            model_id=(f"{decoded.type_code:02d}" if decoded else None),
            serial_number=self.serial,
            sw_version=f"TIC {self.mode.value}",
        )

    @property
    def sensor_descriptions(self) -> Sequence[MeterSensorEntityDescription]:
        """Every sensor a Linky may have."""
        return LINKY_SENSORS

    @property
    def binary_sensor_descriptions(self) -> Sequence[MeterBinarySensorEntityDescription]:
        """STGE flags."""
        return LINKY_BINARY_SENSORS

    # --- first refresh and reader ------------------------------------------------------
    async def _async_update_data(self) -> LinkyData:
        """Open the port and wait for the first valid frame (setup only)."""
        if self._reader_started and self.data is not None:
            return self.data  # push coordinator: nothing to poll
        await self._open()
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            frames = await self._read_frames(remaining)
            for frame in frames:
                data = self._process(frame)
                if data is not None:
                    return data
        await self._close()
        raise self.translated_failure("no_data", port=self.url)

    async def async_start(self) -> None:
        """Start the reader as a config-entry background task."""
        self._reader_started = True
        self.config_entry.async_create_background_task(
            self.hass, self._reader(), f"{DOMAIN} Linky reader {self.serial}"
        )
        self.config_entry.async_on_unload(self._schedule_close)

    def _schedule_close(self) -> None:
        if self._link is not None:
            self.hass.async_create_task(self._close(), eager_start=True)

    async def _open(self) -> None:
        try:
            self._link = await open_serial(self.url, SerialSettings(baudrate=self.baudrate))
        except PortNotFoundError as err:
            raise self.translated_failure("port_not_found", port=self.url) from err
        except SerialLinkError as err:
            raise self.translated_failure("cannot_connect", port=self.url, error=str(err)) from err
        self.parser.reset()

    async def _close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    async def _read_frames(self, wait: float) -> list[TicFrame]:
        """Read once (waiting at most ``wait`` seconds) and return the frames completed."""
        assert self._link is not None
        try:
            async with asyncio.timeout(wait):
                chunk = await self._link.read()
        except TimeoutError:
            return []
        except SerialLinkError:
            await self._close()
            raise
        before_bad = self.parser.stats.groups_bad_checksum
        before_eot = self.parser.stats.eot + self.parser.stats.truncated_frames
        frames = self.parser.feed(chunk)
        stats = self.parser.stats
        self.link.checksum_errors = stats.groups_bad_checksum
        if (
            stats.groups_bad_checksum > before_bad
            or stats.eot + stats.truncated_frames > before_eot
        ):
            self.link.frames_failed += 1
        return frames

    async def _reader(self) -> None:
        """Read forever: publish frames, detect silence, reconnect with backoff."""
        attempt = 0
        while True:
            try:
                if self._link is None:
                    await self._open()
                    LOGGER.debug("%s: port %s reopened", self.name, self.url)
                frames = await self._read_frames(self._stale_after())
            except UpdateFailed as err:
                failure = err
            except SerialLinkError as err:
                failure = self.translated_failure("connection_lost", port=self.url, error=str(err))
            else:
                for frame in frames:
                    if (data := self._process(frame)) is not None:
                        attempt = 0
                        self.async_set_updated_data(data)
                if self._is_stale():
                    self.async_set_unavailable(self.translated_failure("no_data", port=self.url))
                continue
            await self._close()
            self.async_set_unavailable(failure)
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            attempt += 1

    def _stale_after(self) -> float:
        return 2 * self._period + 0.5

    def _is_stale(self) -> bool:
        return (
            self._last_frame_at is None
            or time.monotonic() - self._last_frame_at > self._stale_after()
        )

    # --- frame processing ---------------------------------------------------------
    def _process(self, frame: TicFrame) -> LinkyData | None:
        """Turn a valid frame into data; None if it belongs to another meter."""
        now = time.monotonic()
        meter = describe_meter(frame)
        if meter is not None and meter.address != self.serial:
            self._report_foreign_meter(meter.address)
            return None
        if meter is not None:
            self._meter = meter
            self._clear_foreign_meter()
        if self._meter is None:
            return None  # a short frame before any full one
        if self._last_frame_at is not None and not frame.short:
            self._period = 0.8 * self._period + 0.2 * min(now - self._last_frame_at, 30.0)
        self._last_frame_at = now
        self.link.frames_ok += 1
        self.link.last_frame = dt_util.utcnow()
        max_rate = self._max_power_w() / 3600.0
        seen: set[str] = set()
        for label, group in frame.groups.items():
            spec = LABELS.get(label)
            if spec is None:
                self._unknown_labels[label] = group.data
                continue
            key = spec.canonical_label
            seen.add(key)
            value: Any = decode_value(spec, group)
            if spec.quantity in COUNTERS and isinstance(value, int):
                value = self.guard_counter(key, value, max_rate)
            self._values[key] = value
            if group.horodate is not None:
                self._measured_at[key] = group.horodate.when
            if label == "STGE":
                self._stge = decode_stge(group.data)
        if not frame.short:
            self._forget_missing(seen)
        return LinkyData(
            link=self.link,
            meter=self._meter,
            values=dict(self._values),
            measured_at=dict(self._measured_at),
            stge=self._stge,
        )

    def _forget_missing(self, seen: set[str]) -> None:
        for key in list(self._values):
            if key in seen:
                self._missing.pop(key, None)
                continue
            self._missing[key] = self._missing.get(key, 0) + 1
            if self._missing[key] >= MISSING_FRAMES_BEFORE_UNKNOWN:
                self._values[key] = None

    def _max_power_w(self) -> float:
        """Highest plausible power: 1.5 x the cut-off power, else a generous default."""
        pcoup = self._values.get("PCOUP") or self._values.get("PREF")
        if isinstance(pcoup, int) and pcoup > 0:
            return max(pcoup * 1000.0 * 1.5, 6000.0)
        isousc = self._values.get("ISOUSC")
        if isinstance(isousc, int) and isousc > 0:
            phases = 3 if self._meter is not None and self._meter.three_phase else 1
            return max(isousc * 230.0 * phases * 1.5, 6000.0)
        return DEFAULT_MAX_POWER_W

    # --- meter identity problems -------------------------------------------------------
    def _report_foreign_meter(self, address: str) -> None:
        if self._foreign_serial == address:
            return
        self._foreign_serial = address
        LOGGER.warning(
            "%s: the port %s now carries meter %s; its frames are ignored",
            self.name,
            self.url,
            address,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"meter_replaced_{self.config_entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="meter_replaced",
            translation_placeholders={
                "title": self.config_entry.title,
                "port": self.url,
                "expected": self.serial,
                "found": address,
            },
        )

    def _clear_foreign_meter(self) -> None:
        if self._foreign_serial is None:
            return
        self._foreign_serial = None
        ir.async_delete_issue(self.hass, DOMAIN, f"meter_replaced_{self.config_entry.entry_id}")

    # --- diagnostics ------------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        """Parser counters, link stats, labels we do not know, latest values."""
        return {
            "mode": self.mode.value,
            "frame_period_s": round(self._period, 3),
            "parser": {
                name: getattr(self.parser.stats, name)
                for name in self.parser.stats.__dataclass_fields__
            },
            "link": {
                "frames_ok": self.link.frames_ok,
                "frames_failed": self.link.frames_failed,
                "checksum_errors": self.link.checksum_errors,
                "rejected_readings": self.link.rejected_readings,
                "state_writes": self.link.state_writes,
                "quality": self.link.quality,
            },
            "meter": _meter_summary(self._meter),
            "unknown_labels": dict(self._unknown_labels),
            "values": {k: _jsonable(v) for k, v in self._values.items()},
        }


def _meter_summary(meter: TicMeterInfo | None) -> dict[str, Any] | None:
    """Summarise what the frames tell about the meter (without its serial)."""
    if meter is None:
        return None
    decoded = meter.decoded
    return {
        "three_phase": meter.three_phase,
        "producer": meter.producer,
        "manufacturer": decoded.manufacturer if decoded else None,
        "year": decoded.year if decoded else None,
        "type_code": decoded.type_code if decoded else None,
        "model": decoded.model if decoded else None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
