"""Hubs with devices and config subentries, through the test-only hub kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.energy_meters import async_remove_config_entry_device
from custom_components.energy_meters.const import CONF_KIND, DOMAIN
from custom_components.energy_meters.kinds import KINDS, register_kind, unregister_kind

from .e2e.energy_meters_testkind.kind import (
    CONF_METER_ID,
    CONF_READING,
    SUBENTRY_TYPE,
    TEST_HUB,
    TEST_KIND,
)


@pytest.fixture(autouse=True)
def test_kind(check_translations: Any) -> Iterator[None]:
    """Register the test-only kind; its subentry strings are not shipped, so not checked."""
    validate = check_translations.validate

    def _validate(key: str, *args: Any, **kwargs: Any) -> None:
        if not key.startswith((f"config_subentries.{SUBENTRY_TYPE}.", "config.step.test_hub")):
            validate(key, *args, **kwargs)

    check_translations.validate = _validate
    register_kind(TEST_HUB)
    yield
    unregister_kind(TEST_KIND)


def _hub_entry(*meters: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Test hub",
        version=1,
        minor_version=2,
        data={CONF_KIND: TEST_KIND},
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TYPE,
                title=f"Meter {meter}",
                unique_id=meter,
                data={CONF_METER_ID: meter, CONF_READING: 12.5},
            )
            for meter in meters
        ],
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_meters_are_devices_behind_the_hub_device(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, entity_registry: er.EntityRegistry
) -> None:
    entry = _hub_entry("A1", "B2")
    await _setup(hass, entry)
    hub = entry.runtime_data
    assert set(hub.coordinators) == {"test_A1", "test_B2"}
    hub_device = device_registry.async_get(hub.device_id or "")
    assert hub_device is not None and hub_device.name == "Test receiver"
    for meter in ("A1", "B2"):
        device = device_registry.async_get_device_by_identifier(
            (DOMAIN, f"test_{meter}"), entry.entry_id
        )
        assert device is not None
        assert device.via_device_id == hub_device.id
        subentry_id = hub.coordinators[f"test_{meter}"].subentry_id
        assert device.config_subentry_id == subentry_id
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"test_{meter}_volume")
        assert entity_id is not None
        assert entity_registry.async_get(entity_id).config_subentry_id == subentry_id  # type: ignore[union-attr]


async def test_subentry_flow_adds_a_meter_and_reloads(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "C3", "name": "Garden water"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert "test_C3" in entry.runtime_data.coordinators
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "test_C3_volume")
    # the same meter twice is refused
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "C3"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_subentry_reconfigure_updates_the_meter(hass: HomeAssistant) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    (subentry_id,) = entry.subentries
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_READING: 13.0}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].data[CONF_READING] == 13.0
    assert entry.runtime_data.coordinators["test_A1"].subentry.data[CONF_READING] == 13.0  # type: ignore[attr-defined]


async def test_a_device_the_hub_no_longer_serves_can_be_removed(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    gone = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "test_OLD")}
    )
    current = device_registry.async_get_device_by_identifier((DOMAIN, "test_A1"), entry.entry_id)
    hub_device = device_registry.async_get(entry.runtime_data.device_id or "")
    assert current is not None and hub_device is not None
    assert await async_remove_config_entry_device(hass, entry, gone)
    assert not await async_remove_config_entry_device(hass, entry, current)
    assert not await async_remove_config_entry_device(hass, entry, hub_device)


async def test_counter_guard_survives_a_restart(hass: HomeAssistant) -> None:
    """The restored guard judges the first reading after a reload: no second reading needed."""
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    coordinator = entry.runtime_data.coordinators["test_A1"]
    await coordinator.async_refresh()
    assert coordinator.data.volume == 12.5
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinators["test_A1"]
    assert coordinator.data.volume == 12.5  # at once, from the restored history


async def test_diagnostics_hide_declared_ids(hass: HomeAssistant, hass_client: Any) -> None:
    entry = _hub_entry("SECRET42")
    await _setup(hass, entry)
    diag = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert "SECRET42" not in str(diag)
    assert diag["entry"]["subentries"][0]["type"] == SUBENTRY_TYPE


def test_the_test_kind_is_not_a_builtin() -> None:
    assert KINDS[TEST_KIND] is TEST_HUB
    assert not TEST_HUB.in_menu


async def test_options_flow_only_for_kinds_with_options(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    entry = _hub_entry()
    await _setup(hass, entry)
    from custom_components.energy_meters.config_flow import EnergyMetersConfigFlow

    assert not EnergyMetersConfigFlow.async_supports_options_flow(entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_reauth_goes_to_the_entry_kind(hass: HomeAssistant) -> None:
    entry = _hub_entry()
    await _setup(hass, entry)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "test_hub_reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"token": "new"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"] == "new"


async def test_reauth_of_a_kind_without_credentials_aborts(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=2,
        data={CONF_KIND: "linky", "serial": "1", "device": "/dev/x", "tic_mode": "standard"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_entry_changes_that_declare_nothing_do_not_reload(hass: HomeAssistant) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    hub = entry.runtime_data
    hass.config_entries.async_update_entry(entry, title="Renamed hub")
    await hass.async_block_till_done()
    assert entry.runtime_data is hub  # same hub: no reload


async def test_removing_the_entry_forgets_its_counter_guards(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    await entry.runtime_data.coordinators["test_A1"].async_refresh()
    assert await hass.config_entries.async_unload(entry.entry_id)
    key = f"{DOMAIN}.{entry.entry_id}.counters"
    assert hass_storage[key]["data"]["test_A1"]["volume"]["value"] == 12.5
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


def test_guards_without_a_store_still_judge() -> None:
    from custom_components.energy_meters.counters import CounterGuards

    guards = CounterGuards("meter")
    assert guards.check("index", 10.0, 1.0, 100.0) == (None, False)  # waits for confirmation
    assert guards.check("index", 10.0, 1.0, 101.0) == (10.0, False)
    assert guards.check("index", 5.0, 1.0, 102.0) == (10.0, True)


async def test_changed_options_reload_the_entry(hass: HomeAssistant) -> None:
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    hub = entry.runtime_data
    hass.config_entries.async_update_entry(entry, options={"counter_interval": 60})
    await hass.async_block_till_done()
    assert entry.runtime_data is not hub
    assert entry.runtime_data.coordinators["test_A1"].policy.slow_interval == 60


async def test_every_store_of_a_removed_entry_is_forgotten(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Any
) -> None:
    """Kinds keep more than guards (heard meters, backfill marks): all of it goes."""
    from unittest.mock import patch

    from custom_components.energy_meters.counters import async_remove_entry_stores

    storage = tmp_path / ".storage"
    storage.mkdir()
    (storage / "energy_meters.E1.fritzbox_backfill").write_text("{}")
    (storage / "energy_meters.E2.counters").write_text("{}")  # another entry's: kept
    for key in ("energy_meters.E1.fritzbox_backfill", "energy_meters.E1.counters"):
        hass_storage[key] = {"version": 1, "data": {}}
    hass_storage["energy_meters.E2.counters"] = {"version": 1, "data": {}}
    with patch.object(hass.config, "config_dir", str(tmp_path)):
        await async_remove_entry_stores(hass, "E1")
    assert "energy_meters.E1.fritzbox_backfill" not in hass_storage
    assert "energy_meters.E1.counters" not in hass_storage
    assert "energy_meters.E2.counters" in hass_storage


async def test_changes_during_a_reload_ride_on_it(hass: HomeAssistant) -> None:
    """Two meters declared in a row reload the entry once, and both are there."""
    entry = _hub_entry("A1")
    await _setup(hass, entry)
    for meter in ("B2", "C3"):
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_TYPE), context={"source": "user"}
        )
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_METER_ID: meter}
        )
    await hass.async_block_till_done()
    assert set(entry.runtime_data.coordinators) == {"test_A1", "test_B2", "test_C3"}


async def test_a_change_landing_during_a_reload_reloads_again(hass: HomeAssistant) -> None:
    from unittest.mock import patch

    entry = _hub_entry("A1")
    await _setup(hass, entry)
    real_reload = hass.config_entries.async_reload
    reloads = 0

    async def reload_missing_a_change(entry_id: str) -> bool:
        nonlocal reloads
        reloads += 1
        done = await real_reload(entry_id)
        if reloads == 1:  # the new hub took its snapshot before the last change landed
            entry.runtime_data.options = {"stale": True}
        return done

    hub = entry.runtime_data
    with patch.object(hass.config_entries, "async_reload", reload_missing_a_change):
        hass.config_entries.async_update_entry(entry, options={"counter_interval": 45})
        await hass.async_block_till_done()
        assert reloads == 2
        await hub.async_entry_updated(hass, entry)  # the old hub: already reloading, nothing
    assert reloads == 2
    assert entry.runtime_data.options == {"counter_interval": 45}
