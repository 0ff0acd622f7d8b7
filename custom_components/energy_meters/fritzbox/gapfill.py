"""
Outage backfill: spread the energy a plug counted while we could not read it.

When a plug's counter cannot be read for a while (the box rebooting or out of reach,
the plug out of radio range, Home Assistant stopped), its entity is unavailable or
keeps its last state, and the recorder compiles no change for those hours. The first
reading after the outage then puts everything the plug counted meanwhile into one
5-minute period: the Energy dashboard shows hours of nothing, then one tall bar.

The counter itself is right (the plug counts on), so no Wh is lost: only *when* it
was used is wrong. This module rewrites the plug's **hourly** rows inside the outage
(``async_import_statistics`` replaces a row that exists and adds a missing one) with
the counter interpolated at each full hour, using the box's daily energy history
where it covers the outage and a straight line between the last reading before and
the first after it elsewhere.

No Wh counted twice or lost: every rewritten row's sum is the sum of the row before
the outage plus the counter's increase since the reading before it, clamped between
the two readings; the rows from the first reading on are the recorder's own and keep
their sums, so the hour of that reading counts only what came after the last rewritten
hour. The 5-minute rows (kept 10 days, not used by the Energy dashboard) keep the
lump.

Noticed by comparing the guard's last accepted reading before and after each poll
(a published increase whose previous reading is older than :data:`MIN_OUTAGE`);
remembered in the backfill store until done, so a restart before the fill loses
nothing; done once the recorder has compiled the 5-minute period of the first reading
(every earlier period is compiled by then).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
import math
from typing import TYPE_CHECKING, Any, Final

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
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from ..const import LOGGER
from ..protocol.fritzbox.client import AhaClient, AhaError
from ..protocol.fritzbox.history import HOUR, Point, counter_at, counter_points

if TYPE_CHECKING:
    from .coordinator import FritzDeviceCoordinator

MIN_OUTAGE: Final = 1800.0
"""An increase read this long (s) after the reading before it is spread over the hours
(or three poll intervals, if longer: a slow poll is not an outage)."""
SHORT_PERIOD: Final = 300
TOLERANCE_WH: Final = 0.5


@dataclass(frozen=True, slots=True)
class Outage:
    """The last reading before an outage and the first after it (epoch s, Wh)."""

    before_at: float
    before: float
    after_at: float
    after: float
    published_at: float
    """When the first reading after it was published (confirmed by the guard)."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Outage | None:
        """Rebuild a stored outage; None when the store holds something else."""
        try:
            return cls(**{key: float(raw[key]) for key in cls.__slots__})
        except KeyError, TypeError, ValueError:
            return None

    def as_dict(self) -> dict[str, float]:
        """JSON-able form for the store."""
        return asdict(self)


def outage_between(
    before: tuple[float, float] | None,
    after: tuple[float, float] | None,
    now: float,
    min_outage: float = MIN_OUTAGE,
) -> Outage | None:
    """Return the outage two successive guard states show, if any."""
    if before is None or after is None:
        return None
    (before_value, before_at), (after_value, after_at) = before, after
    if after_value <= before_value or after_at - before_at < max(min_outage, MIN_OUTAGE):
        return None
    if math.floor(after_at / HOUR) <= math.floor(before_at / HOUR):
        return None  # within one hour: the recorder puts it in the right hour already
    return Outage(before_at, before_value, after_at, after_value, now)


def hours_to_rewrite(first_start: float, written_at: float) -> list[float]:
    """
    Return the end of each hourly row to rewrite.

    From the hour starting at ``first_start`` (the row of the last reading before the
    outage) to the last full hour before ``written_at``, the start of the 5-minute
    row that first holds the reading after it.
    """
    first_end = math.floor(first_start / HOUR) * HOUR + HOUR
    last_end = math.floor(written_at / HOUR) * HOUR
    return [float(end) for end in range(int(first_end), int(last_end) + 1, HOUR)]


def outage_counters(
    outage: Outage, history: list[Point], ends: list[float], low: float, high: float
) -> list[Point]:
    """
    Interpolate the counter at each hour end of the outage, oldest first.

    ``low`` and ``high`` are the recorder's states before and after the outage (its
    sums count their difference; the states may lag the readings). ``history`` is the
    box's counter points (newest first, :func:`counter_points`); those strictly inside
    the outage and between its two readings are used, the readings bound the line;
    values are clamped to ``[low, high]`` and kept monotonic.
    """
    high = max(high, low)
    inside = [
        (time, counter)
        for time, counter in history
        if outage.before_at < time < outage.after_at and low <= counter <= high
    ]
    points: list[Point] = [(outage.after_at, min(max(outage.after, low), high))]
    for time, counter in sorted(inside, reverse=True):
        if counter <= points[-1][1]:
            points.append((time, counter))
    points.append((outage.before_at, min(max(outage.before, low), points[-1][1])))
    result: list[Point] = []
    floor = low
    for end in ends:
        counter = counter_at(points, min(max(end, outage.before_at), outage.after_at))
        floor = min(max(counter, floor), high)
        result.append((end, floor))
    return result


def own_energy_metadata(entity_id: str, unit: str) -> StatisticMetaData:
    """Metadata of an energy sensor's own statistics (what the recorder compiles for it)."""
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class=EnergyConverter.UNIT_CLASS,
        unit_of_measurement=unit,
    )


