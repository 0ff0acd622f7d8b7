"""IEC 62056-21 readout latency over a real socat pty, against the line-rate floor.

Run from the repository root: ``python benchmarks/bench_readout_latency.py [--runs 3]``.

The client is the integration's own path: :class:`SerialSession` on the pty (300 Bd
7E1, carried as 8N1 on a pty), one ``exclusive()`` exchange, and
:func:`~custom_components.energy_meters.protocol.iec62056.session.read_out` (request,
identification, 200 ms wait before the ACK for a meter with an upper-case third letter,
ACK / option select, baud switch after the drain, data message up to ETX + BCC, BCC
check, parse). The meter is a tiny responder written here on the pty's other end; it
answers with fixture F1's data message (L+G E350, 387 bytes from STX to BCC).

Pseudo-terminals do not throttle: bytes written at "300 Bd" arrive at once (checked at
the start: the line below the header). So the baud change makes no timing difference by
itself, and two measurements are made:

* **paced**: the responder models the line. Bytes it receives are taken as arriving
  after their transmission time (10 bits per character at the current speed), it
  answers after the minimum reaction time tr = 200 ms, and it sends paced at the line
  rate (300 Bd for the identification, the negotiated speed for the data). Measured
  latency is compared with the floor = bytes x 10 / baud of every byte exchanged, and
  with floor + the waits the protocol mandates (meter tr before the identification and
  before the data, our 200 ms before the ACK); what remains is our session's overhead.
* **unpaced**: the responder answers at once and unthrottled, with one exception. On a
  pty the serial session itself holds the baud switch for the ACK's line time (6 B at
  300 Bd = 200 ms; tcdrain returns at once on a pty and the switch would flush the ACK),
  and data sent before the switch is flushed by it (as it would be garbled on a real
  line); so after the ACK the responder waits those 200 ms plus the shortest reaction
  time the standard allows (20 ms). The latency is then the protocol session's own cost
  (event loop, serial session, termios baud switch, BCC, parsing) plus those waits and
  our 200 ms before the ACK, shown separately.

Median of ``--runs`` readouts per row (the 300 Bd row: one, it takes 14 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import shutil
import statistics
import sys
import tempfile
import time
import tty

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.energy_meters.protocol.iec62056.messages import (  # noqa: E402
    SIGN_ON_BAUDRATE,
    mode_c_baud_char,
    request_message,
)
from custom_components.energy_meters.protocol.iec62056.session import (  # noqa: E402
    SessionOptions,
    SessionResult,
    read_out,
)
from custom_components.energy_meters.protocol.serial_link import SerialSettings  # noqa: E402
from custom_components.energy_meters.protocol.serial_session import (  # noqa: E402
    SerialChannel,
    SerialSession,
)

F1 = (ROOT / "tests" / "fixtures" / "iec62056" / "f1_lgz_e350.bin").read_bytes()
DATA = F1[F1.index(b"\x02") :]  # STX … ETX BCC
METER_REACTION = 0.2  # s, tr minimum for a meter whose third FLAG letter is upper case
FAST_REACTION = 0.02  # s, the shortest tr the standard allows (unpaced responder, after the ACK)
CLIENT_ACK_WAIT = 0.2  # s, what read_out waits before the ACK for such a meter
BITS = 10  # start + 7 data + parity + stop (7E1); 8N1 is 10 too
CHUNK = 8  # bytes per paced write
LIMIT = 60.0  # s, a bound on any one step, never a pace


def wire(count: int, baud: int) -> float:
    """Seconds ``count`` characters take on the line."""
    return count * BITS / baud


class ChannelTransport:
    """``Iec62056Transport`` over one exclusive exchange of a SerialSession."""

    def __init__(self, channel: SerialChannel) -> None:
        self._channel = channel

    @property
    def can_change_baud(self) -> bool:
        return self._channel.can_change_baud

    async def write(self, data: bytes) -> None:
        await self._channel.write(data)

    async def read_until(self, terminator: bytes, seconds: float) -> bytes:
        return await self._channel.read_until(terminator, seconds)

    async def read_exactly(self, count: int, seconds: float) -> bytes:
        return await self._channel.read_exactly(count, seconds)

    async def set_baudrate(self, baudrate: int) -> None:
        await self._channel.set_baudrate(baudrate)


class MeterEnd:
    """The responder's end of the pty pair (raw, non-blocking, read by the event loop)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        self._buffer = bytearray()
        self._event = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.fd, self._readable)

    def _readable(self) -> None:
        try:
            self._buffer += os.read(self.fd, 4096)
        except BlockingIOError:
            return
        self._event.set()

    async def read_until(self, terminator: bytes) -> bytes:
        async with asyncio.timeout(LIMIT):
            while (end := self._buffer.find(terminator)) < 0:
                self._event.clear()
                await self._event.wait()
        data = bytes(self._buffer[: end + len(terminator)])
        del self._buffer[: end + len(terminator)]
        return data

    async def read_exactly(self, count: int) -> bytes:
        async with asyncio.timeout(LIMIT):
            while len(self._buffer) < count:
                self._event.clear()
                await self._event.wait()
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    async def send(self, data: bytes, baud: int | None) -> None:
        """Write ``data``, paced at ``baud`` (None: all at once)."""
        if baud is None:
            os.write(self.fd, data)
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        for pos in range(0, len(data), CHUNK):
            chunk = data[pos : pos + CHUNK]
            await asyncio.sleep(max(0.0, start + wire(pos + len(chunk), baud) - loop.time()))
            os.write(self.fd, chunk)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


