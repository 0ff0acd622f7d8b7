"""Energy history backfill: the fake box's ``getbasicdevicestats`` in the recorder's statistics.

Time is frozen (``freezer``) and the box runs on a :class:`ManualClock` moved with it;
the recorder compiles only the periods a test asks for (``do_adhoc_statistics``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.fritzbox.gapfill import (
    Outage,
    hours_to_rewrite,
    outage_between,
    outage_counters,
)
from custom_components.energy_meters.fritzbox.hub import FritzboxHub
from custom_components.energy_meters.protocol.fritzbox.devices import DeviceStats, StatsSeries
from custom_components.energy_meters.protocol.fritzbox.history import (
    DAY_GRID,
    MONTH_GRID,
    counter_at,
    counter_points,
    hourly_counters,
)
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer, ManualClock, SimDevice

from .fritzbox_rig import PASSWORD, USERNAME, entry_for, fritzbox_kind  # noqa: F401

pytestmark = pytest.mark.usefixtures("socket_enabled")

PLUG = "116570067315"
EMPTY_PLUG = "087610000434"
DAILY = [812, 1403, 990, 0, 2210, 1500, 1320]
MONTHLY = [18_500, 31_020, 29_870]
COUNTER = 1_239_092
SETUP = datetime(2026, 3, 10, 10, 56, tzinfo=UTC)
"""Setup at 10:56; polls every 2 minutes; the box is asked at 11:00 (datatime on the hour)."""
FAR_BACK = SETUP - timedelta(days=400)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder must start before ``hass`` (and so before custom integrations)."""


def _devices() -> list[SimDevice]:
    return [
        SimDevice(
            "11657 0067315",
            "Washing machine",
            "FRITZ!DECT 210",
            35712,
            power_mw=600_000,
            energy_wh=COUNTER,
            daily_wh=list(DAILY),
            monthly_wh=list(MONTHLY),
        ),
        SimDevice("08761 0000434", "Fridge", "FRITZ!DECT 200", 35712, power_mw=85_000),
        SimDevice(
            "09995 0123456", "Living room", "FRITZ!DECT 301", 320, hkr={"tist": 41, "tsoll": 42}
        ),
        SimDevice("11657 0999999", "Garage", "FRITZ!DECT 200", 35712, present=False),
    ]


@pytest.fixture(name="clock")
def clock_fixture(freezer: FrozenDateTimeFactory) -> ManualClock:
    freezer.move_to(SETUP)
    return ManualClock(SETUP.timestamp())


@pytest.fixture(name="box")
async def box_fixture(socket_enabled: None, clock: ManualClock) -> AsyncIterator[FakeFritzBox]:
    fake = FakeFritzBox(
        username=USERNAME,
        password=PASSWORD,
        devices=_devices(),
        clock=clock,
        pbkdf2_iterations=(100, 10),
    )
    server = await FakeFritzBoxServer(fake).start()
    fake.url = server.url  # type: ignore[attr-defined]
    yield fake
    await server.close()


