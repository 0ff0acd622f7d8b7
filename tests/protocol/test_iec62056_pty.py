"""A readout over a real socat pty pair: a tiny responder plays the meter, baud switch included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os
from pathlib import Path
import shutil
import termios
import tty

import pytest

from custom_components.energy_meters.protocol.iec62056.session import SessionOptions, read_out

F1 = (Path(__file__).parents[1] / "fixtures" / "iec62056" / "f1_lgz_e350.bin").read_bytes()
STX = F1.index(b"\x02")
LIMIT = 20.0  # s: generous bound, never a pace
SPEEDS = {300: termios.B300, 9600: termios.B9600}

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")


class PtyTransport:
    """Minimal Iec62056Transport over a tty file descriptor (test only)."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        self.reader = asyncio.StreamReader()
        self._file = os.fdopen(os.dup(self.fd), "rb", buffering=0)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        protocol = asyncio.StreamReaderProtocol(self.reader)
        self._pipe, _ = await loop.connect_read_pipe(lambda: protocol, self._file)

    @property
    def can_change_baud(self) -> bool:
        return True

    async def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(terminator), seconds)

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(count), seconds)

    async def set_baudrate(self, baudrate: int) -> None:
        termios.tcdrain(self.fd)
        attrs = termios.tcgetattr(self.fd)
        attrs[4] = attrs[5] = SPEEDS[baudrate]
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def speed(self) -> int:
        return int(termios.tcgetattr(self.fd)[4])

    def close(self) -> None:
        self._pipe.close()
        os.close(self.fd)


@pytest.fixture
async def pty_pair(tmp_path: Path) -> AsyncIterator[tuple[PtyTransport, PtyTransport]]:
    client_path, meter_path = tmp_path / "client", tmp_path / "meter"
    proc = await asyncio.create_subprocess_exec(
        "socat",
        f"pty,raw,echo=0,link={client_path}",
        f"pty,raw,echo=0,link={meter_path}",
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(LIMIT):
            while not (client_path.exists() and meter_path.exists()):
                await asyncio.sleep(0.01)
        client, meter = PtyTransport(str(client_path)), PtyTransport(str(meter_path))
        await client.start()
        await meter.start()
        yield client, meter
        client.close()
        meter.close()
    finally:
        proc.terminate()
        await proc.wait()


async def play_meter(meter: PtyTransport, client: PtyTransport) -> list[int]:
    """Answer like an E350 offering 9600 Bd; return the client speeds seen at each step."""
    seen = []
    request = await meter.read_until(b"\n", LIMIT)
    assert request == b"/?!\r\n"
    seen.append(client.speed())
    await meter.write(b"/LGZ5ZMF100AC.M26\r\n")
    ack = await meter.read_exactly(6, LIMIT)
    assert ack == b"\x06050\r\n"
    async with asyncio.timeout(LIMIT):  # the client switches after the ACK has gone out
        while client.speed() != termios.B9600:
            await asyncio.sleep(0.005)
    seen.append(client.speed())
    await meter.write(F1[STX:])
    return seen


async def test_readout_over_a_pty_pair(pty_pair: tuple[PtyTransport, PtyTransport]) -> None:
    client, meter = pty_pair
    responder = asyncio.create_task(play_meter(meter, client))
    result = await read_out(client, SessionOptions(reaction_delay=0.0))
    assert await responder == [termios.B300, termios.B9600]
    assert result.baudrate == 9600
    assert result.readout.bcc_checked
    assert len(result.readout.data_sets) == 22
