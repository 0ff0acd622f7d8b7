"""FRITZ!Box config flow against the fake box: add, discover, errors, reconfigure, reauth, options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_SSDP,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.ssdp import (
    ATTR_UPNP_FRIENDLY_NAME,
    ATTR_UPNP_UDN,
    SsdpServiceInfo,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

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


# --- SSDP discovery --------------------------------------------------------------------
UDN = "aaaaaaaa-bbbb-4ccc-8ddd-000000000001"
FRITZBOX_ST = "urn:schemas-upnp-org:device:fritzbox:1"


def _ssdp(
    host: str = "127.0.0.1", *, udn: str | None = UDN, name: str | None = "FRITZ!Box 7590"
) -> SsdpServiceInfo:
    upnp: dict[str, str] = {}
    if udn is not None:
        upnp[ATTR_UPNP_UDN] = f"uuid:{udn}"
    if name is not None:
        upnp[ATTR_UPNP_FRIENDLY_NAME] = name
    location = f"http://{f'[{host}]' if ':' in host else host}:49000/tr64desc.xml"
    return SsdpServiceInfo(
        ssdp_usn=f"uuid:{udn}::{FRITZBOX_ST}",
        ssdp_st=FRITZBOX_ST,
        ssdp_location=location if host else None,
        upnp=upnp,
    )


async def _discover(hass: HomeAssistant, info: SsdpServiceInfo) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=info
    )
    return dict(result)


@pytest.fixture
def aha_port(box: FakeFritzBoxServer) -> Iterator[None]:
    """The fake box serves its web interface on a free port, not on 80."""
    with patch("custom_components.energy_meters.fritzbox.flow.AHA_HTTP_PORT", box.port):
        yield


def _resolving(names: dict[str, str]) -> Any:
    """Patch the name resolution the flow uses (OSError for an unknown name)."""

    async def getaddrinfo(host: str, port: Any) -> list[Any]:
        if host not in names:
            raise OSError("no such name")
        return [(2, 1, 6, "", (names[host], 0))]

    return getaddrinfo


async def test_a_discovered_box_is_confirmed_with_an_account(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock, aha_port: None
) -> None:
    result = await _discover(hass, _ssdp())
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "fritzbox_confirm"
    assert result["description_placeholders"] == {
        "block_time": "0",
        "name": "FRITZ!Box 7590",
        "host": "127.0.0.1",
    }
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["title_placeholders"] == {"name": "FRITZ!Box 7590"}
    assert flow["context"]["unique_id"] == UDN
    # the user step's checks and messages: a wrong password says the box's block time
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"]["block_time"] == "1"
    box.box.blocked_until = 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "FRITZ!Box 7590"
    # the same identity as an entry added by hand: the box serial
    assert result["result"].unique_id == SERIAL
    assert result["data"] == {
        "kind": "fritzbox",
        "host": box.url,
        "username": USERNAME,
        "password": PASSWORD,
        "verify_ssl": False,
        "udn": UDN,
    }
    assert box.box.sessions == {} and box.box.stale_sid_requests == 0
    # announced again (HA repeats it): recognised by its UDN
    result = await _discover(hass, _ssdp())
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (lambda b: setattr(b, "blocked_until", b.clock() + 30), "fritzbox_login_blocked"),
        (lambda b: setattr(b, "smart_home_right", False), "fritzbox_missing_right"),
        (lambda b: setattr(b, "offline", True), "fritzbox_cannot_connect"),
    ],
)
async def test_confirm_errors_are_the_user_steps(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    mock_setup_entry: AsyncMock,
    aha_port: None,
    fault: Any,
    error: str,
) -> None:
    result = await _discover(hass, _ssdp())
    fault(box.box)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": error}
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested == {"username": USERNAME, "password": None}  # kept, not the password


async def test_an_announcement_no_kind_matches_aborts(hass: HomeAssistant) -> None:
    other = SsdpServiceInfo(
        ssdp_usn="uuid:x", ssdp_st="urn:schemas-upnp-org:device:MediaRenderer:1", upnp={}
    )
    result = await _discover(hass, other)
    assert result["reason"] == "not_supported"


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (_ssdp(host=""), "not_supported"),  # no location
        (_ssdp(host="fe80::3631:c4ff:fe00:1"), "fritzbox_ipv6_link_local"),
    ],
)
async def test_unusable_announcements_abort(
    hass: HomeAssistant, info: SsdpServiceInfo, reason: str
) -> None:
    result = await _discover(hass, info)
    assert result["type"] is FlowResultType.ABORT and result["reason"] == reason


async def test_a_box_discovered_twice_is_set_up_once(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    first = await _discover(hass, _ssdp())
    assert first["type"] is FlowResultType.FORM
    # the same UDN, and the same address under another UDN (a second announced device)
    for info in (_ssdp(), _ssdp(udn=None), _ssdp(udn="another")):
        result = await _discover(hass, info)
        assert result["reason"] == "already_in_progress", info
    # another box is another flow
    assert (await _discover(hass, _ssdp("127.0.0.2", udn="b")))["type"] is FlowResultType.FORM


async def test_an_ignored_discovery_stays_ignored(hass: HomeAssistant) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=UDN, source=SOURCE_IGNORE).add_to_hass(hass)
    result = await _discover(hass, _ssdp())
    assert result["reason"] == "already_configured"


async def test_a_box_added_by_hand_is_recognised_by_its_address(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box)  # added by hand: unique ID the serial, no UDN
    entry.add_to_hass(hass)
    result = await _discover(hass, _ssdp())
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert result["description_placeholders"] == {
        "meter": "FRITZ!Box 7590",
        "title": "FRITZ!Box 127.0.0.1",
    }
    assert entry.data["udn"] == UDN and entry.unique_id == SERIAL  # learnt, not replaced
    assert entry.data["host"] == box.url
    # it moves: the UDN finds it, the new IP replaces the old one (scheme and port kept)
    result = await _discover(hass, _ssdp("192.168.178.20"))
    assert result["reason"] == "already_configured"
    assert entry.data["host"] == f"http://192.168.178.20:{box.port}"


async def test_a_host_name_the_user_typed_is_kept(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock
) -> None:
    entry = entry_for(box, host="https://fritz.box", udn=UDN)
    entry.add_to_hass(hass)
    with patch.object(hass.config_entries, "async_schedule_reload") as reload:
        result = await _discover(hass, _ssdp("192.168.178.1"))
    assert result["reason"] == "already_configured"
    assert entry.data["host"] == "https://fritz.box"
    reload.assert_not_called()  # nothing changed


@pytest.mark.parametrize(
    ("entry_host", "announced", "names"),
    [
        ("http://fritz.box", "192.168.178.1", {"fritz.box": "192.168.178.1"}),
        ("https://192.168.178.1:443", "fritz.box", {"fritz.box": "192.168.178.1"}),
    ],
)
async def test_a_name_and_its_address_are_the_same_box(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    mock_setup_entry: AsyncMock,
    entry_host: str,
    announced: str,
    names: dict[str, str],
) -> None:
    entry = entry_for(box, host=entry_host)
    entry.add_to_hass(hass)
    with patch.object(hass.loop, "getaddrinfo", _resolving(names)):
        result = await _discover(hass, _ssdp(announced))
    assert result["reason"] == "already_configured"
    assert entry.data["udn"] == UDN and entry.data["host"] == entry_host


@pytest.mark.parametrize(
    ("entry_host", "names", "after"),
    [
        # another address: the entry's IP moves to the announced one
        ("http://192.168.178.2", {}, "http://127.0.0.1"),
        # a name that does not resolve, or names another address: the user's name stays
        ("http://fritz.box", {}, "http://fritz.box"),
        ("http://fritz.box", {"fritz.box": "192.168.178.2"}, "http://fritz.box"),
    ],
)
async def test_a_box_unrecognised_by_address_is_recognised_once_it_logs_in(
    hass: HomeAssistant,
    box: FakeFritzBoxServer,
    mock_setup_entry: AsyncMock,
    aha_port: None,
    entry_host: str,
    names: dict[str, str],
    after: str,
) -> None:
    entry = entry_for(box, host=entry_host)  # added by hand: its serial is the unique ID
    entry.add_to_hass(hass)
    with patch.object(hass.loop, "getaddrinfo", _resolving(names)):
        result = await _discover(hass, _ssdp())
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1  # no duplicate
    assert entry.data["udn"] == UDN and entry.data["host"] == after


async def test_a_box_waiting_to_retry_is_reloaded_when_it_is_seen(
    hass: HomeAssistant, box: FakeFritzBoxServer
) -> None:
    entry = entry_for(box, host="http://192.168.178.2", udn=UDN)
    entry.add_to_hass(hass)
    entry.mock_state(hass, ConfigEntryState.SETUP_RETRY)
    with patch.object(hass.config_entries, "async_schedule_reload") as reload:
        result = await _discover(hass, _ssdp("192.168.178.3"))
    assert result["reason"] == "already_configured"
    assert entry.data["host"] == "http://192.168.178.3"
    reload.assert_called_once_with(entry.entry_id)


async def test_a_box_without_udn_or_name(
    hass: HomeAssistant, box: FakeFritzBoxServer, mock_setup_entry: AsyncMock, aha_port: None
) -> None:
    result = await _discover(hass, _ssdp(udn=None, name=None))
    assert result["description_placeholders"]["name"] == "FRITZ!Box 127.0.0.1"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": PASSWORD}
    )
    assert result["title"] == "FRITZ!Box 127.0.0.1"
    assert "udn" not in result["data"] and result["result"].unique_id == SERIAL