class Rig:
    """The entry, the frozen clocks and the recorder, driven step by step."""

    def __init__(
        self, hass: HomeAssistant, box: FakeFritzBox, clock: ManualClock, freezer: Any
    ) -> None:
        self.hass = hass
        self.box = box
        self.clock = clock
        self.freezer = freezer
        self.entry: MockConfigEntry | None = None

    @property
    def hub(self) -> FritzboxHub:
        assert self.entry is not None
        hub: FritzboxHub = self.entry.runtime_data
        return hub

    async def setup(self) -> None:
        if self.entry is None:
            server = FakeFritzBoxServer(self.box)
            server.port = int(self.box.url.rsplit(":", 1)[1])  # type: ignore[attr-defined]
            self.entry = entry_for(server)
            self.entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()

    async def unload(self) -> None:
        assert self.entry is not None
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done()

    async def advance(self, seconds: float) -> None:
        self.freezer.tick(timedelta(seconds=seconds))
        self.clock.advance(seconds)

    async def poll(self, after: float = 120) -> None:
        await self.advance(after)
        await self.hub.poller.async_refresh()
        await self.hass.async_block_till_done()
        await async_wait_recording_done(self.hass)

    async def compile(self, start: datetime) -> None:
        do_adhoc_statistics(self.hass, start=start)
        await async_wait_recording_done(self.hass)

    def entity_id(self, key: str) -> str:
        entity_id = er.async_get(self.hass).async_get_entity_id("sensor", DOMAIN, f"{key}_energy")
        assert entity_id is not None
        return entity_id

    def state_wh(self, key: str) -> float:
        state = self.hass.states.get(self.entity_id(key))
        assert state is not None and state.attributes["unit_of_measurement"] == "kWh"
        return float(state.state) * 1000

    async def rows(self, key: str, period: str = "hour", **kw: Any) -> list[dict[str, Any]]:
        entity_id = self.entity_id(key)
        stats = await self.hass.async_add_executor_job(
            partial(
                statistics_during_period,
                self.hass,
                FAR_BACK,
                None,
                {entity_id},
                period,
                {"energy": "Wh"},
                kw.get("types", {"state", "sum"}),
            )
        )
        return list(stats.get(entity_id, []))

    def stats_requests(self, ain: str = "11657 0067315") -> int:
        return self.box.stats_requests.count(ain)


@pytest.fixture(name="rig")
def rig_fixture(
    hass: HomeAssistant, box: FakeFritzBox, clock: ManualClock, freezer: FrozenDateTimeFactory
) -> Rig:
    return Rig(hass, box, clock, freezer)


async def _set_up_with_first_statistic(rig: Rig) -> float:
    """Set up at 10:56, confirm the counter at 10:58, compile 10:55; return that first state."""
    await rig.setup()
    await rig.poll()  # 10:58: the guard confirms the counter
    first_state = rig.state_wh(PLUG)
    await rig.compile(SETUP.replace(minute=55))  # the 10:55 row and the 10:00 hour
    assert rig.stats_requests() == 0  # no statistic yet when those polls ran
    return first_state


def _wh(row: dict[str, Any]) -> float:
    return float(row["sum"])


