"""Optical config flow on real ptys: the port alone, what answers, the key, every error recovering."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.energy_meters.const import DOMAIN
from custom_components.energy_meters.optical import flow as optical_flow
from custom_components.energy_meters.optical.const import CONF_AUTH_KEY, CONF_KEY
from custom_components.energy_meters.protocol.dlms.cipher import encipher_glo
from simulators.dlms import OTHER_KEY, SYSTEM_TITLE, TEST_KEY, DlmsMeterModel, DlmsPushSimulator
from simulators.iec62056 import IecFaults, IecMeterModel, IecMeterSimulator
from simulators.iec62056_port import PtyPort
from simulators.sml import SmlPushSimulator

from .optical_rig import (  # noqa: F401
    DLMS_NAME,
    IEC_SERIAL,
    SML_SERVER,
    Player,
    iec_entry,
    line_fixture,
    needs_socat,
    optical_kind,
    player_fixture,
    push_entry,
)

pytestmark = needs_socat
FIXTURES = Path(__file__).parent / "fixtures"
F1 = (FIXTURES / "iec62056" / "f1_lgz_e350.bin").read_bytes()
KEY = TEST_KEY.hex().upper()


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Do not set the entry up (the flow is under test)."""
    with (
        patch("custom_components.energy_meters.async_setup_entry", return_value=True) as mock,
        patch("custom_components.energy_meters.async_unload_entry", return_value=True),
    ):
        yield mock


async def _port_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "optical" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "optical"}
    )
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "optical"
    return str(result["flow_id"])


async def _probe(hass: HomeAssistant, flow_id: str, port: str) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(flow_id, {"device": f" {port} "}))


