"""Diagnostics of every kind: none of the entry's secrets appears, under any key or in any text."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.diagnostics import scrub
from custom_components.energy_meters.kinds import register_kind, unregister_kind

from .e2e.energy_meters_testkind.kind import SUBENTRY_TYPE, TEST_HUB, TEST_KIND
from .tic_frames import STANDARD_SERIAL, FakeTicLink, standard_frame

PRM = "01234567890123"


async def test_linky_diagnostics_hide_serial_prm_name_and_title(
    hass: HomeAssistant, hass_client: Any
) -> None:
    link = FakeTicLink()
    link.push(standard_frame(extra={"ZZTOP": f"X{STANDARD_SERIAL}"}))
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=STANDARD_SERIAL,
        version=1,
        minor_version=2,
        title="Maison de Jeanne Dupont",
        data={
            "kind": "linky",
            "device": "/dev/ttyTIC",
            "tic_mode": "standard",
            "serial": STANDARD_SERIAL,
            "name": "Jeanne Dupont",
        },
    )
    entry.add_to_hass(hass)
    with patch("custom_components.energy_meters.linky.coordinator.open_serial", return_value=link):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        text = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    for secret in (STANDARD_SERIAL, PRM, "Jeanne Dupont", "Maison de"):
        assert secret not in text, secret
    assert '"mode": "standard"' in text  # still useful


async def test_hub_diagnostics_hide_declared_meter_ids(
    hass: HomeAssistant, hass_client: Any, check_translations: Any
) -> None:
    validate = check_translations.validate
    check_translations.validate = lambda key, *a, **k: (
        None if key.startswith(f"config_subentries.{SUBENTRY_TYPE}.") else validate(key, *a, **k)
    )
    register_kind(TEST_HUB)
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Test hub",
            version=1,
            minor_version=2,
            data={"kind": TEST_KIND},
            subentries_data=[
                ConfigSubentryData(
                    subentry_type=SUBENTRY_TYPE,
                    title="Meter 7766SECRET",
                    unique_id="7766SECRET",
                    data={"meter_id": "7766SECRET", "reading": 1.0},
                )
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        text = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
        assert "7766SECRET" not in text
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        unregister_kind(TEST_KIND)


def test_scrub_replaces_secrets_inside_any_text() -> None:
    data = {"a": ["port /dev/x lost for meter 123456"], "b": ("123456",), "c": 7}
    assert scrub(data, frozenset({"123456"})) == {
        "a": ["port /dev/x lost for meter **REDACTED**"],
        "b": ["**REDACTED**"],
        "c": 7,
    }