async def test_history_is_imported_before_the_first_statistic_and_continues_live(
    rig: Rig,
) -> None:
    first_state = await _set_up_with_first_statistic(rig)
    live_before = {row["start"]: row for row in await rig.rows(PLUG)}
    assert list(live_before) == [SETUP.replace(minute=0).timestamp()]

    await rig.poll()  # 11:00: a statistic exists; the box is asked once, datatime 11:00
    assert rig.stats_requests() == 1
    anchor = rig.hub.listed[PLUG].data.values["energy"]
    assert isinstance(anchor, float)
    datatime = (SETUP + timedelta(minutes=4)).timestamp()
    rows = await rig.rows(PLUG)
    by_start = {row["start"]: row for row in rows}
    boundary = SETUP.replace(minute=0).timestamp()
    # every imported hour lies strictly before the first recorded statistic's hour
    imported = [row for row in rows if row["start"] < boundary]
    assert len(imported) > 24 * 90
    assert all(datetime.fromtimestamp(r["start"], UTC).minute == 0 for r in rows)
    sums = [_wh(row) for row in rows]
    assert sums == sorted(sums)  # monotonic across the boundary
    assert imported[0]["sum"] >= 0  # the first row's change is its sum: never negative

    def sum_at(end: float) -> float:
        return _wh(by_start[end - 3600])

    # whole days and months of the box, to the Wh (the days run back from datatime)
    for index in range(1, len(DAILY)):
        newer, older = datatime - index * DAY_GRID, datatime - (index + 1) * DAY_GRID
        assert sum_at(newer) - sum_at(older) == pytest.approx(DAILY[index], abs=1e-6)
    for index in range(1, len(MONTHLY) - 1):
        newer, older = datatime - index * MONTH_GRID, datatime - (index + 1) * MONTH_GRID
        assert sum_at(newer) - sum_at(older) == pytest.approx(MONTHLY[index], abs=1e-6)
    assert sum_at(datatime - DAY_GRID) == pytest.approx(sum(MONTHLY) - DAILY[0])
    # the states are the counter: the live reading minus the box's samples
    assert by_start[datatime - DAY_GRID - 3600]["state"] == pytest.approx(anchor - DAILY[0])
    # the first live hour counts its own energy once: from the boundary (interpolated
    # counter) to its end, and the live row was shifted onto the backfilled sums
    live = by_start[boundary]
    counter_at_boundary = anchor - DAILY[0] / 24
    assert live["state"] == pytest.approx(first_state)
    assert _wh(live) - sum_at(boundary) == pytest.approx(first_state - counter_at_boundary)

    # the recorder's next rows continue the shifted sums (it reads the latest 5-minute row)
    await rig.poll()  # 11:02
    await rig.compile(SETUP.replace(hour=11, minute=0))
    short = await rig.rows(PLUG, "5minute")
    assert short[-1]["start"] == SETUP.replace(hour=11, minute=0).timestamp()
    assert _wh(short[-1]) - _wh(short[-2]) == pytest.approx(short[-1]["state"] - short[-2]["state"])
    # what the Energy dashboard asks for: no negative change anywhere
    changes = await rig.rows(PLUG, "day", types={"change"})
    assert changes and all(row["change"] >= -1e-9 for row in changes)
    assert sum(row["change"] for row in changes) == pytest.approx(_wh(live))

    # a second setup does not import again (the entry's store remembers the device)
    before = await rig.rows(PLUG)
    await rig.unload()
    await rig.setup()
    await rig.poll()
    assert rig.stats_requests() == 1
    assert rig.hub.backfill.done[PLUG]["hours"] == len(imported)
    # even with the store lost, the statistics say it is done: nothing changes
    rig.hub.backfill.done.clear()
    await rig.poll()
    assert rig.stats_requests() == 2
    after = await rig.rows(PLUG)
    assert [(r["start"], r["sum"]) for r in after if r["start"] < boundary] == [
        (r["start"], r["sum"]) for r in before if r["start"] < boundary
    ]


async def test_without_history_or_powermeter_nothing_is_imported(rig: Rig) -> None:
    await _set_up_with_first_statistic(rig)
    await rig.poll()
    # the plug with history and the one without were asked; the thermostat and the
    # plug out of reach never
    assert sorted(rig.box.stats_requests) == ["08761 0000434", "11657 0067315"]
    boundary = SETUP.replace(minute=0).timestamp()
    assert [row["start"] for row in await rig.rows(EMPTY_PLUG)] == [boundary]
    assert rig.hub.backfill.done[EMPTY_PLUG]["hours"] == 0


async def test_box_without_statistics_command_leaves_statistics_alone(rig: Rig) -> None:
    rig.box.stats_command = False  # old firmware: 400
    await _set_up_with_first_statistic(rig)
    await rig.poll()
    await rig.poll()
    assert rig.stats_requests() == 1  # once per device and setup, not on every poll
    assert [row["start"] for row in await rig.rows(PLUG)] == [SETUP.replace(minute=0).timestamp()]
    assert PLUG not in rig.hub.backfill.done


async def test_failed_poll_starts_nothing(rig: Rig) -> None:
    await _set_up_with_first_statistic(rig)
    rig.box.offline = True  # rebooting: the poll fails
    await rig.poll()
    assert rig.stats_requests() == 0
    rig.box.offline = False
    await rig.poll()
    assert rig.stats_requests() == 1


async def test_older_statistics_than_the_box_history_get_nothing(rig: Rig) -> None:
    await _set_up_with_first_statistic(rig)
    entity_id = rig.entity_id(PLUG)
    old = (SETUP - timedelta(days=365)).replace(minute=0)
    async_import_statistics(
        rig.hass,
        {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": None,
            "source": "recorder",
            "statistic_id": entity_id,
            "unit_class": "energy",
            "unit_of_measurement": "kWh",
        },
        [{"start": old, "state": 900.0, "sum": 0.0}],
    )
    await async_wait_recording_done(rig.hass)
    await rig.poll()
    assert rig.stats_requests() == 1
    assert [row["start"] for row in await rig.rows(PLUG)] == [
        old.timestamp(),
        SETUP.replace(minute=0).timestamp(),
    ]
    assert rig.hub.backfill.done[PLUG]["hours"] == 0


