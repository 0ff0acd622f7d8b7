"""
The fake FRITZ!Box answers a second, independent client: ``pyfritzhome``.

``pyfritzhome`` is what core ``fritzbox`` uses (pinned in ``requirements_test.txt``
as the benchmarks' peer). If it logs in, lists the devices and reads the values the
fake box holds, the fake box speaks the protocol as a real box does, not only as our
own client expects (an oracle independent of the code under test).
"""

from __future__ import annotations

import asyncio

from pyfritzhome import Fritzhome, LoginError
import pytest

from simulators.fritzbox import FakeFritzBoxServer

from .fritzbox_rig import PASSWORD, USERNAME, box_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _read_with_pyfritzhome(url: str, password: str) -> dict[str, object]:
    fritz = Fritzhome(url, USERNAME, password, ssl_verify=False, timeout=5)
    fritz.login()
    try:
        fritz.update_devices()
        devices = {device.ain: device for device in fritz.get_devices()}
        plug = devices["11657 0067315"]
        thermostat = devices["09995 0123456"]
        return {
            "names": sorted(device.name for device in devices.values()),
            "power_w": plug.power / 1000,
            "energy_wh": plug.energy,
            "voltage_v": plug.voltage / 1000,
            "switch": plug.switch_state,
            "actual": thermostat.actual_temperature,
            "target": thermostat.target_temperature,
            "templates": fritz.has_templates(),
            "triggers": fritz.has_triggers(),
        }
    finally:
        fritz.logout()


async def test_pyfritzhome_reads_the_fake_box(box: FakeFritzBoxServer) -> None:
    read = await asyncio.to_thread(_read_with_pyfritzhome, box.url, PASSWORD)
    fake = box.box
    plug = fake.devices["11657 0067315"]
    hkr = fake.devices["09995 0123456"]
    assert read["names"] == sorted(device.name for device in fake.devices.values())
    assert read["power_w"] == pytest.approx(plug.power_mw / 1000)
    assert read["energy_wh"] == int(plug.energy_wh)
    assert read["voltage_v"] == pytest.approx(plug.voltage_mv / 1000)
    assert read["switch"] is plug.switch_on
    assert read["actual"] == pytest.approx(hkr.hkr["tist"] / 2)
    assert read["target"] == pytest.approx(hkr.hkr["tsoll"] / 2)
    assert read["templates"] is True
    assert read["triggers"] is True
    assert fake.stale_sid_requests == 0
    assert not fake.sessions  # logged out


async def test_pyfritzhome_is_refused_with_a_wrong_password(box: FakeFritzBoxServer) -> None:
    with pytest.raises(LoginError):
        await asyncio.to_thread(_read_with_pyfritzhome, box.url, "wrong")
