"""Corrupted counters fed into a Home Assistant with the recorder: states and statistics exact.

A TIC checksum lets corrupted values through: one random corruption in 64, every
bit-6 flip (a digit becomes a letter) and every swap of two adjacent digits.
Without the guard, a spike or a dip would be summed into the long-term
statistics of the Energy dashboard for good; with a plausible wrong value
accepted, the truth would be locked out for hours. Each scenario feeds frames
with valid checksums through the real coordinator, entity and recorder, and
checks that every written state is a true reading, that the states never
decrease, and that the long-term sum is the true consumption, to the Wh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
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

START = 1_000_000  # Wh


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder must start before ``hass`` (and so before custom integrations)."""


@dataclass
class GuardClock:
    """The guard's clock: a tenth of a second per reading, and jumps the scenario asks for."""

    now: float = 1_700_000_000.0

    def read(self) -> float:
        self.now += 0.1
        return self.now


@dataclass(frozen=True)
class Frame:
    """One frame of a scenario: its bytes, the true index, the guard-clock gap before it."""

    data: bytes
    truth: int
    gap: float = 1.0
    corrupted: bool = False


def _east(value: int) -> bytes:
    return f"EAST\t{value:09d}\t".encode()


def swapped(truth: int, position: int) -> Frame:
    """Two adjacent digits of EAST swapped: the byte sum, so the checksum, is unchanged."""
    frame = standard_frame(east=truth)
    digits = list(f"{truth:09d}")
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    corrupted = frame.replace(_east(truth), f"EAST\t{''.join(digits)}\t".encode())
    assert corrupted != frame
    return Frame(corrupted, truth, corrupted=True)


def bit6(truth: int, position: int) -> Frame:
    """One EAST digit with bit 6 flipped ('3' -> 's'): the 6-bit checksum cannot see it."""
    frame = standard_frame(east=truth)
    text = f"{truth:09d}"
    flipped = text[:position] + chr(ord(text[position]) ^ 0x40) + text[position + 1 :]
    return Frame(frame.replace(_east(truth), f"EAST\t{flipped}\t".encode()), truth, corrupted=True)


def true(value: int, gap: float = 1.0) -> Frame:
    return Frame(standard_frame(east=value), value, gap)


def glitch(value: int, truth: int, gap: float = 1.0) -> Frame:
    """A wrong index with a valid checksum (one random corruption in 64 passes)."""
    return Frame(standard_frame(east=value), truth, gap, corrupted=True)


@dataclass
class Scenario:
    name: str
    frames: list[Frame] = field(default_factory=list)


SCENARIOS = [
    Scenario(
        "spike_and_dip",
        [
            true(START),
            true(START + 1),
            glitch(START + 900_000, START + 1),
            true(START + 2),
            glitch(1_000, START + 2),
            true(START + 3),
            true(START + 4),
            true(START + 5),
        ],
    ),
    # after a one-hour gap the allowance is large: a +8 kWh glitch is plausible on its own
    Scenario(
        "gap_then_plausible_glitch",
        [
            true(START),
            true(START + 1),
            glitch(START + 8_001, START + 500, gap=3600.0),
            true(START + 501),
            true(START + 502),
            true(START + 503),
        ],
    ),
    # 1000078 read as 1000087: a small plausible step that the next readings contradict
    Scenario(
        "swapped_low_digits",
        [
            true(START + 77),
            true(START + 77),
            swapped(START + 78, 7),
            true(START + 79),
            true(START + 80),
            swapped(START + 81, 6),
            true(START + 82),
            true(START + 83),
        ],
    ),
    Scenario(
        "bit6_flip_is_not_a_number",
        [
            true(START + 3),
            true(START + 3),
            bit6(START + 4, 3),
            true(START + 5),
            bit6(START + 6, 8),
            true(START + 7),
            true(START + 8),
        ],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_corrupted_counters_leave_states_and_statistics_exact(
    recorder_mock: Any,
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    scenario: Scenario,
) -> None:
    started = dt_util.utcnow()
    link = FakeTicLink()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=STANDARD_SERIAL,
        version=1,
        minor_version=2,
        data={
            CONF_KIND: "linky",
            CONF_DEVICE: "/dev/ttyTIC",
            CONF_TIC_MODE: "standard",
            CONF_SERIAL: STANDARD_SERIAL,
        },
    )
    entry.add_to_hass(hass)
    first, *rest = scenario.frames
    link.push(first.data)
    clock = GuardClock()
    with (
        patch("custom_components.energy_meters.linky.coordinator.open_serial", return_value=link),
        patch(
            "custom_components.energy_meters.coordinator.MeterCoordinator.now",
            lambda _self: clock.read(),
        ),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = only_coordinator(entry)
        coordinator.policy = UpdatePolicy(slow_interval=0, fast_interval=0)  # write everything
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{STANDARD_SERIAL}_east")
        assert entity_id is not None
        for index, frame in enumerate(rest, start=2):
            clock.now += frame.gap
            link.push(frame.data)
            await wait_until(lambda: coordinator.link.frames_ok == index)  # noqa: B023
        await hass.async_block_till_done()
        assert coordinator.link.rejected_readings >= sum(f.corrupted for f in scenario.frames)

        await async_wait_recording_done(hass)
        period = started.replace(minute=started.minute - started.minute % 5, second=0)
        period = period.replace(microsecond=0)
        end = dt_util.utcnow()
        while period <= end:  # every 5-minute period the run touched
            do_adhoc_statistics(hass, start=period)
            period += timedelta(minutes=5)
        await async_wait_recording_done(hass)

    truths = {f.truth for f in scenario.frames}
    last_truth = scenario.frames[-1].truth
    published = coordinator.data.values["EAST"]
    # the last reading waits for the next one to confirm it; the one before is published
    assert published == max(f.truth for f in scenario.frames if f.truth < last_truth)
    assert round(float(hass.states.get(entity_id).state) * 1000) == published

    history = await hass.async_add_executor_job(
        partial(state_changes_during_period, hass, started, entity_id=entity_id)
    )
    written = [
        round(float(s.state) * 1000)
        for s in history[entity_id]
        if s.state not in ("unknown", "unavailable")
    ]
    assert written == sorted(written), written  # never backwards
    assert set(written) <= truths, set(written) - truths  # never a corrupted value
    assert written[-1] == published

    floor = started.replace(minute=started.minute - started.minute % 5, second=0, microsecond=0)
    stats = await hass.async_add_executor_job(
        statistics_during_period, hass, floor, None, {entity_id}, "5minute", None, {"sum", "state"}
    )
    rows = stats[entity_id]
    assert rows
    assert round(rows[-1]["state"] * 1000) == published
    # the long-term sum is the true consumption since the first written state, to the Wh
    assert round(rows[-1]["sum"] * 1000) == published - written[0]
