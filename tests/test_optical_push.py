"""DLMS/COSEM and SML push meters in Home Assistant, pushed by the simulators on a real pty."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.optical.coordinator import (
    DlmsCoordinator,
    SmlCoordinator,
    _OpticalPush,
)
from simulators.dlms import TEST_KEY, DlmsFaults, DlmsMeterModel, DlmsPushSimulator
from simulators.iec62056_port import PtyPort
from simulators.sml import SmlFaults, SmlMeterModel, SmlPushSimulator

from .optical_rig import (  # noqa: F401
    DLMS_NAME,
    SML_SERVER,
    Player,
    line_fixture,
    needs_socat,
    optical_kind,
    player_fixture,
    push_entry,
    wait_until,
)

pytestmark = needs_socat


@pytest.fixture(autouse=True)
def short_first_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dead port fails the setup within 2 s (an upper bound)."""
    monkeypatch.setattr(_OpticalPush, "first_data_timeout", 2.0)


def _coordinator(entry: Any) -> Any:
    coordinator = next(iter(entry.runtime_data.coordinators.values()))
    coordinator.policy = type(coordinator.policy)(slow_interval=0, fast_interval=0)
    return coordinator


def _state(hass: HomeAssistant, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_dlms_push_faults_and_a_wrong_key_recover(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    source = DlmsPushSimulator()
    await player.push(line, source.next_push, 0.05)
    entry = push_entry(str(line.path), "dlms", DLMS_NAME)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    assert isinstance(coordinator, DlmsCoordinator)
    energy = f"{DLMS_NAME}_1_0_1_8_0_255"
    voltage = f"{DLMS_NAME}_1_0_32_7_0_255"
    await wait_until(lambda: coordinator.data.values.get("1_0_1_8_0_255") is not None)
    await hass.async_block_till_done()
    assert float(_state(hass, voltage)) == pytest.approx(230.1)
    assert float(_state(hass, energy)) > 1234
    assert coordinator.device_info["manufacturer"] == "Landis+Gyr"
    # staleness follows the measured push period (assumed 5 s before any is measured)
    await wait_until(lambda: coordinator.diagnostics()["push_period_s"] < 0.5)
    assert coordinator.stale_after() < 2.5

    source.faults = DlmsFaults(bad_fcs=True)
    errors = coordinator.link.checksum_errors
    await wait_until(lambda: coordinator.link.checksum_errors > errors)
    source.faults = DlmsFaults(truncated=True)
    failed = coordinator.link.frames_failed
    await wait_until(lambda: coordinator.link.frames_failed > failed)

    issue_id = f"wrong_key_{entry.entry_id}"
    issues = ir.async_get(hass)
    source.faults = DlmsFaults(wrong_key=True)
    await wait_until(lambda: issues.async_get_issue(DOMAIN, issue_id) is not None)
    await wait_until(lambda: not coordinator.last_update_success)  # stale: nothing decrypts
    await hass.async_block_till_done()
    assert _state(hass, energy) == STATE_UNAVAILABLE  # never zero
    source.faults = DlmsFaults()
    await wait_until(lambda: coordinator.last_update_success)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.diagnostics()["push_period_s"] < 0.5  # the outage was no push period
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_dlms_push_from_another_meter_is_not_published(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    source = DlmsPushSimulator(key=None)
    await player.push(line, source.next_push, 0.05)
    entry = push_entry(str(line.path), "dlms", DLMS_NAME, key="")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    _coordinator(entry)
    source.model = DlmsMeterModel(name="OTHER0000000001")
    issue_id = f"meter_replaced_{entry.entry_id}"
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_sml_push_meter(hass: HomeAssistant, line: PtyPort, player: Player) -> None:
    source = SmlPushSimulator()
    await player.push(line, source.next_push, 0.05)
    entry = push_entry(str(line.path), "sml", SML_SERVER)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    assert isinstance(coordinator, SmlCoordinator)
    assert coordinator.device_info["manufacturer"] == "EMH metering"
    await wait_until(lambda: coordinator.data.values.get("1_0_1_8_0_255") is not None)
    await hass.async_block_till_done()
    assert float(_state(hass, f"{SML_SERVER}_1_0_32_7_0_255")) == pytest.approx(230.1)
    source.faults = SmlFaults(bad_crc=True)
    await wait_until(lambda: coordinator.link.checksum_errors > 0)
    source.faults = SmlFaults()
    source.model = SmlMeterModel(server_id=bytes.fromhex("0a01ffff0000b8ef15ff"))
    issue_id = f"meter_replaced_{entry.entry_id}"
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    assert coordinator.manufacturer_flag is None  # not letters: no manufacturer
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_silent_push_port_at_setup_retries(hass: HomeAssistant, line: PtyPort) -> None:
    entry = push_entry(str(line.path), "sml", SML_SERVER)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "No valid frame" in str(entry.reason)


async def test_diagnostics_hide_the_key_and_the_meter(
    hass: HomeAssistant, hass_client: Any, line: PtyPort, player: Player
) -> None:
    await player.push(line, DlmsPushSimulator().next_push, 0.05)
    entry = push_entry(str(line.path), "dlms", DLMS_NAME)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    text = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    for secret in (TEST_KEY.hex().upper(), DLMS_NAME):
        assert secret not in text, secret
    assert "push_period_s" in text  # still useful
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_debug_logs_hold_no_key_and_no_full_serial(
    hass: HomeAssistant, line: PtyPort, player: Player, caplog: pytest.LogCaptureFixture
) -> None:
    """At debug level, with the right key, a wrong one and the meter's own name in play."""
    caplog.set_level("DEBUG")
    source = DlmsPushSimulator()
    await player.push(line, source.next_push, 0.05)
    entry = push_entry(str(line.path), "dlms", DLMS_NAME)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    await wait_until(lambda: coordinator.data.values.get("1_0_1_8_0_255") is not None)
    source.faults = DlmsFaults(wrong_key=True)
    issue_id = f"wrong_key_{entry.entry_id}"
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    source.faults = DlmsFaults()
    await wait_until(lambda: coordinator.last_update_success)
    assert await hass.config_entries.async_unload(entry.entry_id)
    # every logger but the test harness's mock storage (it prints what it would save)
    text = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("pytest_homeassistant_custom_component")
    )
    assert any(  # the integration did log at debug level
        r.name.startswith("custom_components.energy_meters") and r.levelname == "DEBUG"
        for r in caplog.records
    )
    for secret in (TEST_KEY.hex(), TEST_KEY.hex().upper(), DLMS_NAME):
        assert secret not in text, secret
