"""
Push coordinator for a Linky meter's TIC output.

The shared push reader (``push_reader.py``) reads the serial link; this module
turns TIC bytes into :class:`LinkyData`: frames are parsed, counters pass the
shared plausibility guard (a counter that is not a number is a rejected reading
too), and a frame from another meter is ignored; only a different serial that
persists over several frames raises the "meter replaced" repair, since one
noisy address is just noise.
"""

from __future__ import annotations

from datetime import datetime
import time
from typing import Any, Final

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_SERIAL,
    CONF_TIC_MODE,
    DOMAIN,
    LOGGER,
    short_id,
)
from ..counters import CounterGuards
from ..hub import EnergyMetersConfigEntry
from ..protocol.serial_link import SerialLink, SerialSettings, open_serial
from ..protocol.tic.framing import TicFrame, TicMode, TicParser
from ..protocol.tic.labels import LABELS, TicQuantity, decode_value
from ..protocol.tic.meter import TicMeterInfo, describe_meter
from ..protocol.tic.stge import StgeStatus, decode_stge
from ..push_reader import PushCoordinator
from .data import LinkyData
from .flow import linky_device_name

FRAME_PERIOD: Final = {TicMode.HISTORIC: 2.5, TicMode.STANDARD: 1.5}
"""Typical seconds between frames, before any is measured."""
MISSING_FRAMES_BEFORE_UNKNOWN: Final = 3
"""A label absent from this many full frames in a row becomes unknown (ADPS ends)."""
FOREIGN_FRAMES_BEFORE_REPAIR: Final = 5
"""Consecutive full frames with the same other serial before it counts as another meter."""
COUNTERS: Final = frozenset({TicQuantity.ENERGY, TicQuantity.REACTIVE_ENERGY})
DEFAULT_MAX_POWER_W: Final = 36_000.0 * 3


class LinkyCoordinator(PushCoordinator[LinkyData]):
    """Reads one Linky TIC port; pushes every valid frame."""

    def __init__(
        self, hass: HomeAssistant, entry: EnergyMetersConfigEntry, guards: CounterGuards
    ) -> None:
        """Set up from the entry: port URL, TIC mode, meter serial."""
        self.mode = TicMode(entry.data[CONF_TIC_MODE])
        self.baudrate: int = entry.data.get(CONF_BAUDRATE, self.mode.baudrate)
        self.serial: str = entry.data[CONF_SERIAL]
        self.device_name = linky_device_name(self.serial, entry.data.get(CONF_NAME))
        super().__init__(
            hass,
            entry,
            name=f"Linky {short_id(self.serial)}",
            device_key=self.serial,
            guards=guards,
            port=entry.data[CONF_DEVICE],
        )
        self.parser = TicParser(self.mode)
        self._meter: TicMeterInfo | None = None
        self._values: dict[str, Any] = {}
        self._measured_at: dict[str, datetime] = {}
        self._missing: dict[str, int] = {}
        self._unknown_labels: dict[str, str] = {}
        self._stge: StgeStatus | None = None
        self._clock_offset: int | None = None
        self._period = FRAME_PERIOD[self.mode]
        self._last_frame_at: float | None = None
        self._foreign_serial: str | None = None
        self._foreign_frames = 0

    # --- identity ----------------------------------------------------------------
    def meter_device_info(self) -> DeviceInfo:
        """Device entry built from the EURIDIS address."""
        decoded = self._meter.decoded if self._meter is not None else None
        return DeviceInfo(
            identifiers={(DOMAIN, self.serial)},
            name=self.device_name,
            manufacturer=(decoded.manufacturer if decoded and decoded.manufacturer else "Enedis"),
            model=(decoded.model if decoded and decoded.model else "Linky"),
            model_id=(f"{decoded.type_code:02d}" if decoded else None),
            serial_number=self.serial,
            sw_version=f"TIC {self.mode.value}",
        )

    # --- the push reader's hooks ----------------------------------------------------
    async def open_link(self) -> SerialLink:
        """
        Open the TIC port at the speed detection found (7E1).

        A pseudo-terminal is a virtual port (socat or ttynvt bridging a remote
        dongle, the simulators): it carries bytes and is always 8N1, so it is
        opened 8N1 instead of failing; real UARTs always get 7E1.
        """
        return await open_serial(
            self.port, SerialSettings(baudrate=self.baudrate, allow_pty_8n1=True)
        )

    def on_link_opened(self) -> None:
        """Start parsing afresh on a new link; an outage is not a frame period."""
        self.parser.reset()
        self._last_frame_at = None

    def stale_after(self) -> float:
        """Two frame periods (measured) and some slack."""
        return 2 * self._period + 0.5

    def feed(self, chunk: bytes) -> list[LinkyData]:
        """Parse TIC bytes; return one data per valid frame of this meter."""
        stats = self.parser.stats
        before_bad = stats.groups_bad_checksum
        before_eot = stats.eot + stats.truncated_frames
        frames = self.parser.feed(chunk)
        self.link.checksum_errors = stats.groups_bad_checksum
        if (
            stats.groups_bad_checksum > before_bad
            or stats.eot + stats.truncated_frames > before_eot
        ):
            self.link.frames_failed += 1
        return [data for frame in frames if (data := self._process(frame)) is not None]

    # --- frame processing ---------------------------------------------------------
    def _process(self, frame: TicFrame) -> LinkyData | None:
        """Turn a valid frame into data; None if it belongs to another meter."""
        now = time.monotonic()
        meter = describe_meter(frame)
        if meter is not None and meter.address != self.serial:
            self._foreign_frame(meter.address)
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
        received = dt_util.utcnow()
        self.link.last_frame = received
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
            if spec.quantity in COUNTERS:
                # a number, or None: a corrupted digit that passed the checksum
                value = self.guard_counter(key, value if isinstance(value, int) else None, max_rate)
            self._values[key] = value
            if group.horodate is not None:
                self._measured_at[key] = group.horodate.when
            if label == "STGE":
                self._stge = decode_stge(group.data)
            if label == "DATE" and group.horodate is not None:
                self._clock_offset = round((group.horodate.when - received).total_seconds())
        if not frame.short:
            self._forget_missing(seen)
        return LinkyData(
            link=self.link,
            meter=self._meter,
            values=dict(self._values),
            measured_at=dict(self._measured_at),
            stge=self._stge,
            clock_offset=self._clock_offset,
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
    def _foreign_frame(self, address: str) -> None:
        """Count frames from another serial; only a persistent one is another meter."""
        self.link.frames_failed += 1
        if address != self._foreign_serial:
            self._foreign_serial, self._foreign_frames = address, 0
        self._foreign_frames += 1
        if self._foreign_frames != FOREIGN_FRAMES_BEFORE_REPAIR:
            return
        LOGGER.warning(
            "%s: the port %s now carries another meter; its frames are ignored",
            self.name,
            self.port,
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
                "port": self.port,
                "expected": self.serial,
                "found": address,
            },
        )

    def _clear_foreign_meter(self) -> None:
        if self._foreign_serial is None:
            return
        if self._foreign_frames >= FOREIGN_FRAMES_BEFORE_REPAIR:
            ir.async_delete_issue(self.hass, DOMAIN, f"meter_replaced_{self.config_entry.entry_id}")
        self._foreign_serial, self._foreign_frames = None, 0

    # --- diagnostics ------------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        """Parser counters, link stats, labels we do not know, latest raw values."""
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
                "last_frame": _jsonable(self.link.last_frame),
            },
            "counter_guards": self.guards.diagnostics(),
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