async def play_meter(meter: MeterEnd, ident: bytes, data_baud: int, *, paced: bool) -> None:
    """Answer one readout like an E350 offering ``data_baud``."""
    request = await meter.read_until(b"\n")
    if paced:
        await asyncio.sleep(wire(len(request), SIGN_ON_BAUDRATE) + METER_REACTION)
    await meter.send(ident, SIGN_ON_BAUDRATE if paced else None)
    ack = await meter.read_exactly(6)  # mode C: always an ACK (Z = 0 to stay at 300 Bd)
    if paced:
        await asyncio.sleep(wire(len(ack), SIGN_ON_BAUDRATE) + METER_REACTION)
    else:  # the session holds its switch for the ACK's line time: answer after it
        await asyncio.sleep(wire(len(ack), SIGN_ON_BAUDRATE) + FAST_REACTION)
    await meter.send(DATA, data_baud if paced else None)


IDENT = b"/LGZ" + mode_c_baud_char(9600).encode() + b"ZMF100AC.M26\r\n"
"""Mode C, up to 9600 Bd, upper-case third letter (200 ms reaction time)."""


def floor_seconds(data_baud: int) -> float:
    """Line-rate floor: every byte exchanged, 10 bits each, at its speed."""
    sign_on = len(request_message()) + len(IDENT) + 6  # request, identification, ACK
    return wire(sign_on, SIGN_ON_BAUDRATE) + wire(len(DATA), data_baud)


async def one_readout(
    client_path: Path, meter: MeterEnd, data_baud: int, *, paced: bool
) -> tuple[float, SessionResult]:
    options = SessionOptions(max_baudrate=data_baud, switch_baudrate=data_baud != SIGN_ON_BAUDRATE)
    settings = SerialSettings(SIGN_ON_BAUDRATE, allow_pty_8n1=True)
    async with SerialSession(str(client_path), settings) as session:
        responder = asyncio.create_task(play_meter(meter, IDENT, data_baud, paced=paced))
        start = time.perf_counter()
        async with session.exclusive() as channel:
            result = await read_out(ChannelTransport(channel), options)
        elapsed = time.perf_counter() - start
        await responder
    assert result.readout.bcc_checked
    assert len(result.readout.data_sets) == 22
    assert result.baudrate == data_baud, result.baudrate
    return elapsed, result


