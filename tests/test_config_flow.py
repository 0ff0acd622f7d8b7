"""Config flow: menu, Linky step, USB discovery, reconfigure, options; every error recovers."""

from __future__ import annotations

from collections.abc import Iterator
import errno
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USB, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_meters.const import (
    CONF_COUNTER_INTERVAL,
    CONF_DEVICE,
    CONF_KIND,
    CONF_POWER_INTERVAL,
    CONF_SERIAL,
    CONF_TIC_MODE,
    DOMAIN,
)
from custom_components.energy_meters.protocol.serial_link import (
    InvalidPortUrlError,
    PortAccessError,
    PortNotFoundError,
    SerialLinkError,
)
from custom_components.energy_meters.protocol.tic.detect import DetectionResult
from custom_components.energy_meters.protocol.tic.framing import TicMode, TicParser

from .tic_frames import HISTORIC_SERIAL, STANDARD_SERIAL, historic_frame, standard_frame

PORT = "/dev/serial/by-id/usb-TIC-if00-port0"


def _found(frame: bytes, mode: TicMode) -> DetectionResult:
    parsed = TicParser(mode).feed(frame)
    return DetectionResult(
        mode=mode, frame=parsed[0], valid_groups={mode: 20}, bytes_seen={mode: len(frame)}
    )


def _caused(err: Exception, cause: BaseException) -> Exception:
    err.__cause__ = cause
    return err


STANDARD = _found(standard_frame(), TicMode.STANDARD)
HISTORIC = _found(historic_frame(), TicMode.HISTORIC)
SILENT = DetectionResult(mode=None, frame=None, bytes_seen={TicMode.HISTORIC: 0})
NOISE = DetectionResult(mode=None, frame=None, bytes_seen={TicMode.HISTORIC: 500})


