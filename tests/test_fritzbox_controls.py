"""Controls through the fake FRITZ!Box over HTTP: plug switches and thermostats (climate)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest.mock import patch

from homeassistant.components.climate import (
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HVAC_MODE,
    SERVICE_SET_PRESET_MODE,
    SERVICE_SET_TEMPERATURE,
)
from homeassistant.components.climate.const import ClimateEntityFeature, HVACMode
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.energy_meters.climate import MeterClimate
from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.fritzbox.entities import FRITZBOX_CLIMATES
from custom_components.energy_meters.fritzbox.hub import FritzboxHub
from custom_components.energy_meters.protocol.fritzbox.client import AhaClient
from simulators.fritzbox import FakeFritzBoxServer, SimDevice

from .fritzbox_rig import box_fixture, entry_for, fritzbox_kind  # noqa: F401

pytestmark = pytest.mark.usefixtures("socket_enabled")

PLUG = "116570067315"
PLUG_AIN = "11657 0067315"
THERMOSTAT = "099950123456"
THERMOSTAT_AIN = "09995 0123456"
UNIT = "113240716524-1"
UNIT_AIN = "11324 0716524-1"


async def _setup(hass: HomeAssistant, server: FakeFritzBoxServer) -> Any:
    entry = entry_for(server)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _poll(hass: HomeAssistant, box: FakeFritzBoxServer) -> None:
    """Poll the box now (what the poll interval would do)."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await entry.runtime_data.poller.async_refresh()
    await hass.async_block_till_done()


def _entity_id(entity_registry: er.EntityRegistry, platform: str, uid: str) -> str:
    entity_id = entity_registry.async_get_entity_id(platform, DOMAIN, uid)
    assert entity_id is not None, uid
    return entity_id


