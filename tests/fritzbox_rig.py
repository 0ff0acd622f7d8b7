"""
Shared pieces of the FRITZ!Box tests: the fake box on 127.0.0.1 and an entry for it.

The kind is registered here for the tests; listing it in ``kinds.py`` adds it to the
menu, which ``tests/test_config_flow.py`` still expects to hold only ``linky``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_meters.const import CONF_KIND, DOMAIN
from custom_components.energy_meters.fritzbox.kind import FRITZBOX
from custom_components.energy_meters.kinds import KINDS, register_kind, unregister_kind
from simulators.fritzbox import FakeFritzBox, FakeFritzBoxServer, ManualClock

USERNAME = "fritz4711"
PASSWORD = "Geheim-pw-42"
SERIAL = "989BCB0A1B2C"


@pytest.fixture(autouse=True)
def fritzbox_kind() -> Iterator[None]:
    """Register the kind (until kinds.py lists it, see the module docstring)."""
    builtin = FRITZBOX.key in KINDS
    register_kind(FRITZBOX)
    yield
    if not builtin:
        unregister_kind(FRITZBOX.key)


@pytest.fixture(name="box")
async def box_fixture(socket_enabled: None) -> AsyncIterator[FakeFritzBoxServer]:
    """A fake box with the demo devices, on a free port of 127.0.0.1."""
    fake = FakeFritzBox(
        username=USERNAME, password=PASSWORD, clock=ManualClock(), pbkdf2_iterations=(100, 10)
    )
    server = await FakeFritzBoxServer(fake).start()
    yield server
    await server.close()


def entry_for(server: FakeFritzBoxServer, **data: Any) -> MockConfigEntry:
    """A config entry for the fake box."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="FRITZ!Box 127.0.0.1",
        unique_id=SERIAL,
        version=1,
        minor_version=2,
        data={
            CONF_KIND: "fritzbox",
            "host": server.url,
            "username": USERNAME,
            "password": PASSWORD,
            "verify_ssl": False,
            **data,
        },
    )