async def pty_throttle_check(client_path: Path, meter: MeterEnd) -> tuple[float, float]:
    """Time for DATA written at 300 Bd on the pty to reach the other end, vs the line."""
    settings = SerialSettings(SIGN_ON_BAUDRATE, allow_pty_8n1=True)
    async with (
        SerialSession(str(client_path), settings) as session,
        session.exclusive() as channel,
    ):
        start = time.perf_counter()
        await channel.write(DATA)
        await meter.read_exactly(len(DATA))
        return time.perf_counter() - start, wire(len(DATA), SIGN_ON_BAUDRATE)


async def run(runs: int) -> None:
    socat = shutil.which("socat")
    if socat is None:
        print("socat is not installed: nothing measured")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_iec_"))
    client_path, meter_path = tmp / "client", tmp / "meter"
    proc = await asyncio.create_subprocess_exec(
        socat,
        f"pty,raw,echo=0,link={client_path}",
        f"pty,raw,echo=0,link={meter_path}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(5):
            while not (client_path.exists() and meter_path.exists()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        meter = MeterEnd(meter_path)
        try:
            await report(client_path, meter, runs)
        finally:
            meter.close()
    finally:
        proc.terminate()
        await proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


async def report(client_path: Path, meter: MeterEnd, runs: int) -> None:
    took, line = await pty_throttle_check(client_path, meter)
    print(f"IEC 62056-21 readout latency over a socat pty: F1 data message, {len(DATA)} B")
    print(
        f"pty check: {len(DATA)} B written at 300 Bd arrived in {took * 1000:.1f} ms "
        f"(the line needs {line * 1000:.0f} ms): ptys do not throttle, the floor is modelled"
    )
    header = (
        f"{'case':<28} {'runs':>4} {'measured':>9} {'floor':>8} {'+waits':>8} "
        f"{'overhead':>9} {'vs floor':>8}"
    )
    print(header)
    print("-" * len(header))
    summary: list[str] = []
    for data_baud, paced, count in (
        (9600, True, runs),
        (2400, True, runs),
        (SIGN_ON_BAUDRATE, True, 1),
        (9600, False, max(runs, 5)),
    ):
        samples = [
            (await one_readout(client_path, meter, data_baud, paced=paced))[0] for _ in range(count)
        ]
        measured = statistics.median(samples)
        if paced:
            floor = floor_seconds(data_baud)
            waits = 2 * METER_REACTION + CLIENT_ACK_WAIT
        else:
            floor = 0.0
            waits = CLIENT_ACK_WAIT + wire(6, SIGN_ON_BAUDRATE) + FAST_REACTION
        overhead = measured - floor - waits
        label = f"300/{data_baud} Bd {'paced' if paced else 'unpaced'}"
        ratio = f"{measured / floor:.2f}x" if floor else "n/a"
        print(
            f"{label:<28} {count:>4} {measured * 1000:>7.0f}ms {floor * 1000:>6.0f}ms "
            f"{(floor + waits) * 1000:>6.0f}ms {overhead * 1000:>7.1f}ms {ratio:>8}"
        )
        if paced and data_baud == 9600:
            summary.append(
                f"300/9600 Bd readout {measured:.2f} s = {measured / floor:.2f}x the line-rate "
                f"floor {floor:.2f} s ({measured / (floor + waits):.2f}x floor + mandated "
                f"waits); session overhead {overhead * 1000:.0f} ms"
            )
        if not paced:
            summary.append(f"protocol session alone (unpaced) {overhead * 1000:.0f} ms")
    print()
    print("floor = bytes x 10 / baud (request, identification and ACK at 300 Bd, data at")
    print("the data speed); +waits adds meter tr 200 ms before identification and data and")
    print("our 200 ms before the ACK (unpaced: our 200 ms, the ACK's 200 ms, the meter's 20 ms);")
    print("overhead = measured - floor - waits")
    print("summary: " + "; ".join(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.runs))


if __name__ == "__main__":
    main()
