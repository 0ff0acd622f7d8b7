"""Linky inside Home Assistant: event-loop time per frame and state writes.

Feeds a simulated single-phase standard-mode Linky (``simulators.tic_model``,
values changing like a real home) frame by frame into a real Home Assistant
core with this integration loaded, on a virtual clock of one frame every
0.9 s. Prints:

* the event-loop time per frame, from bytes to state writes (parser, counter
  guard, coordinator, every entity's policy check and the writes themselves);
* the number of state writes against writing every label on every frame (what
  a naive push integration does), for the default update policy.

Run: ``scripts/run 'python benchmarks/bench_linky_ha.py [--minutes 30]'``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import statistics
import sys
import time
from types import SimpleNamespace
from unittest.mock import patch

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from homeassistant import loader
from homeassistant.const import EVENT_STATE_CHANGED
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_meters  # noqa: F401 - before HA mounts its test config
from custom_components.energy_meters.protocol.tic.encoder import (
    encode_frame,
    encode_group,
)
from simulators.tic_model import PROFILES, MeterModel
from tests.tic_frames import FakeTicLink

FRAME_PERIOD = 0.9


async def run(minutes: float, profile_name: str) -> None:
    """Feed ``minutes`` of frames and report."""
    profile = PROFILES[profile_name]
    start = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    model = MeterModel(profile, start=start)
    frames = int(minutes * 60 / FRAME_PERIOD)

    def frame_at(second: float) -> bytes:
        now = start + timedelta(seconds=second)
        model.advance(now)
        return encode_frame(
            encode_group(label, data, profile.mode, horodate)
            for label, data, horodate in model.groups(now)
        )

    clock = SimpleNamespace(now=1000.0)
    fake_time = SimpleNamespace(monotonic=lambda: clock.now, time=lambda: clock.now)
    link = FakeTicLink()
    link.push(frame_at(0))
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        entry = MockConfigEntry(
            domain="energy_meters",
            unique_id=profile.serial,
            data={
                "kind": "linky",
                "device": "/dev/ttyBENCH",
                "tic_mode": profile.mode.value,
                "serial": profile.serial,
            },
        )
        entry.add_to_hass(hass)
        with (
            patch(
                "custom_components.energy_meters.linky.coordinator.open_serial", return_value=link
            ),
            patch("custom_components.energy_meters.entity.time", fake_time),
            patch("custom_components.energy_meters.coordinator.time", fake_time),
            patch("custom_components.energy_meters.linky.coordinator.time", fake_time),
            patch("custom_components.energy_meters.push_reader.time", fake_time),
        ):
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            (coordinator,) = entry.runtime_data.coordinators.values()
            changes = 0

            def _count(_event: object) -> None:
                nonlocal changes
                changes += 1

            hass.bus.async_listen(EVENT_STATE_CHANGED, _count)
            entities = len(hass.states.async_all())
            labels_sent = 0
            loop_times: list[float] = []
            writes_before = coordinator.link.state_writes
            for index in range(1, frames + 1):
                clock.now += FRAME_PERIOD
                data = frame_at(index * FRAME_PERIOD)
                t0 = time.perf_counter()
                for frame in coordinator.parser.feed(data):
                    labels_sent += len(frame.groups)
                    if (result := coordinator._process(frame)) is not None:  # noqa: SLF001
                        coordinator.async_set_updated_data(result)
                loop_times.append(time.perf_counter() - t0)
                if index % 50 == 0:
                    await hass.async_block_till_done()
            await hass.async_block_till_done()
            writes = coordinator.link.state_writes - writes_before
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()

    naive = labels_sent
    print(
        f"profile {profile_name}: {frames} frames ({minutes:g} min at one frame / {FRAME_PERIOD} s)"
    )
    print(f"  entities enabled                 {entities}")
    print(
        f"  labels received                  {labels_sent} ({labels_sent / frames:.1f} per frame)"
    )
    print(f"  naive writes (every label/frame) {naive}")
    print(f"  our state writes                 {writes} ({changes} state_changed events)")
    print(f"  ratio naive / ours               {naive / max(writes, 1):.1f}x fewer writes")
    print(
        "  event-loop time per frame        "
        f"median {statistics.median(loop_times) * 1e6:.0f} µs, "
        f"p95 {sorted(loop_times)[int(0.95 * len(loop_times))] * 1e6:.0f} µs, "
        f"max {max(loop_times) * 1e6:.0f} µs"
    )


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--profile", default="standard-mono", choices=sorted(PROFILES))
    args = parser.parse_args()
    asyncio.run(run(args.minutes, args.profile))


if __name__ == "__main__":
    main()
