"""Config-entry migration 1.1 -> 1.2: retired entities go, every other unique ID stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_meters.const import DOMAIN

from .tic_frames import STANDARD_SERIAL, FakeTicLink, standard_frame

DATA = {
    "kind": "linky",
    "device": "/dev/ttyTIC",
    "tic_mode": "standard",
    "serial": STANDARD_SERIAL,
}


@pytest.fixture
def link() -> Iterator[FakeTicLink]:
    fake = FakeTicLink()
    fake.push(standard_frame())
    with patch("custom_components.energy_meters.linky.coordinator.open_serial", return_value=fake):
        yield fake


async def test_retired_entities_are_removed_and_others_keep_their_ids(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, link: FakeTicLink
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=STANDARD_SERIAL, version=1, minor_version=1, data=DATA
    )
    entry.add_to_hass(hass)
    kept: dict[str, Any] = {}
    for key, entity_id in (
        ("east", "sensor.my_house_total_energy"),  # renamed by the user: must survive
        ("sinsts", "sensor.linky_apparent_power"),
        ("last_frame", "sensor.linky_last_frame"),
        ("date", "sensor.linky_meter_clock"),
    ):
        created = entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{STANDARD_SERIAL}_{key}",
            config_entry=entry,
            suggested_object_id=entity_id.split(".", 1)[1],
        )
        kept[key] = created.entity_id
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entity_registry.async_get(kept["last_frame"]) is None
    assert entity_registry.async_get(kept["date"]) is None
    for key in ("east", "sinsts"):
        entity = entity_registry.async_get(kept[key])
        assert entity is not None
        assert entity.unique_id == f"{STANDARD_SERIAL}_{key}"
    assert kept["east"] == "sensor.my_house_total_energy"
    assert hass.states.get("sensor.my_house_total_energy") is not None


async def test_an_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, link: FakeTicLink
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, minor_version=1, data=DATA)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
