"""
Shared pieces of the optical tests: the kind registered, short probe bounds, a pty line.

The kind is registered here for the tests until ``kinds.py`` lists it. Every meter is
played by a simulator on a real socat pty; timeouts are upper bounds only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import contextlib
from pathlib import Path
import shutil
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_meters.const import CONF_BAUDRATE, CONF_DEVICE, CONF_KIND, DOMAIN
from custom_components.energy_meters.kinds import KINDS, register_kind, unregister_kind
from custom_components.energy_meters.optical import (
    coordinator as optical_coordinator,
    flow as optical_flow,
)
from custom_components.energy_meters.optical.const import (
    CONF_BYTESIZE,
    CONF_IDENTITY,
    CONF_KEY,
    CONF_PARITY,
    CONF_PROTOCOL,
    CONF_SWITCH_BAUDRATE,
)
from custom_components.energy_meters.optical.kind import OPTICAL
from custom_components.energy_meters.protocol.iec62056.session import SessionOptions
from custom_components.energy_meters.protocol.optical import transport as optical_transport
from simulators.dlms import TEST_KEY, push_forever
from simulators.iec62056 import IecMeterSimulator
from simulators.iec62056_port import PtyPort

FAST = SessionOptions(identification_timeout=2.0, data_timeout=3.0, reaction_delay=0.0)
LIMIT = 30.0  # s, an upper bound for anything a test waits for
IEC_SERIAL = "12345678"
DLMS_NAME = "LGZ1030655933512"
SML_SERVER = "0A01454D480000B8EF15"

needs_socat = pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")


@pytest.fixture(autouse=True)
def optical_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the kind; shorten the probe and the readout timeouts."""
    builtin = OPTICAL.key in KINDS
    register_kind(OPTICAL)
    monkeypatch.setattr(optical_flow, "LISTEN_SECONDS", 0.4)
    monkeypatch.setattr(optical_flow, "IEC_OPTIONS", FAST)
    monkeypatch.setattr(optical_coordinator.IecCoordinator, "session_options", FAST)
    monkeypatch.setattr(optical_transport, "RETRY_PAUSE", 0.2)  # the simulator needs none
    yield
    if not builtin:
        unregister_kind(OPTICAL.key)


@pytest.fixture(name="line")
async def line_fixture(tmp_path: Path) -> AsyncIterator[PtyPort]:
    """A socat pty pair: the integration opens ``line.path``, a simulator plays the meter."""
    async with PtyPort(tmp_path / "line") as port:
        yield port


class Player:
    """Runs one simulator task on a line at a time."""

    def __init__(self) -> None:
        """Nothing plays yet."""
        self.task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        """Stop the current simulator."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def play(self, coro: Awaitable[None]) -> None:
        """Replace the current simulator."""
        await self.stop()
        self.task = asyncio.ensure_future(coro)

    async def iec(self, port: PtyPort, meter: IecMeterSimulator) -> IecMeterSimulator:
        """Play an IEC meter."""
        await self.play(meter.serve(port))
        return meter

    async def push(self, port: PtyPort, make: Callable[[], bytes], period: float = 0.1) -> None:
        """Push ``make()`` every ``period`` seconds."""
        await self.play(push_forever(port.write, make, period))


@pytest.fixture(name="player")
async def player_fixture() -> AsyncIterator[Player]:
    """A simulator player, stopped at the end."""
    playing = Player()
    yield playing
    await playing.stop()


def iec_entry(port: str, **data: Any) -> MockConfigEntry:
    """An IEC 62056-21 entry for the simulator's meter."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"IEC 62056-21 {IEC_SERIAL[-4:]}",
        unique_id=IEC_SERIAL,
        version=1,
        minor_version=2,
        data={
            CONF_KIND: "optical",
            CONF_DEVICE: port,
            CONF_PROTOCOL: "iec",
            CONF_IDENTITY: IEC_SERIAL,
            CONF_BAUDRATE: 300,
            CONF_BYTESIZE: 7,
            CONF_PARITY: "E",
            CONF_SWITCH_BAUDRATE: True,
            **data,
        },
    )


def push_entry(port: str, protocol: str, identity: str, **data: Any) -> MockConfigEntry:
    """A DLMS (2400 8E1, test key) or SML (9600 8N1) entry."""
    dlms = protocol == "dlms"
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{protocol} {identity}",
        unique_id=identity,
        version=1,
        minor_version=2,
        data={
            CONF_KIND: "optical",
            CONF_DEVICE: port,
            CONF_PROTOCOL: protocol,
            CONF_IDENTITY: identity,
            CONF_BAUDRATE: 2400 if dlms else 9600,
            CONF_BYTESIZE: 8,
            CONF_PARITY: "E" if dlms else "N",
            **({CONF_KEY: TEST_KEY.hex().upper()} if dlms else {}),
            **data,
        },
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = LIMIT) -> None:
    """Wait for ``predicate`` (an upper bound, never a pace)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)
