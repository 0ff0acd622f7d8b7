"""devtools/screenshots.py without a browser: its pure parts, and the page waits on a fake page."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from devtools.screenshots import (
    CHROMIUM_FLAGS,
    JS_BUSY,
    JS_VISIBLE_TEXT,
    PageNotReadyError,
    Readiness,
    Shooter,
    analyse_text,
    hass_tokens,
    logbook_rates,
    padded_states,
    page_problems,
    parse_devtools_active_port,
    render,
    slug,
    translated_texts,
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


def test_known_translations_are_not_findings() -> None:
    translations = {
        "entity": {
            "sensor": {
                "error_register": {"name": "Error register"},
                "tempo": {"name": "Tempo colour tomorrow", "state": {"none": "None", "red": "Red"}},
                "nameless": {"state": {"on": "On"}},
            }
        }
    }
    known = translated_texts(translations)
    assert known == {"Error register", "Tempo colour tomorrow", "None", "Red", "On"}
    lines = ["Error register", "None", "Failed to connect", "component.energy_meters.x.y"]
    found = analyse_text(lines, known)
    assert found["errors"] == ["Failed to connect"]
    assert found["none_values"] == []
    # a raw key fails wherever it appears
    assert found["raw_translation_keys"] == ["component.energy_meters.x.y"]
    assert translated_texts({}) == frozenset()


def test_page_problems_name_the_page_and_the_kind() -> None:
    pages = {
        "01_ok": {"file": "01_ok.png", "errors": [], "raw_translation_keys": []},
        "02_bad": {
            "file": "02_bad.png",
            "errors": ["Unknown error"],
            "none_values": ["None"],
            "bare_identifiers": ["tempo_colour"],
        },
    }
    assert page_problems(pages) == [
        "02_bad: errors: ['Unknown error']",
        "02_bad: bare_identifiers: ['tempo_colour']",
        "02_bad: none_values: ['None']",
    ]
    assert page_problems(pages, kinds=("raw_translation_keys",)) == []


def test_devtools_active_port_once_its_first_line_is_written() -> None:
    assert parse_devtools_active_port("40123\n/devtools/browser/0a1b\n") == 40123
    assert parse_devtools_active_port("40123\n") == 40123
    assert parse_devtools_active_port("401") is None  # still being written
    assert parse_devtools_active_port("") is None


def test_chromium_reaches_no_other_host() -> None:
    assert "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost" in (
        CHROMIUM_FLAGS
    )
    assert "--no-proxy-server" in CHROMIUM_FLAGS
    assert "--headless=new" in CHROMIUM_FLAGS


def test_readiness_needs_the_texts_no_spinner_and_the_same_text_twice() -> None:
    shown = Readiness(["Linky", "Total energy drawn"])
    assert shown.missing(["Linky", "Kitchen water"]) == ["Kitchen water"]
    assert not shown.ready(["Linky"], previous=None)  # first look: not known to hold still
    assert shown.ready(["Linky"], previous=Readiness(["Linky", "Total energy drawn"]))
    assert not shown.ready(["Linky"], previous=Readiness(["Linky"]))  # still changing
    assert not shown.ready(["Kitchen water"], previous=shown)
    spinning = Readiness(["Linky"], busy="ha-spinner in hui-energy-period-selector")
    assert not spinning.ready([], previous=spinning)
    loading = Readiness(["Loading…"])
    assert not loading.ready([], previous=loading)
    # the word inside a sentence is no loading indicator
    sentence = Readiness(["Loading data takes a while"])
    assert sentence.ready([], previous=sentence)
    assert not Readiness([]).ready([], previous=Readiness([]))  # a blank page


class _FakeCdp:
    """Answers the page scripts with a scripted sequence of texts (and no spinner)."""

    def __init__(self, texts: list[list[str]]) -> None:
        self.texts = texts
        self.calls: list[str] = []

    async def evaluate(self, expression: str) -> Any:
        if expression == JS_BUSY:
            return None
        if expression == JS_VISIBLE_TEXT:
            return self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]
        raise AssertionError(expression)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.calls.append(method)
        if method == "Page.captureScreenshot":
            return {"data": base64.b64encode(b"png").decode()}
        return {}


def _shooter(cdp: _FakeCdp, tmp_path: Path) -> Shooter:
    return Shooter(cdp, "http://127.0.0.1:1", tmp_path, 100, 100, poll_interval=0)  # type: ignore[arg-type]


async def test_wait_ready_returns_once_the_page_holds_still(tmp_path: Path) -> None:
    cdp = _FakeCdp([["Loading"], ["Linky"], ["Linky", "Index"], ["Linky", "Index"]])
    lines = await _shooter(cdp, tmp_path).wait_ready(ready_text=["Index"], seconds=5)
    assert lines == ["Linky", "Index"]


async def test_wait_ready_names_what_never_appeared(tmp_path: Path) -> None:
    shooter = _shooter(_FakeCdp([["Linky"]]), tmp_path)
    with pytest.raises(PageNotReadyError, match=r"missing \['Kitchen water'\]"):
        await shooter.wait_ready(ready_text=["Kitchen water"], seconds=0.05)
    # not strict (the command line's way): the text as it is
    assert await shooter.settle(ready_text=["Kitchen water"], seconds=0.05) == ["Linky"]


async def test_shoot_writes_the_picture_the_text_and_the_findings(tmp_path: Path) -> None:
    cdp = _FakeCdp([["Error register", "component.energy_meters.entity.x"]])
    shooter = _shooter(cdp, tmp_path)
    shooter.known_texts = {"Error register"}
    findings = await shooter.shoot("device", full=False)
    assert (tmp_path / "01_device.png").read_bytes() == b"png"
    assert (tmp_path / "01_device.txt").read_text().splitlines()[0] == "Error register"
    assert findings["errors"] == []
    assert findings["raw_translation_keys"] == ["component.energy_meters.entity.x"]
    assert shooter.pages == {"01_device": findings}


def test_page_exceptions_keep_the_first_line() -> None:
    shooter = Shooter(None, "", Path(), 1, 1)  # type: ignore[arg-type]
    shooter.note_exception(
        {"exceptionDetails": {"exception": {"description": "TypeError: x\n at y"}}}
    )
    shooter.note_exception({"exceptionDetails": {"text": "Uncaught"}})
    assert shooter.exceptions == ["TypeError: x", "Uncaught"]
