"""The IEC 62056-21 readout session against a scripted fake meter (no wall clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.energy_meters.protocol.iec62056 import (
    BccError,
    Iec62056Error,
    SessionTimeoutError,
)
from custom_components.energy_meters.protocol.iec62056.messages import (
    MODE_B_BAUDRATES,
    MODE_C_BAUDRATES,
    WAKE_UP,
)
from custom_components.energy_meters.protocol.iec62056.session import SessionOptions, read_out

F1 = (Path(__file__).parents[1] / "fixtures" / "iec62056" / "f1_lgz_e350.bin").read_bytes()
STX = F1.index(b"\x02")
IDENT = F1[:STX]
DATA = F1[STX:]


class FakeMeter:
    """A meter behind a half-duplex head, as an Iec62056Transport."""

    def __init__(
        self,
        ident: bytes = IDENT,
        *,
        data: bytes = DATA,
        echo: int = 0,
        can_change_baud: bool = True,
        silent: bool = False,
        cut_data: bool = False,
    ) -> None:
        self.ident, self.data, self.echo = ident, data, echo
        self._can_change = can_change_baud
        self.silent, self.cut_data = silent, cut_data
        self.rx = bytearray()
        self.written: list[bytes] = []
        self.baudrates: list[int] = []
        self.baudrate = 300
        self.meter_baudrate = 300

    @property
    def can_change_baud(self) -> bool:
        return self._can_change

    async def write(self, data: bytes) -> None:
        self.written.append(data)
        for _ in range(self.echo):
            self.rx += data
        if self.silent or not data.startswith((b"/?", b"\x06")):
            return
        if data.startswith(b"/?"):
            self.rx += self.ident
            char = self.ident[4:5].decode()
            if char in MODE_B_BAUDRATES:
                self.meter_baudrate = MODE_B_BAUDRATES[char]
                self.rx += self.data
            elif char not in MODE_C_BAUDRATES:
                self.rx += self.data  # mode A: data follows at 300 Bd
            return
        self.meter_baudrate = MODE_C_BAUDRATES[chr(data[2])]
        self.rx += self.data[:20] if self.cut_data else self.data

    def _take(self, end: int) -> bytes:
        if b"\x02" in self.rx[:end]:  # data is read at the meter's speed only
            assert self.baudrate == self.meter_baudrate
        chunk = bytes(self.rx[:end])
        del self.rx[:end]
        return chunk

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        index = self.rx.find(terminator)
        if index < 0:
            raise TimeoutError
        return self._take(index + len(terminator))

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        if len(self.rx) < count:
            raise TimeoutError
        return self._take(count)

    async def set_baudrate(self, baudrate: int) -> None:
        self.baudrate = baudrate
        self.baudrates.append(baudrate)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def test_mode_c_switches_to_the_offered_speed() -> None:
    meter, sleep = FakeMeter(), Sleeps()
    result = await read_out(meter, sleep=sleep)
    assert meter.written == [b"/?!\r\n", b"\x06040\r\n"]
    assert meter.baudrates == [300, 4800]
    assert result.baudrate == 4800
    assert result.identification.manufacturer == "LGZ"
    assert result.readout.bcc_checked
    assert len(result.readout.data_sets) == 22
    assert sleep.calls == [0.2]


async def test_speed_is_capped_and_can_be_disabled() -> None:
    meter = FakeMeter()
    result = await read_out(meter, SessionOptions(max_baudrate=2400), sleep=Sleeps())
    assert meter.written[1] == b"\x06030\r\n"
    assert result.baudrate == 2400
    meter = FakeMeter()
    result = await read_out(meter, SessionOptions(switch_baudrate=False), sleep=Sleeps())
    assert meter.written[1] == b"\x06000\r\n"
    assert meter.baudrates == [300]


async def test_socket_link_stays_at_sign_on_speed() -> None:
    meter = FakeMeter(can_change_baud=False)
    result = await read_out(meter, sleep=Sleeps())
    assert meter.written[1] == b"\x06000\r\n"  # the meter is asked to stay at 300 Bd
    assert meter.baudrates == []
    assert result.baudrate == 300


async def test_echo_of_request_and_ack_is_ignored() -> None:
    meter = FakeMeter(echo=1)
    result = await read_out(meter, SessionOptions(address="1234"), sleep=Sleeps())
    assert meter.written[0] == b"/?1234!\r\n"
    assert len(result.readout.data_sets) == 22


async def test_endless_echo_is_an_error() -> None:
    meter = FakeMeter(echo=3, silent=True)
    with pytest.raises(Iec62056Error):
        await read_out(meter, sleep=Sleeps())


async def test_mode_a_and_mode_b() -> None:
    meter = FakeMeter(b"/XYZ_meter\r\n")
    result = await read_out(meter, sleep=Sleeps())
    assert meter.written == [b"/?!\r\n"]
    assert meter.baudrates == [300]
    assert result.baudrate == 300
    meter = FakeMeter(b"/ABCEmeter\r\n")
    result = await read_out(meter, sleep=Sleeps())
    assert meter.written == [b"/?!\r\n"]  # mode B: no ACK
    assert meter.baudrates == [300, 9600]
    assert result.baudrate == 9600


async def test_wake_up_and_reaction_delays() -> None:
    meter, sleep = FakeMeter(b"/ISk5MT174-0001\r\n"), Sleeps()
    await read_out(meter, SessionOptions(wake_up=True), sleep=sleep)
    assert meter.written[0] == WAKE_UP
    assert sleep.calls == [1.6, 0.02]  # wake-up pause, then the 20 ms reaction time
    sleep = Sleeps()
    await read_out(FakeMeter(), SessionOptions(reaction_delay=0.5), sleep=sleep)
    assert sleep.calls == [0.5]


async def test_timeouts_and_bad_bcc() -> None:
    with pytest.raises(SessionTimeoutError):
        await read_out(FakeMeter(silent=True), sleep=Sleeps())
    with pytest.raises(SessionTimeoutError):
        await read_out(FakeMeter(cut_data=True), sleep=Sleeps())
    with pytest.raises(BccError):
        await read_out(FakeMeter(data=DATA[:-1] + b"\x00"), sleep=Sleeps())


async def test_mode_e_meter_is_read_in_mode_c() -> None:
    meter = FakeMeter(b"/AUX5\\2SX330\r\n")
    result = await read_out(meter, sleep=Sleeps())
    assert meter.written[1] == b"\x06050\r\n"
    assert result.identification.enhanced == "2"
