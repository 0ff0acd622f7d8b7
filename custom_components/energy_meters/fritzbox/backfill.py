"""
Energy history backfill: a plug's ``getbasicdevicestats`` into its long-term statistics.

When a FRITZ!Box plug (a device with a powermeter) is set up, the box already knows
its energy per day (31 x 86400 s) and per "month" (12 x 2678400 s = 31 days). This
module turns that history into hourly rows of the plug's **own** energy statistics
(``async_import_statistics``, source ``recorder``, the entity's id), so the Energy
dashboard shows past days right after setup, on the series the user picks anyway.

Why the entity's own statistics and not an external ``energy_meters:<slug>`` one:
the recorder's compile never reads imported hourly rows (a new 5-minute row continues
from the latest *5-minute* row, an hourly row is the last 5-minute row of its hour),
so importing hours strictly before the entity's first recorded statistic cannot
collide with it; and one series means one Wh is counted once. An external statistic
next to the entity would be a second series covering the same plug: a user who adds
both to the dashboard counts the overlap twice.

Continuity (no Wh counted twice, none negative):

* The box's samples give the counter at ``datatime - i x grid`` (each sample is the
  energy of the grid-long window ending there, newest first; ``datatime`` is when the
  box answered: the grids run back from it, not from midnight). The counter is the
  live (guarded) reading at ``datatime``, minus the samples. Between those points it
  is interpolated linearly at each full hour: a day's energy is spread over its hours.
  A ``-`` gap ends a series (the counter before it is unknown); zeros older than the
  first consumption are the plug not yet in use and are not imported.
* Only hours that end at or before the hour of the entity's first recorded statistic
  (5-minute or hourly) are imported, and only once that first statistic exists (the
  backfill waits for the recorder's first compile, a few minutes after setup).
* The imported sums start at 0 with the oldest hour, like a sum the recorder compiles
  (the dashboard takes the first row's sum as its change: a negative sum would show
  as negative consumption). The recorder's own rows then start 0-based at the first
  state, so every row from the boundary on is shifted (``async_adjust_statistics``,
  what *Adjust a statistic* does) by the backfilled total plus the estimated energy
  between the boundary and that first row (the counter difference, clamped to
  ``[0, 1.5 x the device's maximum power x the time]``): sums are monotonic and the
  first live hour counts its own energy once.
* Done once per device: remembered in ``.storage/energy_meters.<entry_id>.fritzbox_backfill``;
  a device whose statistics start before the box's history (an older install) gets
  nothing. Triggered after a successful poll only; a box without statistics or an
  error leaves the statistics untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
import math
from typing import TYPE_CHECKING, Any, Final, Literal

from homeassistant.components.recorder.models import (
    StatisticData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from ..const import DOMAIN, LOGGER
from ..protocol.fritzbox.client import AhaClient, AhaError
from ..protocol.fritzbox.devices import Function
from ..protocol.fritzbox.history import (
    HOUR,
    Point,
    counter_points,
    hourly_counters,
)
from .coordinator import max_energy_rate
from .gapfill import OutageFill, outage_between, own_energy_metadata

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .coordinator import FritzDeviceCoordinator

STORE_VERSION: Final = 1
EPOCH: Final = datetime(1970, 1, 2, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FirstRow:
    """The entity's first recorded statistic (Wh)."""

    start: float
    end: float
    state: float | None
    sum: float


EARLIER: Final = FirstRow(start=-math.inf, end=-math.inf, state=None, sum=0.0)
"""Marker: the entity has statistics older than the box's history."""


def _first_row(hass: HomeAssistant, statistic_id: str, since: datetime) -> FirstRow | None:
    """Find the entity's first statistic (executor): EARLIER, one from ``since`` on, or None."""
    ids = {statistic_id}
    if statistics_during_period(hass, EPOCH, since, ids, "month", None, {"sum"}).get(statistic_id):
        return EARLIER
    units: dict[str, str] = {"energy": UnitOfEnergy.WATT_HOUR}
    periods: tuple[Literal["5minute"], Literal["hour"]] = ("5minute", "hour")
    found = [
        FirstRow(
            start=float(row["start"]),
            end=float(row["end"]),
            state=row.get("state"),
            sum=float(row.get("sum") or 0.0),
        )
        for period in periods
        for row in statistics_during_period(
            hass, since, None, ids, period, units, {"state", "sum"}
        ).get(statistic_id, [])[:1]
    ]
    return min(found, key=lambda row: (row.start, row.end), default=None)