@pytest.fixture
def detect() -> Iterator[AsyncMock]:
    """The port probe; tests set its result or side effect."""
    with patch(
        "custom_components.energy_meters.linky.flow.detect_tic_mode", return_value=STANDARD
    ) as mock:
        yield mock


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Do not start the meter when a flow creates an entry."""
    with patch("custom_components.energy_meters.async_setup_entry", return_value=True) as mock:
        yield mock


async def _linky_form(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"][0] == "linky"  # the first kind; the others follow
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "linky"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "linky"
    return result


async def test_user_flow_detects_standard_meter(hass: HomeAssistant, detect: AsyncMock) -> None:
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_DEVICE: f" {PORT} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Linky {STANDARD_SERIAL} (standard)"
    assert result["data"] == {
        CONF_KIND: "linky",
        CONF_DEVICE: PORT,
        CONF_TIC_MODE: "standard",
        CONF_SERIAL: STANDARD_SERIAL,
        "baudrate": 9600,
    }
    assert result["result"].unique_id == STANDARD_SERIAL
    detect.assert_awaited_once_with(PORT)


async def test_user_flow_detects_historic_meter(hass: HomeAssistant, detect: AsyncMock) -> None:
    detect.return_value = HISTORIC
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {CONF_DEVICE: PORT})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Linky {HISTORIC_SERIAL} (historique)"
    assert result["data"][CONF_TIC_MODE] == "historic"
    assert result["data"]["baudrate"] == 1200


async def test_historic_frames_at_9600_baud_keep_their_speed(
    hass: HomeAssistant, detect: AsyncMock
) -> None:
    """Some dongles re-emit historic frames at 9600 Bd: the entry remembers it."""
    parsed = TicParser(TicMode.HISTORIC).feed(historic_frame())
    detect.return_value = DetectionResult(
        mode=TicMode.HISTORIC, frame=parsed[0], bytes_seen={TicMode.STANDARD: 300}, baudrate=9600
    )
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {CONF_DEVICE: PORT})
    assert result["data"][CONF_TIC_MODE] == "historic"
    assert result["data"]["baudrate"] == 9600


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (InvalidPortUrlError("bad url"), "invalid_port"),
        (PortNotFoundError("missing"), "port_not_found"),
        (PortAccessError("busy"), "port_busy"),
        (SerialLinkError("refused"), "cannot_connect"),
        (
            _caused(
                SerialLinkError("/dev/null: not a serial port"), OSError(errno.ENOTTY, "ioctl")
            ),
            "not_serial_port",
        ),
        (
            _caused(PortNotFoundError("host not found"), socket.gaierror(-2, "unknown")),
            "host_not_found",
        ),
        (RuntimeError("boom"), "unknown"),
        (SILENT, "no_data"),
        (NOISE, "not_tic"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant, detect: AsyncMock, outcome: Any, error: str
) -> None:
    if isinstance(outcome, Exception):
        detect.side_effect = outcome
    else:
        detect.return_value = outcome
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_DEVICE: "garbage"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    detect.side_effect = None
    detect.return_value = STANDARD
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {CONF_DEVICE: PORT})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_meter_twice_aborts_and_updates_port(
    hass: HomeAssistant, detect: AsyncMock
) -> None:
    entry = _entry(hass)
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_DEVICE: "socket://tic:2000"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert result["description_placeholders"] == {
        "meter": f"Linky {STANDARD_SERIAL}",
        "title": entry.title,
    }
    assert entry.data[CONF_DEVICE] == "socket://tic:2000"


async def test_port_of_a_configured_meter_aborts_without_probing(
    hass: HomeAssistant, detect: AsyncMock
) -> None:
    _entry(hass)
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_DEVICE: "/dev/ttyUSB0"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_already_used"
    assert result["description_placeholders"] == {"title": f"Linky {STANDARD_SERIAL} (standard)"}
    detect.assert_not_awaited()


async def test_user_flow_names_the_meter(hass: HomeAssistant, detect: AsyncMock) -> None:
    form = await _linky_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_DEVICE: PORT, "name": " Linky garage "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Linky garage"
    assert result["data"]["name"] == "Linky garage"


async def test_usb_discovery_of_another_device_aborts(hass: HomeAssistant) -> None:
    other = UsbServiceInfo(
        device="/dev/ttyUSB3",
        vid="10C4",
        pid="EA60",
        serial_number="X",
        manufacturer="Silicon Labs",
        description="CP2102",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=other
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_unknown_step_is_not_routed(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert hasattr(flow, "async_step_linky")
    assert not hasattr(flow, "async_step_nothing")
    with pytest.raises(AttributeError):
        _ = flow.something_else


def _entry(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=STANDARD_SERIAL,
        title=f"Linky {STANDARD_SERIAL} (standard)",
        data={
            CONF_KIND: "linky",
            CONF_DEVICE: "/dev/ttyUSB0",
            CONF_TIC_MODE: "standard",
            CONF_SERIAL: STANDARD_SERIAL,
        },
    )
    entry.add_to_hass(hass)
    return entry


USB = UsbServiceInfo(
    device="/dev/ttyUSB1",
    vid="0403",
    pid="6015",
    serial_number="DA1234",
    manufacturer="FTDI",
    description="TINFO-1234",
)


async def test_usb_discovery_confirm(hass: HomeAssistant, detect: AsyncMock) -> None:
    with patch("homeassistant.components.usb.get_serial_by_id", return_value=PORT):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=USB
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {"port": PORT}
    detect.return_value = SILENT
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "no_data"}
    detect.return_value = STANDARD
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE] == PORT


async def test_usb_discovery_of_a_configured_port_aborts(
    hass: HomeAssistant, detect: AsyncMock
) -> None:
    entry = _entry(hass)
    with patch(
        "homeassistant.components.usb.get_serial_by_id", return_value=entry.data[CONF_DEVICE]
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=USB
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "port_already_used"


async def test_usb_discovery_of_a_known_meter_on_a_new_port(
    hass: HomeAssistant, detect: AsyncMock
) -> None:
    entry = _entry(hass)
    with patch("homeassistant.components.usb.get_serial_by_id", return_value=PORT):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=USB
        )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_DEVICE] == PORT


async def test_reconfigure_moves_the_same_meter(hass: HomeAssistant, detect: AsyncMock) -> None:
    entry = _entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    detect.side_effect = PortNotFoundError("missing")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: "/dev/nope"}
    )
    assert result["errors"] == {"base": "port_not_found"}
    detect.side_effect = None
    detect.return_value = _found(standard_frame(serial="041876099999"), TicMode.STANDARD)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_DEVICE: PORT})
    assert result["errors"] == {"base": "wrong_meter"}
    detect.return_value = STANDARD
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_DEVICE: PORT})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE] == PORT


async def test_options_flow_sets_the_update_policy(hass: HomeAssistant) -> None:
    entry = _entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"title": entry.title}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_COUNTER_INTERVAL: 60.0, CONF_POWER_INTERVAL: 2.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_COUNTER_INTERVAL: 60, CONF_POWER_INTERVAL: 2}
