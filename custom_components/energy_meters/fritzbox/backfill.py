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
from itertools import pairwise
import math
from typing import TYPE_CHECKING, Any, Final, Literal

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
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
from ..protocol.fritzbox.devices import DeviceStats, Function
from .coordinator import max_energy_rate

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .coordinator import FritzDeviceCoordinator

STORE_VERSION: Final = 1
HOUR: Final = 3600
DAY_GRID: Final = 86400
MONTH_GRID: Final = 2678400
EPOCH: Final = datetime(1970, 1, 2, tzinfo=UTC)

type Point = tuple[float, float]
"""(epoch seconds, counter in Wh)."""


def counter_points(stats: DeviceStats, counter_wh: float, now: float) -> list[Point]:
    """
    Return the counter at each grid point the box's energy samples give, newest first.

    The day series comes first; month points are added where they reach further back
    (a point is kept only if it is older and not higher than the last one kept).
    """
    points: list[Point] = []
    for grid in (DAY_GRID, MONTH_GRID):
        series = stats.series("energy", grid)
        if series is None:
            continue
        end = float(min(series.datatime if series.datatime is not None else now, now))
        values = list(series.values)
        while values and values[-1] == 0:
            values.pop()  # the plug was not counting yet
        chain: list[Point] = [(end, counter_wh)]
        for index, value in enumerate(values):
            if value is None:
                break  # a gap: the counter before it is unknown
            chain.append((end - (index + 1) * grid, chain[-1][1] - value))
        for time, counter in chain:
            if not points or (time < points[-1][0] and counter <= points[-1][1]):
                points.append((time, counter))
    return points if len(points) > 1 else []


def counter_at(points: list[Point], time: float) -> float:
    """Interpolate the counter at ``time`` (within the points, newest first)."""
    for (new_t, new_c), (old_t, old_c) in pairwise(points):
        if old_t <= time <= new_t:
            return old_c + (new_c - old_c) * (time - old_t) / (new_t - old_t)
    raise ValueError(f"{time} is outside the box's history")


def hourly_counters(points: list[Point], boundary: float) -> list[Point]:
    """Return the counter at each full hour the points cover, up to ``boundary``: (end, Wh)."""
    if not points:
        return []
    first_start = math.ceil(points[-1][0] / HOUR) * HOUR
    last_end = min(boundary, math.floor(points[0][0] / HOUR) * HOUR)
    return [
        (float(end), counter_at(points, end))
        for end in range(int(first_start), int(last_end) + 1, HOUR)
    ]


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

    async def async_load(self) -> None:
        """Read which devices were backfilled."""
        self.done = dict((await self._store.async_load() or {}).get("devices", {}))

    @callback
    def async_poll_succeeded(self, coordinators: Iterable[FritzDeviceCoordinator]) -> None:
        """Start the backfill of each powermeter that needs one (needs the recorder)."""
        if "recorder" not in self.hass.config.components:
            return
        registry = er.async_get(self.hass)
        for coordinator in coordinators:
            key = coordinator.device_key
            device = coordinator.device
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
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=None,
                source="recorder",
                statistic_id=entity_id,
                unit_class=EnergyConverter.UNIT_CLASS,
                unit_of_measurement=unit,
            ),
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

    async def _async_mark_done(self, key: str, hours: int) -> None:
        self.done[key] = {"hours": hours, "at": dt_util.utcnow().isoformat()}
        self._busy.discard(key)
        await self._store.async_save({"devices": self.done})
