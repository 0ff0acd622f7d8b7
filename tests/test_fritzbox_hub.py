"""A FRITZ!Box entry set up against the fake box: devices, entities, faults, diagnostics."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.energy_meters import async_remove_config_entry_device
from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.fritzbox.coordinator import max_energy_rate
from custom_components.energy_meters.fritzbox.hub import FritzboxHub
from simulators.fritzbox import FakeFritzBoxServer, SimDevice

from .fritzbox_rig import PASSWORD, USERNAME, box_fixture, entry_for, fritzbox_kind  # noqa: F401

pytestmark = pytest.mark.usefixtures("socket_enabled")

PLUG = "116570067315"


async def _setup(hass: HomeAssistant, server: FakeFritzBoxServer, **data: Any) -> Any:
    entry = entry_for(server, **data)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _state(hass: HomeAssistant, entity_registry: er.EntityRegistry, platform: str, uid: str) -> str:
    entity_id = entity_registry.async_get_entity_id(platform, DOMAIN, uid)
    assert entity_id is not None, uid
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _poll(hass: HomeAssistant, entry: Any) -> None:
    hub: FritzboxHub = entry.runtime_data
    await hub.poller.async_refresh()
    await hass.async_block_till_done()


async def test_devices_behind_the_box_with_units(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = await _setup(hass, box)
    assert entry.state is ConfigEntryState.LOADED
    hub: FritzboxHub = entry.runtime_data
    box_device = device_registry.async_get(hub.device_id or "")
    assert box_device is not None and box_device.manufacturer == "AVM"
    plug = device_registry.async_get_device_by_identifier((DOMAIN, PLUG), entry.entry_id)
    assert plug is not None and plug.via_device_id == box_device.id
    assert plug.model == "FRITZ!DECT 210" and plug.name == "Washing machine"
    power = hass.states.get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{PLUG}_power") or ""
    )
    assert power is not None and float(power.state) == pytest.approx(512.34)
    assert power.attributes["unit_of_measurement"] == "W"
    # voltage and current (power / voltage) exist, off by default (see the catalogue)
    for key in ("voltage", "current"):
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{PLUG}_{key}")
        registry_entry = entity_registry.async_get(entity_id or "")
        assert registry_entry is not None
        assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hub.listed[PLUG].data.values["voltage"] == pytest.approx(227.292)
    assert hub.listed[PLUG].data.values["current"] == pytest.approx(2.254)
    assert _state(hass, entity_registry, "binary_sensor", f"{PLUG}_switch_on") == "on"
    # energy waits for a confirming reading (counter guard)
    assert _state(hass, entity_registry, "sensor", f"{PLUG}_energy") == STATE_UNKNOWN
    await _poll(hass, entry)
    energy_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{PLUG}_energy") or ""
    energy = hass.states.get(energy_id)
    assert energy is not None and energy.attributes["unit_of_measurement"] == "kWh"
    assert float(energy.state) == pytest.approx(1239.092)
    assert energy.attributes["state_class"] == "total"
    # thermostat and contact
    assert float(_state(hass, entity_registry, "sensor", "099950123456_hkr_target")) == 21.0
    assert float(_state(hass, entity_registry, "sensor", "099950123456_battery")) == 80
    assert _state(hass, entity_registry, "binary_sensor", "099950123456_window_open") == "off"
    assert _state(hass, entity_registry, "binary_sensor", "119340654321-1_alarm") == "off"
    # a device out of reach exists, unavailable, never 0
    assert _state(hass, entity_registry, "sensor", "116570999999_energy") == STATE_UNAVAILABLE
    assert box.box.stale_sid_requests == 0
    # unload logs out
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert box.box.sessions == {}


async def test_han_fun_units_are_devices_with_their_devices_identity(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = await _setup(hass, box)
    hub: FritzboxHub = entry.runtime_data

    def device(key: str) -> dr.DeviceEntry | None:
        return device_registry.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)

    # a contact whose device carries the battery: the device, and its unit behind it
    holder, contact = device("119340654321"), device("119340654321-1")
    assert holder is not None and contact is not None
    assert holder.via_device_id == hub.device_id
    assert contact.via_device_id == holder.id
    assert (contact.name, contact.model, contact.sw_version) == (
        "Terrace door",
        "FRITZ!DECT 350",
        "03.58",  # the device's firmware, not the unit's 0.0
    )
    assert float(_state(hass, entity_registry, "sensor", "119340654321_battery")) == 90
    assert _state(hass, entity_registry, "binary_sensor", "119340654321-1_alarm") == "off"
    # a plug whose device carries nothing: no device for it, the unit behind the box
    assert device("113240716524") is None and "113240716524" not in hub.listed
    plug = device("113240716524-1")
    assert plug is not None and plug.via_device_id == hub.device_id
    assert (plug.name, plug.manufacturer, plug.model, plug.sw_version) == (
        "Garden socket",
        "0x2c3c",
        "HAN-FUN",
        "30.17.04.02.018",
    )
    assert _state(hass, entity_registry, "switch", "113240716524-1_switch") == "off"
    assert _state(hass, entity_registry, "binary_sensor", "113240716524-1_switch_on") == "off"
    # the unit is a plain on/off unit: no power, no lock
    for platform, uid in (("sensor", "power"), ("binary_sensor", "lock")):
        assert (
            entity_registry.async_get_entity_id(platform, DOMAIN, f"113240716524-1_{uid}") is None
        )
    await _poll(hass, entry)  # later polls keep it that way
    assert device("113240716524") is None and contact.via_device_id == holder.id


async def test_the_device_an_older_version_made_of_a_unit_holder_is_removed(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Before units took their device's identity, the holder was a device with one entity."""
    entry = entry_for(box)
    entry.add_to_hass(hass)
    old = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "113240716524")}, name="HAN-FUN"
    )
    entity_registry.async_get_or_create(
        "sensor", DOMAIN, "113240716524_rejected_readings", config_entry=entry, device_id=old.id
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get(old.id) is None
    assert (
        entity_registry.async_get_entity_id("sensor", DOMAIN, "113240716524_rejected_readings")
        is None
    )
    # the unit keeps its unique IDs
    assert entity_registry.async_get_entity_id("switch", DOMAIN, "113240716524-1_switch")


async def test_new_gone_and_returning_devices(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = await _setup(hass, box)
    box.box.devices["22222 0000001"] = SimDevice(
        "22222 0000001", "Dryer", "FRITZ!Smart Energy 200", 35712, power_mw=1_000_000
    )
    await _poll(hass, entry)
    assert float(_state(hass, entity_registry, "sensor", "222220000001_power")) == 1000.0
    fridge = box.box.devices.pop("08761 0000434")
    await _poll(hass, entry)
    assert _state(hass, entity_registry, "sensor", "087610000434_power") == STATE_UNAVAILABLE
    gone = device_registry.async_get_device_by_identifier((DOMAIN, "087610000434"), entry.entry_id)
    current = device_registry.async_get_device_by_identifier((DOMAIN, PLUG), entry.entry_id)
    assert gone is not None and current is not None
    assert await async_remove_config_entry_device(hass, entry, gone)
    assert not await async_remove_config_entry_device(hass, entry, current)
    # what HA does once the integration agreed: the device and its entities go
    device_registry.async_remove_device(gone.id)
    await hass.async_block_till_done()
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "087610000434_power") is None
    box.box.devices[fridge.ain] = fridge  # it comes back: a new device with new entities
    await _poll(hass, entry)
    assert float(_state(hass, entity_registry, "sensor", "087610000434_power")) == 85.0


async def test_radio_loss_and_not_present_never_reach_the_counter(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    entry = await _setup(hass, box)
    await _poll(hass, entry)
    energy = float(_state(hass, entity_registry, "sensor", f"{PLUG}_energy"))
    plug = box.box.devices["11657 0067315"]
    plug.radio_loss = True  # 0 V / 0 W / 0 Wh while present
    await _poll(hass, entry)
    assert float(_state(hass, entity_registry, "sensor", f"{PLUG}_energy")) == energy
    coordinator = entry.runtime_data.listed[PLUG]
    assert coordinator.data.values["power"] is None  # written as unknown at the next slot
    assert coordinator.data.values["energy"] == energy * 1000  # the guard kept the last one
    assert coordinator.link.rejected_readings == 1
    plug.radio_loss = False
    plug.present = False
    await _poll(hass, entry)
    assert _state(hass, entity_registry, "sensor", f"{PLUG}_energy") == STATE_UNAVAILABLE
    plug.present = True
    await _poll(hass, entry)
    assert float(_state(hass, entity_registry, "sensor", f"{PLUG}_energy")) >= energy


async def test_reboot_makes_devices_unavailable_then_back(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    entry = await _setup(hass, box)
    box.box.offline = True
    await _poll(hass, entry)
    assert _state(hass, entity_registry, "sensor", f"{PLUG}_power") == STATE_UNAVAILABLE
    box.box.offline = False
    box.box.reboot()
    await _poll(hass, entry)
    assert float(_state(hass, entity_registry, "sensor", f"{PLUG}_power")) == pytest.approx(512.34)
    assert box.box.stale_sid_requests == 0 and box.box.logins == 2


async def test_on_demand_refresh_of_one_device(
    hass: HomeAssistant, box: FakeFritzBoxServer
) -> None:
    entry = await _setup(hass, box)
    hub: FritzboxHub = entry.runtime_data
    plug = hub.listed[PLUG]
    await plug.async_refresh()
    assert plug.last_update_success and plug.data.values["power"] == pytest.approx(512.34)
    garage = hub.listed["116570999999"]
    await garage.async_refresh()
    assert not garage.last_update_success


async def test_password_changed_starts_reauth(hass: HomeAssistant, box: FakeFritzBoxServer) -> None:
    entry = await _setup(hass, box)
    entry.runtime_data.client.clock = box.box.clock  # the box's time, for both
    box.box.change_password("new-one")
    box.box.reboot()  # the session ends too: the next poll must log in
    box.box.clock.advance(90)  # a reboot takes longer than a minute
    await _poll(hass, entry)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert box.box.stale_sid_requests == 0


async def test_wrong_password_at_setup_asks_for_it(
    hass: HomeAssistant, box: FakeFritzBoxServer
) -> None:
    entry = await _setup(hass, box, password="wrong")
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows and flows[0]["step_id"] == "fritzbox_reauth_confirm"


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (lambda b: setattr(b, "blocked_until", b.clock() + 60), "fritzbox_login_blocked"),
        (lambda b: setattr(b, "answer_garbage", 2), "fritzbox_bad_answer"),
    ],
)
async def test_setup_failures_are_retried(
    hass: HomeAssistant, box: FakeFritzBoxServer, fault: Any, key: str
) -> None:
    fault(box.box)
    entry = await _setup(hass, box)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == key


async def test_missing_right_asks_for_another_account(
    hass: HomeAssistant, box: FakeFritzBoxServer
) -> None:
    box.box.smart_home_right = False
    entry = await _setup(hass, box)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "fritzbox_missing_right"


async def test_diagnostics_hold_no_credentials_or_sid(
    hass: HomeAssistant, box: FakeFritzBoxServer, hass_client: Any
) -> None:
    udn = "aaaaaaaa-bbbb-4ccc-8ddd-000000000001"  # a discovered box's
    entry = await _setup(hass, box, udn=udn)
    await _poll(hass, entry)
    diag = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diag)
    assert PASSWORD not in text and USERNAME not in text and udn not in text
    for sid in box.box.sessions:
        assert sid not in text
    assert diag["hub"]["session"]["logins"] == 1
    assert any(d["meter"].get("product") == "FRITZ!DECT 301" for d in diag["devices"])


def test_energy_rate_by_product() -> None:
    from custom_components.energy_meters.protocol.fritzbox.devices import AhaDevice, Function

    def dev(product: str) -> AhaDevice:
        return AhaDevice("1", "1", Function(0), "x", product, "AVM", "", present=True)

    assert max_energy_rate(dev("FRITZ!DECT 200")) == pytest.approx(1.5 * 3680 / 3600)
    assert max_energy_rate(dev("FRITZ!Smart Energy 250")) > 10


async def test_debug_logs_hold_no_credentials(
    hass: HomeAssistant, box: FakeFritzBoxServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Login, polls, a reboot and a changed password, logged at debug: no password, no user."""
    caplog.set_level("DEBUG")
    entry = await _setup(hass, box)
    sids = list(box.box.sessions)
    box.box.reboot()
    await _poll(hass, entry)
    sids += list(box.box.sessions)
    entry.runtime_data.client.clock = box.box.clock
    box.box.change_password("Neues-pw-43")
    box.box.reboot()
    box.box.clock.advance(90)
    await _poll(hass, entry)
    assert sids
    for secret in (PASSWORD, "Neues-pw-43", USERNAME, *sids):
        assert secret not in caplog.text, secret
