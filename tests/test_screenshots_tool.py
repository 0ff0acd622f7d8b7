"""The pure parts of devtools/screenshots.py (no browser, no Home Assistant)."""

from __future__ import annotations

import json

from devtools.screenshots import (
    analyse_text,
    hass_tokens,
    logbook_rates,
    padded_states,
    render,
    slug,
    write_rates,
)


def test_analyse_text_finds_keys_errors_none_and_identifiers() -> None:
    lines = [
        "Index base",
        "12,345.678 kWh",
        "component.energy_meters.entity.sensor.ptec.name",
        "[%key:common::config_flow::error::cannot_connect%]",
        "Unknown error occurred",
        "Short message",
        "None",
        "tempo_colour_tomorrow",
        "Errors are nice words inside sentences",
    ]
    found = analyse_text(lines)
    assert found["raw_translation_keys"] == [
        "component.energy_meters.entity.sensor.ptec.name",
        "[%key:common::config_flow::error::cannot_connect%]",
    ]
    # a raw key of an error message is an error text too
    assert found["errors"] == [
        "[%key:common::config_flow::error::cannot_connect%]",
        "Unknown error occurred",
    ]
    assert found["none_values"] == ["None"]
    assert found["bare_identifiers"] == ["tempo_colour_tomorrow"]


def test_analyse_text_of_a_clean_page_is_empty() -> None:
    lines = ["Linky", "Tempo colour tomorrow", "Red", "PAS DE MESSAGE", "Nonexistent? no"]
    assert analyse_text(lines) == {
        "raw_translation_keys": [],
        "errors": [],
        "none_values": [],
        "bare_identifiers": [],
    }


def test_hass_tokens_has_what_the_frontend_reads() -> None:
    raw = hass_tokens(
        {"access_token": "a", "refresh_token": "r", "expires_in": 1800, "token_type": "Bearer"},
        "http://127.0.0.1:8123",
        "http://127.0.0.1:8123/",
        now=1000.0,
    )
    assert json.loads(raw) == {
        "access_token": "a",
        "token_type": "Bearer",
        "expires_in": 1800,
        "refresh_token": "r",
        "hassUrl": "http://127.0.0.1:8123",
        "clientId": "http://127.0.0.1:8123/",
        "expires": 1000 * 1000 + 1800 * 1000,
    }


def test_logbook_rates_counts_our_devices_only() -> None:
    devices = {"sensor.a_x": "A", "sensor.a_y": "A", "sensor.b_x": "B"}
    entries = [
        {"entity_id": "sensor.a_x", "when": 10.0},
        {"entity_id": "sensor.a_x", "when": 20.0},
        {"entity_id": "sensor.a_y", "when": 70.0},
        {"entity_id": "sensor.other", "when": 30.0},
        {"name": "Home Assistant", "message": "started", "when": 0.0},
    ]
    rates = logbook_rates(entries, devices, start=0.0, end=120.0)
    assert rates["minutes"] == 2.0
    assert rates["all_entries"] == 5
    assert rates["devices"]["A"] == {
        "entries": 3,
        "per_minute": 1.5,
        "busiest_minute": 2,
        "by_entity": {"sensor.a_x": 2, "sensor.a_y": 1},
    }
    assert rates["devices"]["B"]["entries"] == 0


def test_write_rates_skip_the_initial_state() -> None:
    history = [
        [{"entity_id": "sensor.a_p"}, {"state": "1"}, {"state": "2"}, {"state": "3"}],
        [{"entity_id": "sensor.a_i"}],
        [{"entity_id": "sensor.elsewhere"}, {"state": "1"}],
        [],
    ]
    devices = {"sensor.a_p": "A", "sensor.a_i": "A"}
    rates = write_rates(history, devices, start=0.0, end=60.0)
    assert rates == {
        "A": {"writes": 3, "per_minute": 3.0, "busiest": {"sensor.a_p": 3.0, "sensor.a_i": 0.0}}
    }


def test_padded_states() -> None:
    states = [
        {"entity_id": "sensor.msg", "state": "PAS DE MESSAGE"},
        {"entity_id": "sensor.padded", "state": "  PAS DE MESSAGE  "},
        {"entity_id": "sensor.inner", "state": "HC  BLEU"},
        {"entity_id": "sensor.number", "state": "12"},
    ]
    assert padded_states(states) == {
        "sensor.padded": "  PAS DE MESSAGE  ",
        "sensor.inner": "HC  BLEU",
    }


def test_render_and_slug() -> None:
    assert render("Update policy of {title}", {"title": "Linky"}) == "Update policy of Linky"
    assert render("Meter {meter}", None) == "Meter {meter}"
    assert slug("Linky historique") == "linky_historique"
    assert slug("/dev/null") == "dev_null"
    assert slug("***") == "unnamed"
