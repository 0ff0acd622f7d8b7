"""The AHA client against the fake FRITZ!Box over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from custom_components.energy_meters.protocol.fritzbox.client import (
    AhaAuthError,
    AhaBlockedError,
    AhaClient,
    AhaConnectionError,
    AhaNotFritzBoxError,
    AhaResponseError,
    AhaRightsError,
    normalize_url,
)
from custom_components.energy_meters.protocol.fritzbox.devices import encode_hkr_temperature
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer, ManualClock, SimDevice

pytestmark = pytest.mark.usefixtures("socket_enabled")  # 127.0.0.1 only


@dataclass
class Rig:
    box: FakeFritzBox
    server: FakeFritzBoxServer
    clock: ManualClock
    http: aiohttp.ClientSession

    def client(self, password: str = "secret", username: str = "fritz1234") -> AhaClient:
        return AhaClient(self.http, self.server.url, username, password, clock=self.clock)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = ManualClock()
    box = FakeFritzBox(clock=clock, pbkdf2_iterations=(100, 10))
    server = await FakeFritzBoxServer(box).start()
    async with aiohttp.ClientSession() as http:
        yield Rig(box, server, clock, http)
    await server.close()


def test_normalize_url() -> None:
    assert str(normalize_url("fritz.box")) == "http://fritz.box"
    assert str(normalize_url(" https://192.168.178.1/ ")) == "https://192.168.178.1"
    assert str(normalize_url("http://fritz.box:8080/x?y=1")) == "http://fritz.box:8080"
    with pytest.raises(ValueError, match="not a FRITZ"):
        normalize_url("ftp://fritz.box")


async def test_login_pbkdf2_and_device_list(rig: Rig) -> None:
    client = rig.client()
    devices = await client.device_list()
    assert devices["116570067315"].values["voltage"] == 227.292
    assert rig.box.logins == 1 and client.logged_in
    assert await rig.client().box_serial() == "989BCB0A1B2C"
    stats = await client.device_stats("11657 0067315")
    days = stats.series("energy", 86400)
    assert days is not None and days.values[0] == 812
    await client.logout()
    assert not client.logged_in and rig.box.sessions == {}
    await client.logout()  # nothing to end
    assert rig.box.stale_sid_requests == 0


async def test_login_md5_on_an_old_box(rig: Rig) -> None:
    rig.box.md5_only = True
    client = rig.client()
    await client.login()
    assert client.logged_in
    assert rig.box.stale_sid_requests == 0


async def test_the_sid_is_reused_then_checked_after_idling(rig: Rig) -> None:
    client = rig.client()
    await client.device_list()
    await client.device_list()
    assert rig.box.logins == 1 and client.checks == 0
    rig.clock.advance(61)  # idle: checked on login_sid.lua before use, still valid
    await client.device_list()
    assert rig.box.logins == 1 and client.checks == 1
    assert rig.box.stale_sid_requests == 0


async def test_idle_expiry_logs_in_again_without_a_stale_request(rig: Rig) -> None:
    client = rig.client()
    await client.device_list()
    rig.clock.advance(21 * 60)
    await client.device_list()
    assert rig.box.logins == 2 and client.relogins == 1
    assert rig.box.stale_sid_requests == 0


async def test_reboot_while_polling(rig: Rig) -> None:
    client = rig.client()
    await client.device_list()
    rig.box.offline = True
    with pytest.raises(AhaConnectionError):
        await client.device_list()
    assert not client.logged_in  # the SID is never sent again
    rig.box.offline = False
    rig.box.reboot()
    await client.device_list()
    assert rig.box.logins == 2
    assert rig.box.stale_sid_requests == 0


async def test_reboot_between_polls(rig: Rig) -> None:
    """A reboot takes longer than CHECK_AFTER: the SID is checked, not sent stale."""
    client = rig.client()
    await client.device_list()
    rig.box.reboot()
    rig.clock.advance(90)
    await client.device_list()
    assert rig.box.logins == 2 and rig.box.stale_sid_requests == 0


async def test_403_mid_session_logs_in_once(rig: Rig) -> None:
    """Another program on this IP made the box end every session."""
    client = rig.client()
    await client.device_list()
    rig.box.sessions.clear()
    await client.device_list()  # one 403 (the box ended it, not us), then a fresh login
    assert rig.box.logins == 2 and client.relogins == 1


async def test_missing_smart_home_right(rig: Rig) -> None:
    rig.box.smart_home_right = False
    client = rig.client()
    with pytest.raises(AhaRightsError):
        await client.device_list()
    assert rig.box.sessions == {}  # logged out again


async def test_rights_removed_during_the_session(rig: Rig) -> None:
    client = rig.client()
    await client.device_list()
    rig.box.smart_home_right = False
    with pytest.raises(AhaRightsError):  # 403, then the fresh login lacks HomeAuto
        await client.device_list()


async def test_403_right_after_login_is_a_missing_right(rig: Rig) -> None:
    """Firmware that does not list rights: a 403 after a fresh login says it."""
    rig.box.list_rights = False
    rig.box.smart_home_right = False
    client = rig.client()
    with pytest.raises(AhaRightsError, match="right after a login"):
        await client.device_list()
    assert rig.box.stale_sid_requests == 0


async def test_wrong_password_and_growing_block_time(rig: Rig) -> None:
    client = rig.client(password="wrong")
    with pytest.raises(AhaAuthError) as err:
        await client.login()
    assert err.value.block_time == 1 and not isinstance(err.value, AhaBlockedError)
    rig.clock.advance(1)
    with pytest.raises(AhaAuthError) as err:
        await client.login()
    assert err.value.block_time == 2
    # while blocked, nothing is sent: the block time is reported, not slept on
    good = rig.client()
    with pytest.raises(AhaBlockedError) as blocked:
        await good.login()
    assert blocked.value.block_time == 2
    rig.clock.advance(2)
    await good.login()
    assert good.logged_in and rig.box.stale_sid_requests == 0


async def test_wrong_username(rig: Rig) -> None:
    with pytest.raises(AhaAuthError):
        await rig.client(username="admin").login()


async def test_password_changed_on_the_box(rig: Rig) -> None:
    client = rig.client()
    await client.device_list()
    rig.box.change_password("new")
    rig.clock.advance(21 * 60)
    with pytest.raises(AhaAuthError):
        await client.device_list()


async def test_empty_answer_gets_one_fresh_try(rig: Rig) -> None:
    client = rig.client()
    rig.box.answer_garbage = 1
    devices = await client.device_list()
    assert devices and rig.box.logins == 2
    rig.box.answer_garbage = 2
    with pytest.raises(AhaResponseError):
        await client.device_list()
    assert rig.box.stale_sid_requests == 0


async def test_unknown_ain_is_a_response_error(rig: Rig) -> None:
    with pytest.raises(AhaResponseError, match="HTTP 400"):
        await rig.client().device_stats("00000 0000000")


async def test_not_a_fritzbox(rig: Rig) -> None:
    from aiohttp import web

    app = web.Application()

    async def html(_request: web.Request) -> web.Response:
        return web.Response(text="<html/>")

    app.router.add_get("/login_sid.lua", html)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client = AhaClient(rig.http, f"127.0.0.1:{port}", "u", "p", clock=rig.clock)
        with pytest.raises(AhaNotFritzBoxError):
            await client.login()
        assert await client.box_serial() is None  # 404
    finally:
        await runner.cleanup()
    other = FakeFritzBox(clock=rig.clock)
    other.serial = None
    server = await FakeFritzBoxServer(other).start()
    try:
        assert await AhaClient(rig.http, server.url, "u", "p").box_serial() is None
    finally:
        await server.close()


async def test_unreachable_box(rig: Rig) -> None:
    await rig.server.close()
    client = rig.client()
    with pytest.raises(AhaConnectionError):
        await client.login()
    assert await client.box_serial() is None


async def test_energy_advances_with_the_clock(rig: Rig) -> None:
    rig.box.devices = {
        "1": SimDevice("1", "Heater", "FRITZ!DECT 200", 896, power_mw=2_000_000, energy_wh=100)
    }
    client = rig.client()
    first = (await client.device_list())["1"].values["energy"]
    rig.clock.advance(1800)
    second = (await client.device_list())["1"].values["energy"]
    assert (first, second) == (100, 1100)


async def test_switch_commands_change_the_plug_and_answer_its_state(rig: Rig) -> None:
    client = rig.client()
    assert await client.set_switch("11657 0067315", on=False) is False
    plug = (await client.device_list())["116570067315"]
    assert plug.values["switch_on"] is False and plug.values["power"] == 0
    assert await client.set_switch("11657 0067315", on=True) is True
    assert (await client.device_list())["116570067315"].values["switch_on"] is True
    # a plug out of reach answers "inval"; an unknown AIN or a thermostat 400
    with pytest.raises(AhaResponseError, match="inval"):
        await client.set_switch("11657 0999999", on=True)
    with pytest.raises(AhaResponseError, match="HTTP 400"):
        await client.set_switch("09995 0123456", on=True)
    assert rig.box.stale_sid_requests == 0


async def test_an_on_off_unit_is_switched_with_setsimpleonoff(rig: Rig) -> None:
    client = rig.client()
    unit = rig.box.devices["11324 0716524-1"]
    await client.set_simple_on_off("11324 0716524-1", on=True)
    assert unit.switch_on
    assert (await client.device_list())["113240716524-1"].values["switch_on"] is True
    await client.set_simple_on_off("11324 0716524-1", on=False)
    assert not unit.switch_on
    # the fake box keeps to AVM's preconditions: setsimpleonoff needs bit 15
    with pytest.raises(AhaResponseError, match="HTTP 400"):
        await client.set_simple_on_off("09995 0123456", on=True)
    with pytest.raises(AhaResponseError, match="HTTP 400"):
        await client.command("setsimpleonoff", "11324 0716524-1", {"onoff": "3"})
    await client.command("setsimpleonoff", "11324 0716524-1", {"onoff": "2"})  # toggle
    assert unit.switch_on
    unit.present = False
    with pytest.raises(AhaResponseError, match="inval"):
        await client.set_simple_on_off("11324 0716524-1", on=False)
    assert rig.box.commands.count("setsimpleonoff") == 6
    assert rig.box.stale_sid_requests == 0


async def test_thermostat_target_in_half_degrees_and_the_sentinels(rig: Rig) -> None:
    client = rig.client()
    hkr = rig.box.devices["09995 0123456"].hkr
    await client.set_target_temperature("09995 0123456", 22.5)
    assert hkr["tsoll"] == 45
    values = (await client.device_list())["099950123456"].values
    assert (values["hkr_target"], values["hkr_off"], values["hkr_on"]) == (22.5, False, False)
    await client.set_target_temperature("09995 0123456", 8)
    await client.set_target_temperature("09995 0123456", 28)
    assert hkr["tsoll"] == 56
    await client.set_thermostat_off("09995 0123456")
    values = (await client.device_list())["099950123456"].values
    assert hkr["tsoll"] == 253
    assert (values["hkr_target"], values["hkr_off"], values["hkr_on"]) == (None, True, False)
    await client.set_thermostat_on("09995 0123456")
    values = (await client.device_list())["099950123456"].values
    assert hkr["tsoll"] == 254
    assert (values["hkr_target"], values["hkr_off"], values["hkr_on"]) == (None, False, True)
    # outside 8-28 °C nothing is sent
    rig.box.commands.clear()
    for celsius in (7.5, 28.5, float("nan")):
        with pytest.raises(ValueError, match="outside"):
            await client.set_target_temperature("09995 0123456", celsius)
    assert rig.box.commands == []
    # the box refuses other codes; a thermostat out of reach answers "inval"
    with pytest.raises(AhaResponseError, match="HTTP 400"):
        await client.command("sethkrtsoll", "09995 0123456", {"param": "100"})
    rig.box.devices["09995 0123456"].present = False
    with pytest.raises(AhaResponseError, match="inval"):
        await client.set_thermostat_off("09995 0123456")
    assert rig.box.stale_sid_requests == 0


async def test_a_command_after_the_sessions_ended_logs_in_again(rig: Rig) -> None:
    client = rig.client()
    await client.login()
    rig.box.sessions.clear()  # another client on this IP sent a stale SID
    assert await client.set_switch("11657 0067315", on=False) is False
    assert rig.box.logins == 2
    rig.box.failing_commands = {"setswitchon"}
    with pytest.raises(AhaResponseError, match="HTTP 500"):
        await client.set_switch("11657 0067315", on=True)


def test_hkr_encoding() -> None:
    assert [encode_hkr_temperature(c) for c in (8, 8.5, 21, 21.4, 28)] == [16, 17, 42, 43, 56]
    for celsius in (7.9, 28.1, -1, 126.5):
        with pytest.raises(ValueError, match="outside"):
            encode_hkr_temperature(celsius)
