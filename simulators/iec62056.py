"""
An IEC 62056-21 mode C meter (L+G E350-like) on a pty or TCP: sign-on, baud switch, readout.

The meter waits for ``/?!`` at 300 Bd, answers its identification (baud character 5:
9600 Bd), waits for the ACK / option select and switches to the speed asked for, then
sends a BCC-checked data message and returns to 300 Bd. On a pty it sees the speed the
client set: bytes sent at one speed and read at another come out garbled (the UART model
of :mod:`simulators.tic_transport`), so a client that does not switch reads nothing.

Faults: ``echo`` (a half-duplex head: every byte the client sends comes back),
``refuse_switch`` (ACKed, but the meter stays at 300 Bd), ``bad_bcc``, ``truncated``
(the data message stops half-way), ``silent`` (never answers).

Run: ``python -m simulators.iec62056 --pty /tmp/iec --serial 12345678`` or ``--tcp 127.0.0.1:7201``.

``--truth-log PATH`` logs every energy register sent (and glitches) for tests
(:mod:`simulators.oracle`); ``--commands`` reads one-shot faults for the next readout from
stdin: ``glitch spike|drop|digit`` (a wrong 1.8.0 with a valid BCC), ``bad_bcc``,
``truncated``, ``garbage`` (random bytes instead of the data message).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import xor
from pathlib import Path
import random

from simulators.iec62056_port import MeterPort, PtyPort, StreamPort
from simulators.oracle import GLITCH_KINDS, TruthLog, read_commands, wrong_value
from simulators.tic_transport import uart_mismatch

BAUD_CHARS = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
ACK_TIMEOUT = 2.0  # s the meter waits for the option select before dropping the session


@dataclass
class IecFaults:
    """Faults the meter can play."""

    echo: bool = False
    refuse_switch: bool = False
    bad_bcc: bool = False
    truncated: bool = False
    silent: bool = False


@dataclass
class IecMeterModel:
    """What the meter measures (a readout counts up ``import_step_kwh`` each time)."""

    serial: str = "12345678"
    manufacturer: str = "LGZ"
    baud_char: str = "5"
    ident: str = "ZMD3104100.B32"
    import_kwh: Decimal = Decimal("1234.567")
    import_step_kwh: Decimal = Decimal("0.010")
    export_kwh: Decimal = Decimal("10.000")
    power_kw: Decimal = Decimal("1.234")
    voltages: tuple[str, str, str] = ("230.1", "229.8", "231.0")
    currents: tuple[str, str, str] = ("1.23", "0.87", "2.01")
    frequency: str = "50.01"
    extra_lines: list[str] = field(default_factory=list)
    truth: TruthLog = field(default_factory=lambda: TruthLog(None))
    glitch: str | None = None
    """One-shot: the next data block carries a wrong 1.8.0 of this kind."""
    oneshot: set[str] = field(default_factory=set)
    """One-shot faults of the next readout (``bad_bcc``, ``truncated``, ``garbage``)."""
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def identification(self) -> bytes:
        """``/LGZ5ZMD…`` CR LF."""
        return f"/{self.manufacturer}{self.baud_char}{self.ident}\r\n".encode("ascii")

    def data_block(self) -> bytes:
        """Return the data lines, ``!`` line included."""
        self.import_kwh += self.import_step_kwh
        registers = {
            "1.8.0": f"{self.import_kwh:010.3f}",
            "1.8.1": f"{self.import_kwh * Decimal('0.6'):010.3f}",
            "1.8.2": f"{self.import_kwh * Decimal('0.4'):010.3f}",
            "2.8.0": f"{self.export_kwh:010.3f}",
        }
        for code, text in registers.items():
            self.truth.true(self.serial, code, int(Decimal(text) * 1000))
        if self.glitch is not None:
            true_wh = int(Decimal(registers["1.8.0"]) * 1000)
            sent = wrong_value(self.glitch, true_wh, self.rng)
            registers["1.8.0"] = f"{Decimal(sent) / 1000:010.3f}"
            self.truth.glitch(self.serial, "1.8.0", sent, self.glitch)
            self.glitch = None
        lines = [
            "F.F(00000000)",
            f"C.1.0({self.serial})",
            f"0.0.0({self.serial})",
            *(f"{code}({text}*kWh)" for code, text in registers.items()),
            f"16.7.0({self.power_kw:06.3f}*kW)",
            *(f"{c}.7({v}*V)" for c, v in zip((32, 52, 72), self.voltages, strict=True)),
            *(f"{c}.7({v}*A)" for c, v in zip((31, 51, 71), self.currents, strict=True)),
            f"14.7({self.frequency}*Hz)",
            "0.9.1(123456)",
            *self.extra_lines,
            "!",
        ]
        return "".join(f"{line}\r\n" for line in lines).encode("ascii")


def data_message(block: bytes, *, bad_bcc: bool = False) -> bytes:
    """``STX block ETX BCC`` (BCC over block + ETX)."""
    bcc = reduce(xor, block + b"\x03", 0)
    return b"\x02" + block + b"\x03" + bytes(((bcc ^ 0x55) if bad_bcc else bcc,))


class IecMeterSimulator:
    """Plays the meter on one port; ``readouts`` counts complete data messages sent."""

    def __init__(
        self,
        model: IecMeterModel | None = None,
        faults: IecFaults | None = None,
        *,
        reaction: float = 0.05,
    ) -> None:
        """Build the meter."""
        self.model = model or IecMeterModel()
        self.faults = faults or IecFaults()
        self.reaction = reaction
        self.speed = 300
        self.readouts = 0
        self.sign_ons = 0
        self._inbox = bytearray()
        self._data = asyncio.Event()
        self._awaiting_ack = False
        self._closed = False

    async def _pump(self, port: MeterPort) -> None:
        while data := await port.read():
            if self.faults.echo:
                await port.write(data)  # the head sees its own light (at the client's speed)
            client = port.client_baudrate()
            if client is not None and client != self.speed and not self._sent_before_switch(data):
                data = uart_mismatch(data, client, self.speed)
            self._inbox += data
            self._data.set()
        self._closed = True  # the client left: wake the session up
        self._data.set()

    def _sent_before_switch(self, data: bytes) -> bool:
        """
        Whether ``data`` is the ACK the client sent at our speed just before switching.

        A client switches right after its ACK has left the UART; on a pty we look at its
        speed only when the bytes reach us, and it may have switched by then. The ACK
        still went out at the sign-on speed, so it is read as sent.
        """
        return self._awaiting_ack and data.startswith(b"\x06") and data.endswith(b"\r\n")

    async def _line(self, timeout: float | None) -> bytes | None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while (end := self._inbox.find(b"\n")) < 0:
                if self._closed:
                    return None
                self._data.clear()
                await self._data.wait()
        line = bytes(self._inbox[: end + 1])
        del self._inbox[: end + 1]
        return line

    async def _send(self, port: MeterPort, data: bytes) -> None:
        client = port.client_baudrate()
        if client is not None and client != self.speed:
            data = uart_mismatch(data, self.speed, client)
        await port.write(data)

    async def serve(self, port: MeterPort) -> None:
        """Answer sign-ons on ``port`` until it closes."""
        pump = asyncio.create_task(self._pump(port))
        try:
            while not pump.done():
                await self._session(port)
        finally:
            pump.cancel()

    async def _session(self, port: MeterPort) -> None:
        self.speed = 300
        line = await self._line(None)
        if line is None or b"/?" not in line or not line.rstrip().endswith(b"!"):
            return  # noise, a break message, half a request
        if self.faults.silent:
            return
        self.sign_ons += 1
        await asyncio.sleep(self.reaction)
        await self._send(port, self.model.identification())
        self._awaiting_ack = True
        try:
            ack = await self._line(ACK_TIMEOUT)
        except TimeoutError:
            return
        finally:
            self._awaiting_ack = False
        if ack is None or len(ack) < 6 or ack[-6] != 0x06:
            return
        wanted = BAUD_CHARS.get(chr(ack[-4]), 300)
        if not self.faults.refuse_switch:
            self.speed = wanted
        for _ in range(100):  # the client switches within the meter's reaction time (<= 1.5 s)
            await asyncio.sleep(0.015)
            if port.client_baudrate() in (None, wanted):
                break
        await asyncio.sleep(0.2)  # tr >= 200 ms before the data at the new speed
        oneshot, self.model.oneshot = self.model.oneshot, set()
        bad_bcc = self.faults.bad_bcc or "bad_bcc" in oneshot
        message = data_message(self.model.data_block(), bad_bcc=bad_bcc)
        truncated = self.faults.truncated or "truncated" in oneshot
        if truncated:
            message = message[: len(message) // 2]
        if "garbage" in oneshot:
            message = bytes(b | 0x80 for b in self.model.rng.randbytes(len(message)))
        await self._send(port, message)
        if not truncated:
            self.readouts += 1
        self._inbox.clear()


ONESHOT_FAULTS = frozenset({"bad_bcc", "truncated", "garbage"})


def handle_command(model: IecMeterModel, line: str) -> str | None:
    """Apply one stdin command to the next readout; return the reply."""
    words = line.split()
    if not words:
        return None
    if words[0] == "glitch":
        kind = words[1] if len(words) > 1 else "spike"
        if kind not in GLITCH_KINDS:
            return f"error: unknown glitch {kind!r}"
        model.glitch = kind
    elif words[0] in ONESHOT_FAULTS:
        model.oneshot.add(words[0])
    else:
        return f"error: unknown command {words[0]!r}"
    return "ok"


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--pty", type=Path)
    parser.add_argument("--tcp", help="host:port")
    parser.add_argument("--serial", default="12345678")
    for fault in ("echo", "refuse_switch", "bad_bcc", "truncated", "silent"):
        parser.add_argument(f"--{fault.replace('_', '-')}", action="store_true")
    parser.add_argument("--truth-log", type=Path, help="oracle file (JSON lines)")
    parser.add_argument("--commands", action="store_true", help="one-shot faults on stdin")
    args = parser.parse_args()
    faults = IecFaults(**{f: getattr(args, f) for f in IecFaults.__dataclass_fields__})
    model = IecMeterModel(serial=args.serial, truth=TruthLog(args.truth_log))
    if args.commands:
        commands = asyncio.create_task(read_commands(lambda line: handle_command(model, line)))
        commands.add_done_callback(lambda _task: None)
    if args.pty:
        async with PtyPort(args.pty) as port:
            await IecMeterSimulator(model, faults).serve(port)
        return
    host, _, tcp_port = (args.tcp or "127.0.0.1:7201").rpartition(":")
    meter = IecMeterSimulator(model, faults)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await IecMeterSimulator(meter.model, faults).serve(StreamPort(reader, writer))
        writer.close()

    server = await asyncio.start_server(client, host, int(tcp_port))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main())
