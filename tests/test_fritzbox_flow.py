"""FRITZ!Box config flow against the fake box: add, errors, reconfigure, reauth, options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.energy_meters.const import DOMAIN
from simulators.fritzbox import FakeFritzBoxServer

from .fritzbox_rig import (  # noqa: F401
    PASSWORD,
    SERIAL,
    USERNAME,
    box_fixture,
    entry_for,
    fritzbox_kind,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Do not set the entry up (the flow is under test)."""
    with (
        patch("custom_components.energy_meters.async_setup_entry", return_value=True) as mock,
        patch("custom_components.energy_meters.async_unload_entry", return_value=True),
    ):
        yield mock


def _answers(server: FakeFritzBoxServer, **overrides: Any) -> dict[str, Any]:
    return {
        "host": server.url,
        "username": USERNAME,
        "password": PASSWORD,
        "verify_ssl": False,
        **overrides,
    }


async def _form(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "fritzbox" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "fritzbox"}
    )
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "fritzbox"
    return dict(result)


async def test_add_a_box(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    result = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _answers(box, host=f" {box.url}/ ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL
    assert result["data"]["host"] == box.url
    assert result["data"]["kind"] == "fritzbox"
    assert box.box.sessions == {}  # logged out after validation
    assert box.box.stale_sid_requests == 0
    # the same box again (under another address) is refused
    result = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _answers(box, host=box.url.removeprefix("http://"))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_box_without_boxinfo_is_identified_by_host(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    box.box.serial = None
    result = await _form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "127.0.0.1"


@pytest.mark.parametrize(
    ("setup", "answers", "error", "block_time"),
    [
        (lambda b: None, {"password": "wrong"}, "invalid_auth", "1"),
        (lambda b: setattr(b, "blocked_until", b.clock() + 30), {}, "fritzbox_login_blocked", "30"),
        (lambda b: setattr(b, "smart_home_right", False), {}, "fritzbox_missing_right", "0"),
        (lambda b: setattr(b, "answer_garbage", 2), {}, "fritzbox_not_a_box", "0"),
        (lambda b: None, {"host": "ftp://fritz.box"}, "fritzbox_invalid_host", "0"),
        (lambda b: None, {"host": "http://127.0.0.1:1"}, "fritzbox_cannot_connect", "0"),
    ],
)
async def test_errors_then_recovery(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    mock_setup_entry: AsyncMock,
    setup: Any,
    answers: dict[str, Any],
    error: str,
    block_time: str,
) -> None:
    setup(box.box)
    result = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _answers(box, **answers)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"]["block_time"] == block_time
    # the box recovers; the same form then creates the entry
    box.box.blocked_until = 0
    box.box.smart_home_right = True
    box.box.answer_garbage = 0
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert box.box.stale_sid_requests == 0


async def test_not_a_fritzbox(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock, aiohttp_server: Any
) -> None:
    from aiohttp import web

    async def page(_request: web.Request) -> web.Response:
        return web.Response(status=404, text="not here")

    app = web.Application()
    app.router.add_get("/login_sid.lua", page)
    other = await aiohttp_server(app)
    result = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _answers(box, host=f"http://127.0.0.1:{other.port}")
    )
    assert result["errors"] == {"base": "fritzbox_not_a_box"}


async def test_unexpected_error(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    result = await _form(hass)
    with patch("custom_components.energy_meters.fritzbox.flow.probe_box", side_effect=RuntimeError):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["errors"] == {"base": "unknown"}


async def test_reconfigure_same_box_new_account(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box, password="old")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fritzbox_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _answers(box, password="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}
    box.box.blocked_until = 0
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["password"] == PASSWORD


async def test_reconfigure_refuses_another_box(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box)
    entry.add_to_hass(hass)
    box.box.serial = "AABBCCDDEEFF"
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["errors"] == {"base": "fritzbox_wrong_box"}


async def test_reconfigure_of_a_host_identified_box(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, unique_id="fritz.box")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _answers(box))
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == SERIAL  # the box's identity, now that it is known


async def test_reauth_with_the_new_password(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box, password="old")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fritzbox_reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    box.box.blocked_until = 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == PASSWORD


async def test_options_poll_interval(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"counter_interval": 30, "power_interval": 5, "poll_interval": 300}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["poll_interval"] == 300
