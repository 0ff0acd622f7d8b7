"""Linky push coordinator inside Home Assistant, with a fake serial link."""

from __future__ import annotations

from collections.abc import Iterator
import itertools
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.energy_meters.const import (
    CONF_COUNTER_INTERVAL,
    CONF_DEVICE,
    CONF_KIND,
    CONF_POWER_INTERVAL,
    CONF_SERIAL,
    CONF_TIC_MODE,
    DOMAIN,
)
from custom_components.energy_meters.linky.coordinator import LinkyCoordinator
from custom_components.energy_meters.protocol.serial_link import (
    PortNotFoundError,
    SerialLinkError,
)

from .tic_frames import STANDARD_SERIAL, FakeTicLink, historic_frame, standard_frame, wait_until

COORDINATOR = "custom_components.energy_meters.linky.coordinator"
PUSH = "custom_components.energy_meters.push_reader.PushCoordinator"


def _coordinator(entry: MockConfigEntry) -> LinkyCoordinator:
    """The entry's only device: a Linky hub serves one meter."""
    (coordinator,) = entry.runtime_data.coordinators.values()
    assert isinstance(coordinator, LinkyCoordinator)
    return coordinator


class Links(list[FakeTicLink]):
    """Links opened by the coordinator, newest last; ``failures`` fail the next opens."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[Exception] = []


@pytest.fixture
def links() -> Iterator[Links]:
    """Every fake link opened by the coordinator, newest last."""
    opened = Links()
    failures = opened.failures

    async def _open(url: str, settings: Any) -> FakeTicLink:
        if failures:
            raise failures.pop(0)
        link = FakeTicLink()
        opened.append(link)
        return link

    with (
        patch(f"{COORDINATOR}.open_serial", side_effect=_open),
        patch(f"{PUSH}.backoff", (0.01,)),
    ):
        yield opened


def _entry(
    mode: str = "standard", serial: str = STANDARD_SERIAL, **options: int
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=serial,
        title=f"Linky {serial} ({mode})",
        data={
            CONF_KIND: "linky",
            CONF_DEVICE: "/dev/ttyTIC",
            CONF_TIC_MODE: mode,
            CONF_SERIAL: serial,
        },
        options=options,
    )


def _state(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, key: str, serial: str = STANDARD_SERIAL
) -> str | None:
    for platform in ("sensor", "binary_sensor"):
        if entity_id := entity_registry.async_get_entity_id(platform, DOMAIN, f"{serial}_{key}"):
            state = hass.states.get(entity_id)
            return state.state if state else None
    return None


async def _setup(
    hass: HomeAssistant, links: Links, entry: MockConfigEntry, first: bytes
) -> FakeTicLink:
    entry.add_to_hass(hass)

    async def _feed() -> None:
        await wait_until(lambda: bool(links))
        links[-1].push(first)

    feeder = hass.async_create_task(_feed())
    assert await hass.config_entries.async_setup(entry.entry_id)
    await feeder
    await hass.async_block_till_done()
    return links[-1]


async def test_setup_creates_entities_from_the_first_frame(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    entry = _entry()
    link = await _setup(hass, links, entry, standard_frame(east=3519702, sinsts=263))
    assert entry.state is ConfigEntryState.LOADED
    assert _state(hass, entity_registry, "east") == "unknown"  # counters wait for a confirmation
    link.push(standard_frame(east=3519702, sinsts=263))
    await wait_until(lambda: _coordinator(entry).data.values["EAST"] is not None)
    await hass.async_block_till_done()
    assert _state(hass, entity_registry, "east") == "3519.702"
    assert _state(hass, entity_registry, "sinsts") == "263"
    # a BASE contract: no Tempo colours, no mobile peaks, no second supplier index
    assert _state(hass, entity_registry, "stge_tempo_today") is None
    assert _state(hass, entity_registry, "stge_mobile_peak_notice") is None
    assert _state(hass, entity_registry, "easf02") is None
    assert _state(hass, entity_registry, "msg1") == "PAS DE MESSAGE"  # padding collapsed
    assert _state(hass, entity_registry, "date") is None  # shown as the clock offset
    assert _state(hass, entity_registry, "stge_producer") == "off"
    assert _state(hass, entity_registry, "link_quality") is not None
    entity = entity_registry.async_get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{STANDARD_SERIAL}_east") or ""
    )
    assert entity is not None and entity.translation_key == "east"
    smaxsn = hass.states.get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{STANDARD_SERIAL}_smaxsn") or ""
    )
    assert smaxsn is not None and smaxsn.attributes["measured_at"].startswith("2024-02-10T11:03:31")


async def test_counter_glitch_never_reaches_the_state(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    """A counter is published once the next reading confirms it; glitches never are."""
    ticks = itertools.count(1_700_000_000.0, 1.0)  # guard clock: a second per counter reading
    with patch(f"{PUSH}.now", lambda _self: next(ticks)):
        entry = _entry(**{CONF_COUNTER_INTERVAL: 0, CONF_POWER_INTERVAL: 0})  # write all
        link = await _setup(hass, links, entry, standard_frame(east=1000))
        coordinator = _coordinator(entry)
        for east in (1000, 1001, 1002):
            link.push(standard_frame(east=east))
        await wait_until(lambda: coordinator.data.values["EAST"] == 1001)  # 1002 confirmed it
        for count, glitch in enumerate((901001, 1000, 5), start=1):  # too high, decrease, low
            link.push(standard_frame(east=glitch))
            await wait_until(lambda: coordinator.link.rejected_readings == 3 * count)  # noqa: B023
            assert coordinator.data.values["EAST"] == 1001
        assert coordinator.link.rejected_readings == 9  # EAST, EASF01, EASD01 x 3
        link.push(standard_frame(east=1003))
        link.push(standard_frame(east=1004))
        await wait_until(lambda: coordinator.data.values["EAST"] == 1003)
        await hass.async_block_till_done()
        assert _state(hass, entity_registry, "east") == "1.003"


async def test_update_policy_throttles_writes_but_not_alarms(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    entry = _entry(
        mode="historic",
        serial="021861348497",
        **{CONF_COUNTER_INTERVAL: 3600, CONF_POWER_INTERVAL: 3600},
    )
    link = await _setup(hass, links, entry, historic_frame(papp=1000))
    coordinator = _coordinator(entry)
    for papp in (1100, 1200, 1300):
        link.push(historic_frame(papp=papp))
    await wait_until(lambda: coordinator.data.values["PAPP"] == 1300)
    await hass.async_block_till_done()
    assert _state(hass, entity_registry, "papp", "021861348497") == "1000"  # throttled
    link.push(historic_frame(papp=9000, adps=45))  # overrun warning: written at once
    await wait_until(lambda: coordinator.data.values.get("ADPS") == 45)
    await hass.async_block_till_done()
    assert _state(hass, entity_registry, "adps", "021861348497") == "45"
    # the alarm disappears after a few frames without it
    for _ in range(3):
        link.push(historic_frame(papp=1000))
    await wait_until(lambda: coordinator.data.values.get("ADPS") is None)


async def test_silence_makes_entities_unavailable_then_recover(
    hass: HomeAssistant,
    links: Links,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch.dict(f"{COORDINATOR}.FRAME_PERIOD", {"standard": 0.05}):
        entry = _entry()
        link = await _setup(hass, links, entry, standard_frame())
        link.push(b"")  # bytes but no frame: the reader checks staleness
        await wait_until(lambda: not _coordinator(entry).last_update_success)
        await hass.async_block_till_done()
        assert _state(hass, entity_registry, "sinsts") == STATE_UNAVAILABLE
        link.push(standard_frame(sinsts=500))
        await wait_until(lambda: _coordinator(entry).last_update_success)
        await hass.async_block_till_done()
        assert _state(hass, entity_registry, "sinsts") == "500"
    assert caplog.text.count("is unavailable") == 1
    assert "is available again" in caplog.text


async def test_unplugged_probe_reconnects(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    entry = _entry()
    link = await _setup(hass, links, entry, standard_frame())
    links.failures.append(PortNotFoundError("gone"))
    link.push(SerialLinkError("device disconnected"))
    await wait_until(lambda: not _coordinator(entry).last_update_success)
    await hass.async_block_till_done()
    assert _state(hass, entity_registry, "east") == STATE_UNAVAILABLE
    assert link.closed
    await wait_until(lambda: len(links) == 2)
    links[-1].push(standard_frame(east=3519703))
    await wait_until(lambda: _coordinator(entry).last_update_success)
    await hass.async_block_till_done()
    assert _state(hass, entity_registry, "east") != STATE_UNAVAILABLE


async def test_replaced_meter_raises_a_repair_issue(
    hass: HomeAssistant, links: Links, issue_registry: ir.IssueRegistry
) -> None:
    entry = _entry()
    link = await _setup(hass, links, entry, standard_frame())
    coordinator = _coordinator(entry)
    link.push(standard_frame())
    await wait_until(lambda: coordinator.data.values["EAST"] is not None)
    issue_id = f"meter_replaced_{entry.entry_id}"
    for _ in range(4):  # a few frames with another serial: noise, no repair
        link.push(standard_frame(serial="041876099999", east=1))
    await wait_until(lambda: coordinator.link.frames_failed >= 4)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    link.push(standard_frame(serial="041876099999", east=1))  # the fifth in a row: another meter
    await wait_until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    assert coordinator.data.values["EAST"] == 3519702  # the other meter's data is ignored
    link.push(standard_frame())
    await wait_until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None)


@pytest.mark.parametrize(
    ("failure", "pushed", "key"),
    [
        (PortNotFoundError("no such device"), None, "port_not_found"),
        (SerialLinkError("refused"), None, "cannot_connect"),
        (None, SerialLinkError("device disconnected"), "connection_lost"),  # read fails
        (None, b"garbage", "no_data"),
    ],
)
async def test_setup_retries_when_the_meter_cannot_be_read(
    hass: HomeAssistant,
    links: Links,
    caplog: pytest.LogCaptureFixture,
    failure: Exception | None,
    pushed: bytes | Exception | None,
    key: str,
) -> None:
    """Every way the first read can fail is a translated "not ready", never a traceback."""
    if failure is not None:
        links.failures.append(failure)
    entry = _entry()
    entry.add_to_hass(hass)

    async def _feed() -> None:
        await wait_until(lambda: bool(links))
        links[-1].push(pushed)  # type: ignore[arg-type]

    feeder = hass.async_create_task(_feed()) if pushed is not None else None
    with patch(f"{PUSH}.first_data_timeout", 0.2):
        await hass.config_entries.async_setup(entry.entry_id)
    if feeder is not None:
        await feeder
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == key
    assert "Unexpected error" not in caplog.text  # HA's "Full exception" is only at debug level


async def test_unload_closes_the_port(hass: HomeAssistant, links: Links) -> None:
    entry = _entry()
    link = await _setup(hass, links, entry, standard_frame())
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert link.closed
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_diagnostics_redact_identity(
    hass: HomeAssistant, hass_client: Any, links: Links
) -> None:
    entry = _entry()
    await _setup(hass, links, entry, standard_frame(extra={"ZZTOP": "1"}))
    diag = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diag)
    assert STANDARD_SERIAL not in text
    assert "01234567890123" not in text  # PRM
    (device,) = diag["devices"]
    assert device["meter"]["unknown_labels"] == {"ZZTOP": "1"}
    assert device["meter"]["mode"] == "standard"


async def test_contract_decides_which_entities_exist(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    """A Tempo contract has Tempo colours and six supplier indexes, even at 0 Wh."""
    tempo = {"EASF02": "000000000", "EASF07": "000000000"}
    entry = _entry()
    await _setup(hass, links, entry, standard_frame(ngtf="     TEMPO      ", extra=tempo))
    assert _state(hass, entity_registry, "stge_tempo_today") == "none"
    assert _state(hass, entity_registry, "easf02") == "unknown"  # waits for a confirmation
    assert _state(hass, entity_registry, "easf07") is None  # Tempo uses six
    coordinator = _coordinator(entry)
    assert coordinator.data.values["NGTF"] == "TEMPO"  # stripped, raw padding inside kept


async def test_non_numeric_counter_is_a_rejected_reading(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    """A bit-6 flip turns a digit into a letter and passes the checksum: rejected, counted."""
    entry = _entry()
    link = await _setup(hass, links, entry, standard_frame())
    coordinator = _coordinator(entry)
    link.push(standard_frame())
    await wait_until(lambda: coordinator.data.values["EAST"] == 3519702)
    before = coordinator.link.rejected_readings
    corrupted = standard_frame().replace(b"EAST\t003519702", b"EAST\t00s519702")
    assert corrupted != standard_frame()
    link.push(corrupted)
    link.push(standard_frame(sinsts=999))
    await wait_until(lambda: coordinator.data.values["SINSTS"] == 999)
    assert coordinator.data.values["EAST"] == 3519702
    assert coordinator.link.rejected_readings == before + 1


async def test_guard_is_restored_after_a_restart(
    hass: HomeAssistant, links: Links, entity_registry: er.EntityRegistry
) -> None:
    """After a reload the first frame is judged against the saved history: no new baseline."""
    ticks = itertools.count(1_700_000_000.0, 1.0)
    with patch(f"{PUSH}.now", lambda _self: next(ticks)):
        entry = _entry(**{CONF_COUNTER_INTERVAL: 0, CONF_POWER_INTERVAL: 0})
        link = await _setup(hass, links, entry, standard_frame(east=5000))
        link.push(standard_frame(east=5000))
        await wait_until(lambda: _coordinator(entry).data.values["EAST"] == 5000)
        assert await hass.config_entries.async_unload(entry.entry_id)

        async def _feed() -> None:
            await wait_until(lambda: len(links) == 2)
            links[-1].push(standard_frame(east=5000))  # the same index: accepted at once

        feeder = hass.async_create_task(_feed())
        assert await hass.config_entries.async_setup(entry.entry_id)
        await feeder
        await hass.async_block_till_done()
        coordinator = _coordinator(entry)
        assert coordinator.data.values["EAST"] == 5000  # no waiting for a second frame
        assert float(_state(hass, entity_registry, "east") or "nan") == 5.0
        links[-1].push(standard_frame(east=4000))  # a glitch right after the restart
        links[-1].push(standard_frame(east=5001))
        links[-1].push(standard_frame(east=5002))
        await wait_until(lambda: coordinator.data.values["EAST"] == 5001)
        assert coordinator.link.rejected_readings >= 3