async def test_iec_meter_from_the_port_alone(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    meter = await player.iec(line, IecMeterSimulator(reaction=0.0))
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "optical_found"
    placeholders = result["description_placeholders"]
    assert placeholders["meter"] == IEC_SERIAL
    assert placeholders["protocol"] == "IEC 62056-21"
    assert "LGZ5ZMD3104100.B32, 9600 Bd" in placeholders["details"]
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == IEC_SERIAL
    data = result["data"]
    assert data["protocol"] == "iec" and data["switch_baudrate"] is True
    assert data["device"] == str(line.path)
    assert meter.readouts >= 1
    # the same port again: aborted before probing
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "port_already_used"


async def test_a_meter_that_refuses_the_switch_is_read_at_300(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    await player.iec(line, IecMeterSimulator(faults=IecFaults(refuse_switch=True), reaction=0.0))
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_found"
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["data"]["switch_baudrate"] is False


async def test_the_same_meter_on_another_port_is_refused(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    iec_entry("/dev/elsewhere").add_to_hass(hass)
    await player.iec(line, IecMeterSimulator(reaction=0.0))
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert result["description_placeholders"]["meter"] == f"IEC 62056-21 {IEC_SERIAL[-4:]}"
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, IEC_SERIAL)
    assert entry is not None and entry.data["device"] == str(line.path)  # seen on its new port


async def test_every_probe_error_recovers(
    hass: HomeAssistant, line: PtyPort, player: Player, tmp_path: Path
) -> None:
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(tmp_path / "missing"))
    assert result["errors"] == {"base": "port_not_found"}
    result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "optical_silent"}
    await player.push(line, lambda: bytes(range(128, 200)), 0.05)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "optical_garbage"}
    await player.push(line, lambda: b"hello meter\r\nline two\r\n", 0.05)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "optical_ascii"}
    await player.push(line, lambda: F1, 0.2)  # mode D: pushed readouts
    result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "optical_unsupported"}
    await player.iec(line, IecMeterSimulator(faults=IecFaults(bad_bcc=True), reaction=0.0))
    result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "optical_readout_failed"}
    await player.stop()
    with patch.object(optical_flow, "sniff", side_effect=RuntimeError("boom")):
        result = await _probe(hass, flow_id, str(line.path))
    assert result["errors"] == {"base": "unknown"}
    await player.iec(line, IecMeterSimulator(reaction=0.0))
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_found"
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_encrypted_dlms_asks_for_the_key_and_checks_it(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    await player.push(line, DlmsPushSimulator().next_push)
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_key"
    assert result["description_placeholders"]["details"] == "LGZ 0000BC614E (encrypted)"
    configure = hass.config_entries.flow.async_configure
    result = dict(await configure(flow_id, {CONF_KEY: "1234"}))
    assert result["errors"] == {"base": "optical_invalid_key"}
    result = dict(await configure(flow_id, {CONF_KEY: KEY, CONF_AUTH_KEY: "xyz"}))
    assert result["errors"] == {"base": "optical_invalid_key"}
    result = dict(await configure(flow_id, {CONF_KEY: OTHER_KEY.hex()}))
    assert result["errors"] == {"base": "optical_wrong_key"}  # said while still in the flow
    spaced = " ".join(KEY[i : i + 4] for i in range(0, 32, 4)).lower()
    result = dict(await configure(flow_id, {CONF_KEY: spaced, CONF_AUTH_KEY: ""}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DLMS_NAME
    assert result["data"][CONF_KEY] == KEY
    assert CONF_AUTH_KEY not in result["data"]
    assert result["data"]["baudrate"] == 2400 and result["data"]["parity"] == "E"


async def test_authenticated_dlms_keeps_its_authentication_key(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    auth = bytes(range(0xD0, 0xE0))
    await player.push(line, DlmsPushSimulator(authentication_key=auth).next_push)
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_key"
    result = dict(
        await hass.config_entries.flow.async_configure(
            flow_id, {CONF_KEY: KEY, CONF_AUTH_KEY: auth.hex()}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_AUTH_KEY] == auth.hex().upper()


async def test_plain_dlms_is_found(hass: HomeAssistant, line: PtyPort, player: Player) -> None:
    await player.push(line, DlmsPushSimulator(key=None).next_push)
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_found"
    assert result["description_placeholders"]["meter"] == DLMS_NAME
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["data"]["protocol"] == "dlms" and CONF_KEY not in result["data"]


async def test_sml_is_found(hass: HomeAssistant, line: PtyPort, player: Player) -> None:
    await player.push(line, SmlPushSimulator().next_push)
    flow_id = await _port_form(hass)
    result = await _probe(hass, flow_id, str(line.path))
    assert result["step_id"] == "optical_found"
    assert result["description_placeholders"]["meter"] == SML_SERVER
    result = dict(await hass.config_entries.flow.async_configure(flow_id, {}))
    assert result["data"]["protocol"] == "sml"  # a pty carries bytes at any speed


def test_found_refuses_what_cannot_be_read() -> None:
    from custom_components.energy_meters.protocol.optical.sniff import (
        Classified,
        LineKind,
        SniffResult,
    )

    broken_sml = SniffResult(
        LineKind.SML, classified=Classified(LineKind.SML, sml_files=(b"\x1b\x1b\x1b\x1b",))
    )
    with pytest.raises(optical_flow.OpticalFlowError, match="optical_garbage"):
        optical_flow._found("/dev/x", broken_sml)
    plain = SniffResult(LineKind.DLMS, classified=Classified(LineKind.DLMS, apdus=(b"\x0f\x00",)))
    with pytest.raises(optical_flow.OpticalFlowError, match="optical_garbage"):
        optical_flow._found("/dev/x", plain)
    # general-ciphering (0xDD): the system title follows the transaction id
    apdu = b"\xdd\x02\xaa\xbb\x08" + SYSTEM_TITLE + b"\x00"
    assert optical_flow._system_title(apdu) == SYSTEM_TITLE
    glo = encipher_glo(
        DlmsMeterModel().notification(),
        system_title=SYSTEM_TITLE,
        invocation_counter=1,
        key=TEST_KEY,
        authentication_key=None,
    )
    assert optical_flow._system_title(glo) == SYSTEM_TITLE


async def test_reconfigure_moves_the_same_meter_only(
    hass: HomeAssistant, line: PtyPort, player: Player, tmp_path: Path
) -> None:
    entry = iec_entry("/dev/old")
    entry.add_to_hass(hass)
    result = dict(await entry.start_reconfigure_flow(hass))
    assert result["step_id"] == "optical_reconfigure"
    flow_id = result["flow_id"]
    configure = hass.config_entries.flow.async_configure
    result = dict(await configure(flow_id, {"device": str(tmp_path / "missing")}))
    assert result["errors"] == {"base": "port_not_found"}
    await player.iec(line, IecMeterSimulator(IecMeterModel(serial="87654321"), reaction=0.0))
    result = dict(await configure(flow_id, {"device": str(line.path)}))
    assert result["errors"] == {"base": "wrong_meter"}
    await player.iec(line, IecMeterSimulator(reaction=0.0))
    result = dict(await configure(flow_id, {"device": str(line.path)}))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    assert entry.data["device"] == str(line.path)


async def test_reconfigure_a_dlms_meter_with_a_new_key(
    hass: HomeAssistant, line: PtyPort, player: Player
) -> None:
    entry = push_entry("/dev/old", "dlms", DLMS_NAME, key=OTHER_KEY.hex().upper())
    entry.add_to_hass(hass)
    await player.push(line, DlmsPushSimulator().next_push)
    result = dict(await entry.start_reconfigure_flow(hass))
    flow_id = result["flow_id"]
    configure = hass.config_entries.flow.async_configure
    result = dict(await configure(flow_id, {"device": str(line.path)}))  # the old key
    assert result["errors"] == {"base": "optical_wrong_key"}
    result = dict(await configure(flow_id, {"device": str(line.path), CONF_KEY: KEY}))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_KEY] == KEY


@pytest.mark.usefixtures("socket_enabled")
async def test_the_dev_meter_row_adds_the_iec_simulator_over_tcp(hass: HomeAssistant) -> None:
    """The answers ``scripts/develop`` posts add the IEC simulator served over TCP."""
    from devtools.dev_meters import DEV_METERS
    from simulators.iec62056_port import StreamPort

    row = next(meter for meter in DEV_METERS if "IEC 62056-21" in meter.name)
    assert row.command[-2:] == ["--tcp", "127.0.0.1:7202"]

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await IecMeterSimulator(reaction=0.0).serve(StreamPort(reader, writer))
        writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    steps = [
        {k: (v.replace("7202", str(port)) if isinstance(v, str) else v) for k, v in step.items()}
        for step in row.flow_steps
    ]
    async with server:
        result = dict(
            await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        )
        for answer in steps:
            assert result["type"] in (FlowResultType.MENU, FlowResultType.FORM), result
            result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], answer))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert row.title_contains in result["title"]
    assert result["data"]["protocol"] == "iec"  # read at the sign-on speed: TCP cannot switch
    assert result["data"]["device"] == f"socket://127.0.0.1:{port}"


async def test_options_of_an_optical_entry(hass: HomeAssistant) -> None:
    entry = iec_entry("/dev/x")
    entry.add_to_hass(hass)
    result = dict(await hass.config_entries.options.async_init(entry.entry_id))
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "init"
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                "counter_interval": 30,
                "power_interval": 5,
                "optical_poll_interval": 0,
                "optical_voltage_min": 210.0,
                "optical_voltage_max": 250.0,
                "optical_frequency_min": 49.8,
                "optical_frequency_max": 50.2,
                "optical_power_limit": 12.0,
            },
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["optical_voltage_max"] == 250.0