def _stats(*series: tuple[int, tuple[float | None, ...], int | None]) -> DeviceStats:
    return DeviceStats({"energy": tuple(StatsSeries(g, v, t) for g, v, t in series)})


def test_counter_points_gaps_zeros_and_missing_datatime() -> None:
    now = 10 * MONTH_GRID
    # no datatime: the answer's time; a gap ends the days; old zeros are not history
    stats = _stats((DAY_GRID, (5.0, 7.0, None, 9.0), None), (MONTH_GRID, (40.0, 0.0, 0.0), now))
    assert counter_points(stats, 100.0, now) == [
        (now, 100.0),
        (now - DAY_GRID, 95.0),
        (now - 2 * DAY_GRID, 88.0),
        (now - MONTH_GRID, 60.0),
    ]
    # a month total smaller than the days is inconsistent: that point is dropped
    stats = _stats((DAY_GRID, (50.0,), now), (MONTH_GRID, (10.0, 5.0), now))
    assert counter_points(stats, 100.0, now) == [(now, 100.0), (now - DAY_GRID, 50.0)]
    # a datatime ahead of our clock is taken as now; nothing but "-": no history
    assert counter_points(_stats((DAY_GRID, (None,), now + 60)), 1.0, now) == []
    assert counter_points(DeviceStats({}), 1.0, now) == []
    points = [(7200.0, 20.0), (0.0, 0.0)]
    assert counter_at(points, 3600.0) == 10.0
    with pytest.raises(ValueError, match="outside"):
        counter_at(points, 9000.0)
    assert hourly_counters([], 3600.0) == []
    assert hourly_counters(points, 3600.0) == [(0.0, 0.0), (3600.0, 10.0)]


# --- outages: the hours without readings get their share ------------------------------
async def _hour_rows(rig: Rig) -> dict[float, dict[str, Any]]:
    return {row["start"]: row for row in await rig.rows(PLUG)}


async def _compile_hours(rig: Rig, first: datetime, hours: int) -> None:
    """Compile the last 5-minute period (and so the hour) of each hour from ``first``."""
    for index in range(hours):
        await rig.compile(first + timedelta(hours=index, minutes=55))


async def _outage_rig(rig: Rig) -> float:
    """Set up, backfill the history at 11:00; return that reading (Wh)."""
    await _set_up_with_first_statistic(rig)
    await rig.poll()  # 11:00: the history is imported (the first backfill)
    assert PLUG in rig.hub.backfill.done
    return rig.state_wh(PLUG)


async def _await_outage_fill(rig: Rig, published: datetime) -> None:
    """Compile the first reading's period; the next poll spreads the outage."""
    await rig.compile(published)
    await rig.poll()
    await rig.hass.async_block_till_done()
    await async_wait_recording_done(rig.hass)


HOUR_11 = SETUP.replace(minute=0) + timedelta(hours=1)


def _at(hour: int, minute: int = 0) -> datetime:
    return HOUR_11.replace(hour=hour, minute=minute)


def _true_wh(rig: Rig) -> float:
    """The fake plug's own counter now (the oracle: it drew 600 W all along)."""
    return rig.box.devices["11657 0067315"].energy_wh