def _get(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def test_plug_switch_turns_the_socket_and_reads_it_back(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    await _setup(hass, box)
    switch = _entity_id(entity_registry, "switch", f"{PLUG}_switch")
    state = _get(hass, switch)
    assert state.state == STATE_ON
    assert state.attributes["friendly_name"] == "Washing machine"  # the device's main feature
    assert state.attributes["device_class"] == "outlet"
    # only switchable sockets get one: not the thermostat, not the contact
    assert entity_registry.async_get_entity_id("switch", DOMAIN, f"{THERMOSTAT}_switch") is None
    plug = box.box.devices[PLUG_AIN]

    box.box.commands.clear()
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert not plug.switch_on and plug.drawn_mw == 0
    assert box.box.commands == ["setswitchoff", "getdevicelistinfos"]  # read back at once
    assert _get(hass, switch).state == STATE_OFF
    socket = _entity_id(entity_registry, "binary_sensor", f"{PLUG}_switch_on")
    assert _get(hass, socket).state == STATE_OFF

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert plug.switch_on
    assert _get(hass, switch).state == STATE_ON
    # a plug out of reach: its switch exists, unavailable
    garage = _entity_id(entity_registry, "switch", "116570999999_switch")
    assert _get(hass, garage).state == STATE_UNAVAILABLE
    assert box.box.stale_sid_requests == 0


async def test_a_han_fun_plug_unit_is_switched_with_setsimpleonoff(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    await _setup(hass, box)
    switch = _entity_id(entity_registry, "switch", f"{UNIT}_switch")
    state = _get(hass, switch)
    assert state.state == STATE_OFF and state.attributes["friendly_name"] == "Garden socket"
    unit = box.box.devices[UNIT_AIN]
    box.box.commands.clear()
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert unit.switch_on and _get(hass, switch).state == STATE_ON
    assert box.box.commands == ["setsimpleonoff", "getdevicelistinfos"]
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert not unit.switch_on and _get(hass, switch).state == STATE_OFF
    # out of reach since the last poll: the box answers "inval", said by name
    unit.present = False
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
        )
    assert raised.value.translation_placeholders == {
        "name": "Garden socket",
        "error": "setsimpleonoff: inval",
    }
    assert box.box.stale_sid_requests == 0


async def test_lock_state_and_a_locked_plug_is_not_switched(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    plug = box.box.devices[PLUG_AIN]
    plug.lock = True  # switching through the box's UI and the API is locked
    box.box.devices[THERMOSTAT_AIN].hkr["devicelock"] = 1  # its buttons are locked
    await _setup(hass, box)
    lock = _get(hass, _entity_id(entity_registry, "binary_sensor", f"{PLUG}_lock"))
    assert lock.state == STATE_OFF  # device class lock: off is locked
    assert lock.attributes["device_class"] == "lock"
    assert lock.attributes["friendly_name"] == "Washing machine Lock via box UI/API"
    registry_entry = entity_registry.async_get(lock.entity_id)
    assert registry_entry is not None and registry_entry.entity_category == "diagnostic"
    buttons = _get(hass, _entity_id(entity_registry, "binary_sensor", f"{PLUG}_device_lock"))
    assert buttons.state == STATE_ON  # unlocked
    assert buttons.attributes["friendly_name"] == "Washing machine Button lock on device"
    for key, state in (("lock", STATE_ON), ("device_lock", STATE_OFF)):
        uid = f"{THERMOSTAT}_{key}"
        assert _get(hass, _entity_id(entity_registry, "binary_sensor", uid)).state == state
    # not present: unavailable; the contact has no lock
    garage = _entity_id(entity_registry, "binary_sensor", "116570999999_lock")
    assert _get(hass, garage).state == STATE_UNAVAILABLE
    assert (
        entity_registry.async_get_entity_id("binary_sensor", DOMAIN, "119340654321-1_lock") is None
    )
    # a locked plug: the command is refused before it is sent, as core does
    switch = _entity_id(entity_registry, "switch", f"{PLUG}_switch")
    box.box.commands.clear()
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
        )
    assert raised.value.translation_key == "fritzbox_locked"
    assert raised.value.translation_placeholders == {"name": "Washing machine"}
    assert box.box.commands == [] and plug.switch_on
    # unlocked on the box: the next poll says so, and the plug switches again
    plug.lock = False
    await _poll(hass, box)
    assert _get(hass, lock.entity_id).state == STATE_ON
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert not plug.switch_on


async def test_thermostat_target_modes_and_presets(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    await _setup(hass, box)
    climate = _entity_id(entity_registry, "climate", f"{THERMOSTAT}_thermostat")
    hkr = box.box.devices[THERMOSTAT_AIN].hkr
    state = _get(hass, climate)
    assert state.state == HVACMode.HEAT
    assert state.attributes["temperature"] == 21.0
    assert state.attributes["current_temperature"] == 20.5
    assert state.attributes["min_temp"] == 8.0 and state.attributes["max_temp"] == 28.0
    assert state.attributes["target_temp_step"] == 0.5
    assert state.attributes["hvac_modes"] == [HVACMode.HEAT, HVACMode.OFF]
    assert state.attributes["preset_modes"] == ["comfort", "eco", "boost"]
    assert state.attributes["preset_mode"] == "comfort"  # 21 °C is the comfort temperature
    assert state.attributes["friendly_name"] == "Living room"
    # plugs have no thermostat
    assert entity_registry.async_get_entity_id("climate", DOMAIN, f"{PLUG}_thermostat") is None

    async def call(service: str, **data: Any) -> State:
        await hass.services.async_call(
            CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: climate, **data}, blocking=True
        )
        return _get(hass, climate)

    box.box.commands.clear()
    state = await call(SERVICE_SET_TEMPERATURE, temperature=22.5)
    assert hkr["tsoll"] == 45  # 0.5 °C steps
    assert box.box.commands == ["sethkrtsoll", "getdevicelistinfos"]
    assert state.attributes["temperature"] == 22.5 and state.attributes["preset_mode"] is None
    # the target sensor follows the same poll
    target = _entity_id(entity_registry, "sensor", f"{THERMOSTAT}_hkr_target")
    assert float(_get(hass, target).state) == 22.5

    state = await call(SERVICE_SET_HVAC_MODE, hvac_mode=HVACMode.OFF)
    assert hkr["tsoll"] == 253
    assert state.state == HVACMode.OFF and state.attributes["temperature"] is None
    box.box.commands.clear()
    state = await call(SERVICE_SET_HVAC_MODE, hvac_mode=HVACMode.OFF)  # already off: nothing
    assert box.box.commands == []
    state = await call(SERVICE_SET_HVAC_MODE, hvac_mode=HVACMode.HEAT)
    assert hkr["tsoll"] == 42  # back at the comfort temperature
    assert state.state == HVACMode.HEAT and state.attributes["preset_mode"] == "comfort"

    state = await call(SERVICE_SET_PRESET_MODE, preset_mode="eco")
    assert hkr["tsoll"] == 34
    assert state.attributes["temperature"] == 17.0 and state.attributes["preset_mode"] == "eco"
    state = await call(SERVICE_SET_PRESET_MODE, preset_mode="boost")
    assert hkr["tsoll"] == 254  # on: valve fully open, no target temperature
    assert state.state == HVACMode.HEAT and state.attributes["temperature"] is None
    assert state.attributes["preset_mode"] == "boost"
    state = await call(SERVICE_SET_PRESET_MODE, preset_mode="comfort")
    assert hkr["tsoll"] == 42

    state = await call(SERVICE_SET_TEMPERATURE, temperature=19, hvac_mode=HVACMode.OFF)
    assert hkr["tsoll"] == 253 and state.state == HVACMode.OFF
    state = await call(SERVICE_SET_TEMPERATURE, temperature=19, hvac_mode=HVACMode.HEAT)
    assert hkr["tsoll"] == 38 and state.attributes["temperature"] == 19.0
    await call(SERVICE_TURN_OFF)
    assert hkr["tsoll"] == 253
    await call(SERVICE_TURN_ON)
    assert hkr["tsoll"] == 42

    # Home Assistant refuses a target outside 8-28 °C before it reaches the box
    box.box.commands.clear()
    with pytest.raises(ServiceValidationError):
        await call(SERVICE_SET_TEMPERATURE, temperature=28.5)
    assert box.box.commands == []
    assert box.box.stale_sid_requests == 0


async def test_a_failed_command_is_a_translated_error(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    await _setup(hass, box)
    switch = _entity_id(entity_registry, "switch", f"{PLUG}_switch")
    climate = _entity_id(entity_registry, "climate", f"{THERMOSTAT}_thermostat")
    box.box.failing_commands = {"setswitchoff", "sethkrtsoll"}
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
        )
    assert raised.value.translation_key == "fritzbox_command_failed"
    assert raised.value.translation_placeholders == {
        "name": "Washing machine",
        "error": "setswitchoff: HTTP 500",
    }
    assert _get(hass, switch).state == STATE_ON
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            CLIMATE_DOMAIN,
            SERVICE_SET_TEMPERATURE,
            {ATTR_ENTITY_ID: climate, "temperature": 23},
            blocking=True,
        )
    assert raised.value.translation_key == "fritzbox_command_failed"
    assert _get(hass, climate).attributes["temperature"] == 21.0

    # any other error of a kind's command still reaches the user translated
    box.box.failing_commands = set()
    with (
        patch.object(AhaClient, "set_switch", side_effect=RuntimeError("boom")),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
        )
    assert raised.value.translation_key == "command_failed"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["error"] == "boom"
    assert box.box.stale_sid_requests == 0


async def test_a_preset_whose_temperature_is_unknown(
    hass: HomeAssistant, box: FakeFritzBoxServer, entity_registry: er.EntityRegistry
) -> None:
    box.box.devices["09995 0000002"] = SimDevice(
        "09995 0000002",
        "Bathroom",
        "FRITZ!DECT 301",
        320,
        battery=90,
        hkr={"tist": 44, "tsoll": 253},  # an old firmware without comfort/eco
    )
    box.box.devices["09995 0000003"] = SimDevice(
        "09995 0000003", "Attic", "FRITZ!DECT 301", 320, present=False, hkr={"tsoll": 42}
    )
    await _setup(hass, box)
    attic = _entity_id(entity_registry, "climate", "099950000003_thermostat")
    assert _get(hass, attic).state == STATE_UNAVAILABLE  # out of reach: no mode, never "off"
    climate = _entity_id(entity_registry, "climate", "099950000002_thermostat")
    state = _get(hass, climate)
    assert state.state == HVACMode.OFF and state.attributes["preset_mode"] is None
    assert state.attributes["current_temperature"] == 22.0
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            CLIMATE_DOMAIN,
            SERVICE_SET_HVAC_MODE,
            {ATTR_ENTITY_ID: climate, "hvac_mode": HVACMode.HEAT},
            blocking=True,
        )
    assert raised.value.translation_key == "fritzbox_preset_unknown"
    assert box.box.devices["09995 0000002"].hkr["tsoll"] == 253


async def test_a_climate_without_mode_or_preset_commands_ignores_them(
    hass: HomeAssistant, box: FakeFritzBoxServer
) -> None:
    """A kind may offer a target only: mode and preset calls then do nothing."""
    entry = await _setup(hass, box)
    hub: FritzboxHub = entry.runtime_data
    coordinator = hub.coordinators[THERMOSTAT]
    description = replace(
        FRITZBOX_CLIMATES[0],
        hvac_modes=(HVACMode.HEAT,),
        set_hvac_mode_fn=None,
        set_preset_fn=None,
        preset_modes=(),
    )
    entity = MeterClimate(coordinator, description)
    assert entity.preset_modes is None and entity.hvac_modes == [HVACMode.HEAT]
    assert entity.supported_features == ClimateEntityFeature.TARGET_TEMPERATURE
    box.box.commands.clear()
    await entity.async_set_hvac_mode(HVACMode.OFF)
    await entity.async_set_preset_mode("eco")
    assert box.box.commands == []