class EnergyBackfill:
    """Backfills each powermeter of one box once, after a successful poll."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: AhaClient) -> None:
        """Bind to the entry (its store) and the box's client."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry.entry_id}.fritzbox_backfill"
        )
        self.done: dict[str, dict[str, Any]] = {}
        #: devices with a backfill running, or that failed (retried after a reload)
        self._busy: set[str] = set()
        #: outages still to spread over their hours (gapfill.py), saved in the same store
        self.outages = OutageFill(hass, client, {})

    async def async_load(self) -> None:
        """Read which devices were backfilled and which outages are still to spread."""
        stored = await self._store.async_load() or {}
        self.done = dict(stored.get("devices", {}))
        self.outages.pending.update(stored.get("outages", {}))

    @callback
    def async_note_reading(
        self,
        key: str,
        before: tuple[float, float] | None,
        after: tuple[float, float] | None,
        min_outage: float,
    ) -> None:
        """Compare a plug's accepted energy reading before and after a poll (outages)."""
        outage = outage_between(before, after, dt_util.utcnow().timestamp(), min_outage)
        if outage is not None:
            self.outages.note(key, outage)
            self.entry.async_create_task(self.hass, self._async_save(), "save outages")

    @callback
    def async_poll_succeeded(self, coordinators: Iterable[FritzDeviceCoordinator]) -> None:
        """Start the backfill of each powermeter that needs one (needs the recorder)."""
        if "recorder" not in self.hass.config.components:
            return
        registry = er.async_get(self.hass)
        due = set(self.outages.due())
        for coordinator in coordinators:
            key = coordinator.device_key
            device = coordinator.device
            if key in due and key not in self._busy and coordinator.data is not None:
                self._start_outage_fill(coordinator, registry)
            if (
                key in self.done
                or key in self._busy
                or not device.functions & Function.ENERGY_METER
                or not device.present
                or coordinator.data is None
            ):
                continue
            counter = coordinator.data.values.get("energy")
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{key}_energy")
            if not isinstance(counter, float | int) or entity_id is None:
                continue  # no confirmed reading yet
            self._busy.add(key)
            self.entry.async_create_task(
                self.hass,
                self._async_backfill(coordinator, entity_id, float(counter)),
                f"energy backfill {entity_id}",
            )

    async def _async_backfill(
        self, coordinator: FritzDeviceCoordinator, entity_id: str, counter_wh: float
    ) -> None:
        key = coordinator.device_key
        instance = get_instance(self.hass)
        metadata = await instance.async_add_executor_job(
            partial(get_metadata, self.hass, statistic_ids={entity_id})
        )
        if entity_id not in metadata:
            self._busy.discard(key)  # no statistic yet: the next poll looks again
            return
        try:
            stats = await self.client.device_stats(coordinator.device.ain)
        except AhaError as err:
            LOGGER.debug("No energy history for %s: %s", entity_id, err)
            return  # stays busy: tried again after a reload, not on every poll
        now = dt_util.utcnow().timestamp()
        points = counter_points(stats, counter_wh, now)
        rows: list[Point] = []
        first: FirstRow | None = None
        if points:
            since = dt_util.utc_from_timestamp(points[-1][0])
            first = await instance.async_add_executor_job(_first_row, self.hass, entity_id, since)
            if first is not None and first is not EARLIER:
                rows = hourly_counters(points, math.floor(first.start / HOUR) * HOUR)
        if first is not None and len(rows) > 1:
            unit = metadata[entity_id][1]["unit_of_measurement"] or UnitOfEnergy.WATT_HOUR
            self._import(entity_id, unit, rows, first, max_energy_rate(coordinator.device))
        await self._async_mark_done(key, len(rows) - 1 if len(rows) > 1 else 0)

    def _import(
        self, entity_id: str, unit: str, rows: list[Point], first: FirstRow, max_rate: float
    ) -> None:
        """Queue the hourly rows and the shift that makes the live rows continue them."""
        convert: Callable[[float], float] = EnergyConverter.converter_factory(
            UnitOfEnergy.WATT_HOUR, unit
        )
        base = rows[0][1]  # the counter at the start of the oldest hour: sum 0
        statistics = [
            StatisticData(
                start=dt_util.utc_from_timestamp(end - HOUR),
                state=convert(counter),
                sum=convert(counter - base),
            )
            for end, counter in rows[1:]
        ]
        boundary, boundary_counter = rows[-1]
        # energy between the boundary and the end of the first live row, from the counter
        bridge = (first.state - boundary_counter) if first.state is not None else 0.0
        bridge = min(max(bridge, 0.0), max_rate * max(first.end - boundary, 0.0))
        shift = (boundary_counter - base) + bridge - first.sum
        async_import_statistics(
            self.hass,
            own_energy_metadata(entity_id, unit),
            statistics,
        )
        get_instance(self.hass).async_adjust_statistics(
            entity_id, dt_util.utc_from_timestamp(boundary), shift, UnitOfEnergy.WATT_HOUR
        )
        LOGGER.info(
            "Imported %s hours of energy history for %s (%.0f Wh)",
            len(statistics),
            entity_id,
            boundary_counter - base,
        )

    def _start_outage_fill(self, coordinator: FritzDeviceCoordinator, registry: Any) -> None:
        key = coordinator.device_key
        counter = coordinator.data.values.get("energy") if coordinator.data else None
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{key}_energy")
        if not isinstance(counter, float | int) or entity_id is None:
            return
        self.entry.async_create_task(
            self.hass,
            self._async_fill_outage(coordinator, entity_id, float(counter)),
            f"outage backfill {entity_id}",
        )

    async def _async_fill_outage(
        self, coordinator: FritzDeviceCoordinator, entity_id: str, counter_wh: float
    ) -> None:
        if await self.outages.async_fill(coordinator, entity_id, counter_wh):
            await self._async_save()

    async def _async_mark_done(self, key: str, hours: int) -> None:
        self.done[key] = {"hours": hours, "at": dt_util.utcnow().isoformat()}
        self._busy.discard(key)
        await self._async_save()

    def _data(self) -> dict[str, Any]:
        return {"devices": self.done, "outages": self.outages.pending}

    async def _async_save(self) -> None:
        await self._store.async_save(self._data())