async def _assert_spread(rig: Rig, truth_at_11: float) -> None:
    """Hours 11-15 carry what the plug really drew in them; hour 16 only its own."""
    rows = await _hour_rows(rig)
    ref = rows[_at(10).timestamp()]  # hour 10: untouched
    for hour in range(11, 16):
        row = rows[_at(hour).timestamp()]
        true_counter = truth_at_11 + 600 * (hour + 1 - 11)  # at the end of that hour
        assert row["state"] == pytest.approx(true_counter, abs=1)  # the box counts whole Wh
        # each row's sum continues the row before the outage by its counter's increase
        assert row["sum"] - ref["sum"] == pytest.approx(row["state"] - ref["state"], abs=1e-6)
    # the recorder's own hour of the first reading counts only what came after 16:00
    await rig.advance(_at(17).timestamp() - rig.clock.now)
    await rig.compile(_at(16, 55))
    rows = await _hour_rows(rig)
    live, last = rows[_at(16).timestamp()], rows[_at(15).timestamp()]
    assert live["sum"] - last["sum"] == pytest.approx(live["state"] - last["state"], abs=1e-6)
    assert 0 <= live["sum"] - last["sum"] <= 600 * 20 / 60 + 1  # 16:00-16:18 at most
    # nothing lost, nothing twice: monotonic sums, the increase is the counter's
    sums = [row["sum"] for _, row in sorted(rows.items())]
    assert sums == sorted(sums)
    assert live["sum"] - ref["sum"] == pytest.approx(live["state"] - ref["state"], abs=1e-6)


async def test_a_box_out_of_reach_for_hours_gets_its_energy_spread(rig: Rig) -> None:
    await _outage_rig(rig)
    truth_at_11 = _true_wh(rig)
    rig.box.offline = True  # rebooting, then out of reach for five hours
    for _ in range(3):
        await rig.poll(1200)  # 11:20, 11:40, 12:00: every poll fails
    for minute in range(0, 60, 5):  # hour 11: the 11:00 reading, unavailable from 11:20
        await rig.compile(_at(11, minute))
    await rig.advance(_at(16, 10).timestamp() - rig.clock.now)
    await _compile_hours(rig, _at(12), 4)  # hours 12-15: no row at all
    assert [start for start in await _hour_rows(rig) if start > HOUR_11.timestamp()] == []
    rig.box.offline = False
    await rig.poll(0)  # 16:10: a candidate; available again, the last value written at once
    await rig.poll()  # 16:12: confirmed: five hours in one reading (written 5 min after 16:10)
    assert PLUG in rig.hub.backfill.outages.pending  # kept until the statistics hold it
    await rig.poll()  # 16:14
    await rig.compile(_at(16, 10))
    await rig.poll()  # 16:16: the new index is written; the 16:10 row does not hold it
    # the guard publishes a rise once the next reading confirms it: one poll behind at most
    assert _true_wh(rig) - 600 * 2 / 60 - 1 <= rig.state_wh(PLUG) <= _true_wh(rig) + 1
    assert PLUG in rig.hub.backfill.outages.pending
    rig.box.stats_command = False  # no history from the box: a straight line
    await _await_outage_fill(rig, _at(16, 15))
    assert PLUG not in rig.hub.backfill.outages.pending
    await _assert_spread(rig, truth_at_11)


async def test_hours_home_assistant_was_stopped_are_spread_after_the_restart(
    rig: Rig,
) -> None:
    """A stopped HA leaves its last state: the recorder compiles flat hours, then a lump."""
    await _outage_rig(rig)
    truth_at_11 = _true_wh(rig)
    entity_id = rig.entity_id(PLUG)
    last = rig.hass.states.get(entity_id)
    assert last is not None
    await rig.unload()  # Home Assistant stops at 11:00 ...
    rig.hass.states.async_set(entity_id, last.state, last.attributes)  # ... its state stays
    await rig.advance(_at(16, 10).timestamp() - rig.clock.now)
    for minute in range(0, 60, 5):
        await rig.compile(_at(11, minute))
    await _compile_hours(rig, _at(12), 4)  # what the recorder catches up on at start
    flat = await _hour_rows(rig)
    assert {flat[_at(hour).timestamp()]["sum"] for hour in range(11, 16)} == {
        flat[_at(11).timestamp()]["sum"]
    }
    rig.hass.states.async_remove(entity_id)
    await rig.setup()  # 16:10: started again; the guard is restored, the reading a candidate
    await rig.poll()  # 16:12: confirmed and published
    await rig.unload()  # stopped again before the recorder compiled it: the store keeps it
    await rig.setup()
    assert PLUG in rig.hub.backfill.outages.pending
    await _await_outage_fill(rig, _at(16, 10))
    assert PLUG not in rig.hub.backfill.outages.pending
    await _assert_spread(rig, truth_at_11)
    assert rig.stats_requests() == 2  # the first backfill once, this outage once


