"""Glitched counters fed into a Home Assistant with the recorder: statistics stay clean.

A TIC checksum lets one corrupted digit in 64 through. Without the guard, a spike
(the index read 900 kWh too high) and a dip (an index read lower) would be
summed into the long-term statistics of the Energy dashboard for good.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
import itertools
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.energy_meters.const import (
    CONF_DEVICE,
    CONF_KIND,
    CONF_SERIAL,
    CONF_TIC_MODE,
    DOMAIN,
)
from custom_components.energy_meters.update_policy import UpdatePolicy

from .tic_frames import STANDARD_SERIAL, FakeTicLink, only_coordinator, standard_frame, wait_until


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder must start before ``hass`` (and so before custom integrations)."""


async def test_glitched_counters_do_not_corrupt_long_term_statistics(
    recorder_mock: Any, hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    # stay inside one 5-minute statistics period
    now = dt_util.utcnow()
    period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    if period + timedelta(minutes=5) - now < timedelta(seconds=20):
        await asyncio.sleep((period + timedelta(minutes=5) - now).total_seconds() + 1)
        now = dt_util.utcnow()
        period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)

    link = FakeTicLink()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=STANDARD_SERIAL,
        data={
            CONF_KIND: "linky",
            CONF_DEVICE: "/dev/ttyTIC",
            CONF_TIC_MODE: "standard",
            CONF_SERIAL: STANDARD_SERIAL,
        },
    )
    entry.add_to_hass(hass)
    link.push(standard_frame(east=1_000_000))
    ticks = itertools.count(1_700_000_000.0, 1.0)  # guard clock: one second per counter reading
    with (
        patch("custom_components.energy_meters.linky.coordinator.open_serial", return_value=link),
        patch(
            "custom_components.energy_meters.coordinator.MeterCoordinator.now",
            lambda _self: next(ticks),
        ),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = only_coordinator(entry)
        coordinator.policy = UpdatePolicy(slow_interval=0, fast_interval=0)  # write everything
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{STANDARD_SERIAL}_east")
        assert entity_id is not None

        # true index: 1 000 000 Wh rising by 1 Wh a frame; two glitches pass the checksum
        readings = [1_000_000, 1_000_001, 1_900_001, 1_000_002, 1_000, 1_000_003, 1_000_004]
        readings.append(1_000_005)  # confirms 1_000_004: a counter is published once confirmed
        for east in readings:
            link.push(standard_frame(east=east))
            await asyncio.sleep(0.05)
        await wait_until(lambda: coordinator.data.values["EAST"] == 1_000_004)
        await hass.async_block_till_done()
        assert coordinator.link.rejected_readings == 2 * 3  # EAST, EASF01, EASD01

        await async_wait_recording_done(hass)
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)

    stats = await hass.async_add_executor_job(
        statistics_during_period, hass, period, None, {entity_id}, "5minute", None, {"sum", "state"}
    )
    rows = stats[entity_id]
    assert len(rows) == 1
    # the states (kWh) went 1000.000 -> 1000.004 and nothing else was ever written
    assert rows[0]["state"] == 1000.004
    assert abs(rows[0]["sum"] - 0.004) < 1e-9
    assert hass.states.get(entity_id).state == "1000.004"
    history = await hass.async_add_executor_job(
        partial(state_changes_during_period, hass, period, entity_id=entity_id)
    )
    recorded = [
        float(s.state) for s in history[entity_id] if s.state not in ("unknown", "unavailable")
    ]
    assert recorded == sorted(recorded)
    assert recorded[0] == 1000.0
    assert max(recorded) == 1000.004
