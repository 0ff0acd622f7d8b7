"""An IEC 62056-21 readout meter in Home Assistant, played by the simulator on a real pty."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.optical.const import (
    CONF_POLL_INTERVAL,
    CONF_POWER_LIMIT,
    EVENT_ANOMALY,
)
from custom_components.energy_meters.optical.coordinator import (
    IecCoordinator,
    manufacturer_of,
)
from simulators.iec62056 import IecFaults, IecMeterModel, IecMeterSimulator
from simulators.iec62056_port import PtyPort

from .optical_rig import (  # noqa: F401
    IEC_SERIAL,
    Player,
    iec_entry,
    line_fixture,
    needs_socat,
    optical_kind,
    player_fixture,
)

pytestmark = needs_socat
ENERGY = f"{IEC_SERIAL}_1_0_1_8_0_255"
VOLTAGE_L1 = f"{IEC_SERIAL}_1_0_32_7_0_255"


def _coordinator(entry: Any) -> IecCoordinator:
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    assert isinstance(coordinator, IecCoordinator)
    coordinator.policy = type(coordinator.policy)(slow_interval=0, fast_interval=0)
    return coordinator


def _state(hass: HomeAssistant, unique_id: str, domain: str = "sensor") -> str:
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _refresh(hass: HomeAssistant, coordinator: IecCoordinator) -> None:
    await coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_readouts_become_entities_and_faults_recover(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    meter = await player.iec(line, IecMeterSimulator(reaction=0.0))
    entry = iec_entry(str(line.path))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    assert coordinator.readouts == 1
    assert coordinator.update_interval == timedelta(seconds=10)  # 2 x readout, at least 10 s
    device = coordinator.device_info
    assert device["manufacturer"] == "Landis+Gyr" and device["model"] == "IEC 62056-21"
    # a counter is written once the next readout confirms it
    assert _state(hass, ENERGY) == "unknown"
    assert float(_state(hass, VOLTAGE_L1)) == pytest.approx(230.1)
    await _refresh(hass, coordinator)
    assert float(_state(hass, ENERGY)) == pytest.approx(1234.577)  # confirmed by the next
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, ENERGY)
    assert entity_id is not None
    energy = hass.states.get(entity_id)
    assert energy is not None  # Energy-dashboard ready
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["state_class"] == "total"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    # refreshes asked while a readout runs wait for it: two sessions never overlap
    before = meter.readouts
    await asyncio.gather(coordinator.async_refresh(), coordinator.async_refresh())
    assert coordinator.last_update_success
    assert meter.readouts == before + 2

    for fault in ("silent", "bad_bcc", "truncated"):
        meter.faults = IecFaults(**{fault: True})
        await _refresh(hass, coordinator)
        assert not coordinator.last_update_success, fault
        assert _state(hass, ENERGY) == STATE_UNAVAILABLE  # never zero
        meter.faults = IecFaults()
        await _refresh(hass, coordinator)
        assert coordinator.last_update_success, fault
        assert _state(hass, ENERGY) != STATE_UNAVAILABLE
    assert coordinator.link.checksum_errors == 1
    assert coordinator.link.frames_failed >= 3
    diagnostics = coordinator.diagnostics()
    assert diagnostics["switch_baudrate"] is True and diagnostics["readouts"] >= 4

    # the meter stops following the baud switch: read at 300 Bd from then on
    meter.faults = IecFaults(refuse_switch=True)
    await _refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert coordinator.options.switch_baudrate is False

    # the port disappears: unavailable with a translated reason, no crash
    await player.stop()
    await line.stop()
    await _refresh(hass, coordinator)
    assert not coordinator.last_update_success
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_anomalies_are_entities_with_attributes_and_events(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    model = IecMeterModel(voltages=("230.1", "260.5", "0.0"), frequency="49.2")
    model.extra_lines.append("1-0:99.99.9(42*xyz)")
    await player.iec(line, IecMeterSimulator(model, reaction=0.0))
    entry = iec_entry(str(line.path))
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={CONF_POLL_INTERVAL: 60, CONF_POWER_LIMIT: 1.0}
    )
    events: list[Event[Any]] = []
    hass.bus.async_listen(EVENT_ANOMALY, events.append)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    assert coordinator.update_interval == timedelta(seconds=60)
    registry = er.async_get(hass)
    l2 = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{IEC_SERIAL}_anomaly_voltage_l2")
    assert l2 is not None
    state = hass.states.get(l2)
    assert state is not None and state.state == "on"
    assert state.attributes["value"] == pytest.approx(260.5)
    assert state.attributes["maximum"] == 253.0 and state.attributes["direction"] == "over"
    assert _state(hass, f"{IEC_SERIAL}_anomaly_voltage_l1", "binary_sensor") == "off"
    assert _state(hass, f"{IEC_SERIAL}_anomaly_frequency", "binary_sensor") == "on"
    assert _state(hass, f"{IEC_SERIAL}_anomaly_power", "binary_sensor") == "on"  # 1.234 kW > 1
    fired = {(event.data["anomaly"], event.data["active"]) for event in events}
    assert fired == {("voltage_l2", True), ("frequency", True), ("power", True)}
    # 0 V is no reading: rejected, counted, no L3 voltage written
    assert coordinator.link.rejected_readings >= 1
    assert "1_0_72_7_0_255" not in coordinator.data.values
    # an unknown code is kept, as a disabled generic sensor
    generic = registry.async_get_entity_id("sensor", DOMAIN, f"{IEC_SERIAL}_1_0_99_99_9_255")
    assert generic is not None
    assert registry.async_get(generic).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # the supply comes back: the anomalies end, with an event each
    model.voltages = ("230.1", "231.0", "229.0")
    model.frequency = "50.00"
    events.clear()
    await _refresh(hass, coordinator)
    assert _state(hass, f"{IEC_SERIAL}_anomaly_voltage_l2", "binary_sensor") == "off"
    assert ("voltage_l2", False) in {(e.data["anomaly"], e.data["active"]) for e in events}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_another_meter_on_the_port_raises_a_repair(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    meter = await player.iec(line, IecMeterSimulator(reaction=0.0))
    entry = iec_entry(str(line.path))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    meter.model.serial = "99999999"
    for _ in range(3):
        await _refresh(hass, coordinator)
        assert not coordinator.last_update_success
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"meter_replaced_{entry.entry_id}") is not None
    meter.model.serial = IEC_SERIAL
    await _refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert issues.async_get_issue(DOMAIN, f"meter_replaced_{entry.entry_id}") is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_silent_port_at_setup_retries(hass: HomeAssistant, line: PtyPort) -> None:
    entry = iec_entry(str(line.path))
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "No complete readout" in str(entry.reason)


def test_manufacturer_names() -> None:
    assert manufacturer_of("lgz") == "Landis+Gyr"
    assert manufacturer_of("XYZ") == "XYZ"
    assert manufacturer_of(None) is None


async def test_read_now_presses_share_one_readout(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    """Two presses while a readout runs start one session, and the value is fresh after."""
    meter = await player.iec(line, IecMeterSimulator(reaction=0.0))
    entry = iec_entry(str(line.path))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    entity_id = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{IEC_SERIAL}_read_now")
    assert entity_id is not None
    before = meter.readouts
    await asyncio.gather(
        hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True),
        hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True),
    )
    assert meter.readouts == before + 1
    assert coordinator.last_update_success
    await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    assert meter.readouts == before + 2  # a later press reads again
    assert await hass.config_entries.async_unload(entry.entry_id)