async def test_an_outage_without_a_row_before_it_is_dropped(rig: Rig) -> None:
    """Nothing to continue from (statistics purged, entity excluded): nothing written."""
    await _outage_rig(rig)
    outages = rig.hub.backfill.outages
    at = _at(11).timestamp()
    fridge = rig.hub.listed[EMPTY_PLUG]
    outages.note(EMPTY_PLUG, Outage(at - 30 * 86400, 0.0, at - 3600, 0.0, at - 3600))
    # not a statistic (yet): kept for a later poll
    assert not await outages.async_fill(fridge, "sensor.not_recorded", 2.0)
    assert EMPTY_PLUG in outages.pending
    before = await rig.rows(EMPTY_PLUG)
    await _await_outage_fill(rig, _at(11))
    assert EMPTY_PLUG not in outages.pending  # no row before it: dropped
    assert await rig.rows(EMPTY_PLUG) == before


def test_outages_are_increases_after_a_long_silence_across_an_hour() -> None:
    at = _at(11).timestamp()
    assert outage_between(None, (5.0, at), at) is None
    assert outage_between((5.0, at - 7200), None, at) is None
    assert outage_between((5.0, at - 7200), (5.0, at), at) is None  # nothing counted
    assert outage_between((5.0, at - 1200), (9.0, at), at) is None  # a short one
    assert outage_between((5.0, at - 7200), (9.0, at), at, min_outage=3 * 3600) is None
    assert outage_between((5.0, at + 60), (9.0, at + 3000), at) is None  # within an hour
    assert outage_between((5.0, at - 7200), (9.0, at), at + 120) == Outage(
        at - 7200, 5.0, at, 9.0, at + 120
    )
    assert Outage.from_dict({"before_at": "x"}) is None
    outage = Outage(1.0, 2.0, 3.0, 4.0, 5.0)
    assert Outage.from_dict(outage.as_dict()) == outage


def test_outage_counters_follow_the_box_history_and_stay_within_the_states() -> None:
    t0 = _at(11).timestamp()
    outage = Outage(t0, 100.0, t0 + 4 * 3600, 500.0, t0 + 4 * 3600 + 120)
    ends = [t0 + hour * 3600 for hour in range(1, 5)]
    # the box's history: 300 Wh in the first hour, then 100 Wh over the next three
    history = [(t0 + 3 * 3600, 450.0), (t0 + 3600, 400.0), (t0 + 1800, 0.0)]
    assert outage_counters(outage, history, ends, 100.0, 500.0) == [
        (ends[0], 400.0),
        (ends[1], 425.0),
        (ends[2], 450.0),
        (ends[3], 500.0),
    ]
    # the recorder's states lag the readings: they bound every counter
    assert [c for _, c in outage_counters(outage, [], ends, 150.0, 300.0)] == [
        187.5,
        225.0,
        262.5,
        300.0,
    ]
    assert hours_to_rewrite(t0 - 3600, ends[-1] + 600) == [t0, *ends]


async def test_a_second_outage_before_the_first_is_spread_covers_both(rig: Rig) -> None:
    await _outage_rig(rig)
    outages = rig.hub.backfill.outages
    at = _at(11).timestamp()
    outages.note(PLUG, Outage(at, 1.0, at + 3600, 2.0, at + 3600))
    outages.note(PLUG, Outage(at + 3600, 2.0, at + 9000, 3.0, at + 9000))
    assert outages.pending[PLUG] == Outage(at, 1.0, at + 9000, 3.0, at + 9000).as_dict()
    outages.pending[PLUG] = {"broken": True}  # a store written by something else
    assert await outages.async_fill(rig.hub.listed[PLUG], rig.entity_id(PLUG), 1.0)
    assert PLUG not in outages.pending