class OutageFill:
    """Keeps the outages of one box's plugs and rewrites their hours once compiled."""

    def __init__(self, hass: HomeAssistant, client: AhaClient, pending: dict[str, Any]) -> None:
        """``pending`` is the backfill store's ``outages`` mapping (saved by the owner)."""
        self.hass = hass
        self.client = client
        self.pending = pending
        self._busy: set[str] = set()

    def note(self, key: str, outage: Outage) -> None:
        """
        Remember an outage.

        A newer one of the same device extends an undone one back to its start.
        """
        older = Outage.from_dict(self.pending.get(key) or {})
        if older is not None and older.before_at < outage.before_at:
            outage = Outage(
                older.before_at, older.before, outage.after_at, outage.after, outage.published_at
            )
        self.pending[key] = outage.as_dict()
        LOGGER.debug(
            "%s: %.0f Wh counted in %.0f s without readings; hours to be spread",
            key,
            outage.after - outage.before,
            outage.after_at - outage.before_at,
        )

    def due(self) -> list[str]:
        """Devices with an outage and no fill running."""
        return [key for key in self.pending if key not in self._busy]

    async def async_fill(
        self, coordinator: FritzDeviceCoordinator, entity_id: str, counter_wh: float
    ) -> bool:
        """Rewrite the device's hours if the recorder is far enough; True once done."""
        key = coordinator.device_key
        outage = Outage.from_dict(self.pending.get(key) or {})
        if outage is None:
            self.pending.pop(key, None)
            return True
        self._busy.add(key)
        try:
            return await self._async_fill(coordinator, entity_id, counter_wh, outage)
        finally:
            self._busy.discard(key)

    async def _async_fill(
        self,
        coordinator: FritzDeviceCoordinator,
        entity_id: str,
        counter_wh: float,
        outage: Outage,
    ) -> bool:
        key = coordinator.device_key
        instance = get_instance(self.hass)
        published = math.floor(outage.published_at / SHORT_PERIOD) * SHORT_PERIOD
        rows = await instance.async_add_executor_job(
            _rows_since, self.hass, entity_id, outage, float(published)
        )
        if rows is None:
            return False  # the first reading after it is not in the statistics yet
        before_row, written_at, after_state, unit = rows
        if before_row is None or before_row.get("state") is None:
            LOGGER.debug("%s: no hourly row before the outage to continue", entity_id)
            self.pending.pop(key, None)
            return True
        low = float(before_row["state"])
        ends = hours_to_rewrite(float(before_row["start"]), written_at)
        history: list[Point] = []
        try:
            stats = await self.client.device_stats(coordinator.device.ain)
            history = counter_points(stats, counter_wh, dt_util.utcnow().timestamp())
        except AhaError as err:
            LOGGER.debug("No energy history for %s, spread evenly: %s", entity_id, err)
        counters = outage_counters(outage, history, ends, low, after_state)
        base_sum = float(before_row["sum"])
        convert = EnergyConverter.converter_factory(UnitOfEnergy.WATT_HOUR, unit)
        async_import_statistics(
            self.hass,
            own_energy_metadata(entity_id, unit),
            [
                StatisticData(
                    start=dt_util.utc_from_timestamp(end - HOUR),
                    state=convert(counter),
                    sum=convert(base_sum + counter - low),
                )
                for end, counter in counters
            ],
        )
        LOGGER.info(
            "Spread %.0f Wh over %s hours of %s without readings",
            (counters[-1][1] if counters else low) - low,
            len(counters),
            entity_id,
        )
        self.pending.pop(key, None)
        return True


def _rows_since(
    hass: HomeAssistant, entity_id: str, outage: Outage, published: float
) -> tuple[dict[str, Any] | None, float, float, str] | None:
    """
    Find the hourly row before the outage, the first row after it, and the unit.

    The row before is the newest one starting at or before the hour of the last
    reading before the outage (within a week). The row after is the first 5-minute row
    whose state holds the first reading after the outage (the state may be written a
    while after the reading: the update policy): its start and state. None until the
    recorder has compiled it. Runs in the executor.
    """
    ids = {entity_id}
    metadata = get_metadata(hass, statistic_ids=ids)
    if entity_id not in metadata:
        return None
    unit = metadata[entity_id][1]["unit_of_measurement"] or UnitOfEnergy.WATT_HOUR
    wh: dict[str, str] = {"energy": UnitOfEnergy.WATT_HOUR}
    query = partial(statistics_during_period, hass, end_time=None, statistic_ids=ids, units=wh)
    short = query(
        start_time=dt_util.utc_from_timestamp(published),
        period="5minute",
        types={"state"},
    ).get(entity_id, [])
    written = [
        (float(row["start"]), state)
        for row in short
        if (state := row.get("state")) is not None and state >= outage.after - TOLERANCE_WH
    ]
    if not written:
        return None
    hour_start = math.floor(outage.before_at / HOUR) * HOUR
    hourly = query(
        start_time=dt_util.utc_from_timestamp(hour_start - 7 * 86400),
        period="hour",
        types={"state", "sum"},
    ).get(entity_id, [])
    before = [dict(row) for row in hourly if float(row["start"]) <= hour_start]
    return (before[-1] if before else None), written[0][0], float(written[0][1]), unit
