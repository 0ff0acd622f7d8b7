"""Linky in Home Assistant against the real simulator over TCP (ser2net-style).

No fake transport: the config flow detects the mode over ``socket://``, the
coordinator reads the simulator through serialx, and the simulator injects the
faults a real line has (bad checksums, EOT, garbage, counter glitches that pass
the checksum, a ser2net restart).

The simulator never follows the wall clock here: its clock starts at a fixed
instant (:class:`SimulatedClock`, real-time rate) and the home draws a constant
3000 VA, so EAST gains 1 Wh every ~1.3 s whatever the time of day the test runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.protocol.tic.horodate import PARIS
from simulators.tic import Faults, SimulatedClock, TicSimulator
from simulators.tic_model import ConstantLoad
from simulators.tic_transport import TcpMeterServer

from .tic_frames import only_coordinator, wait_until

pytestmark = pytest.mark.usefixtures("socket_enabled")  # 127.0.0.1 simulator only

# 03:00 on a weekday, where the daily curve is at its lowest: the explicit load decides
NIGHT = datetime(2026, 3, 2, 3, 2, 30, tzinfo=PARIS)  # and outside the periodic tri overrun
LOAD_VA = 3000.0


async def _add_through_flow(hass: HomeAssistant, url: str) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "linky"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"device": url})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"]


async def test_faulty_line_keeps_counters_monotonic(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    sim = TicSimulator(
        "standard-mono",
        speed_factor=10,
        faults=Faults(bad_checksum_rate=0.05, eot_rate=0.1, garbage_rate=0.2),
        clock=SimulatedClock(NIGHT),
        load=ConstantLoad(LOAD_VA),
    )
    async with TcpMeterServer(sim) as server:
        entry = await _add_through_flow(hass, server.url)
        coordinator = only_coordinator(entry)
        coordinator.policy = type(coordinator.policy)(slow_interval=0, fast_interval=0)
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry.unique_id}_east")
        seen: list[float] = []

        def _record(event: Event[Any]) -> None:
            state = event.data["new_state"]
            if event.data["entity_id"] == entity_id and state.state not in (
                "unknown",
                "unavailable",
            ):
                seen.append(float(state.state))

        unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
        await wait_until(lambda: len(seen) >= 3, 10)
        # the draw is the profile's, not the hour's
        await wait_until(lambda: coordinator.data.values.get("SINSTS") == LOAD_VA, 10)
        for _ in range(3):  # digit glitches that pass the checksum
            sim.glitch_next_counter(jump=True)
            await wait_until(lambda: not sim.faults.counter_glitch, 10)
            sim.glitch_next_counter(jump=False)
            await wait_until(lambda: not sim.faults.counter_glitch, 10)
        frames = coordinator.link.frames_ok
        await wait_until(lambda: coordinator.link.frames_ok >= frames + 5, 10)
        unsub()
        assert seen == sorted(seen), "an energy index went backwards"
        assert max(seen) - min(seen) < 50, "an implausible jump was written"
        assert coordinator.link.rejected_readings >= 3
        assert coordinator.link.checksum_errors > 0
        assert coordinator.link.quality is not None and coordinator.link.quality < 100

        # ser2net restarts: unavailable, then back on the first valid frame
        server.disconnect_clients()
        await wait_until(lambda: not coordinator.last_update_success, 10)
        await hass.async_block_till_done()
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        await wait_until(lambda: coordinator.last_update_success, 10)
        await hass.async_block_till_done()
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE

        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_three_phase_overrun_creates_alarm_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    sim = TicSimulator(
        "historic-tri", speed_factor=20, clock=SimulatedClock(NIGHT), load=ConstantLoad(LOAD_VA)
    )
    async with TcpMeterServer(sim) as server:
        entry = await _add_through_flow(hass, server.url)
        coordinator = only_coordinator(entry)
        assert coordinator.data.meter.three_phase
        sim.trigger_overrun(5.0)
        await wait_until(lambda: coordinator.data.values.get("ADIR1") is not None, 10)
        await hass.async_block_till_done()
        adir1 = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry.unique_id}_adir1")
        assert adir1 is not None
        assert float(hass.states.get(adir1).state) > 0
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
