"""
A DLMS/COSEM push source (E450-like customer interface): ciphered DataNotifications in HDLC.

Every ``period`` seconds the meter pushes a DataNotification (flat ``obis, value,
{scaler, unit}`` runs, logical device name first) enciphered with general-glo-ciphering
(AES-128-GCM, encryption only, or authenticated with ``authentication_key``), split
into HDLC segments with 2-byte addresses. Faults: ``wrong_key`` (ciphered with another
key), ``truncated`` (half a frame), ``bad_fcs`` (a flipped byte in every frame).

Run: ``python -m simulators.dlms --pty /tmp/dlms`` or ``--tcp 127.0.0.1:7301``.

``--truth-log PATH`` logs every energy register pushed (and glitches) for tests
(:mod:`simulators.oracle`); ``--commands`` reads one-shot faults for the next push from
stdin: ``glitch spike|drop|digit`` (a wrong 1.8.0, ciphered and checked like any push),
``bad_fcs``, ``truncated``, ``wrong_key``, ``garbage`` (random bytes instead of the push).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
import random

from custom_components.energy_meters.protocol.dlms.cipher import encipher_glo
from custom_components.energy_meters.protocol.dlms.hdlc import HdlcFrame, encode_frame
from custom_components.energy_meters.protocol.obis import parse_obis
from simulators.iec62056_port import PtyPort
from simulators.oracle import GLITCH_KINDS, TruthLog, read_commands, wrong_value

TEST_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
"""The simulator's encryption key (the Green Book example key)."""
OTHER_KEY = bytes.fromhex("F0E0D0C0B0A090807060504030201000")
SYSTEM_TITLE = b"LGZ" + bytes.fromhex("0000BC614E")
SEGMENT = 120  # bytes of APDU per HDLC frame


@dataclass
class DlmsFaults:
    """Faults the push source can play."""

    wrong_key: bool = False
    truncated: bool = False
    bad_fcs: bool = False


def _octets(data: bytes) -> bytes:
    return bytes((0x09, len(data))) + data


def _obis(code: str) -> bytes:
    return _octets(parse_obis(code).to_bytes())


def _u32(value: int) -> bytes:
    return b"\x06" + value.to_bytes(4, "big")


def _u16(value: int) -> bytes:
    return b"\x12" + value.to_bytes(2, "big")


def _i32(value: int) -> bytes:
    return b"\x05" + value.to_bytes(4, "big", signed=True)


def _scaler_unit(scaler: int, unit: int) -> bytes:
    return b"\x02\x02\x0f" + scaler.to_bytes(1, "big", signed=True) + b"\x16" + bytes((unit,))


@dataclass
class DlmsMeterModel:
    """What the meter pushes (energies count up ``step_wh`` per push)."""

    name: str = "LGZ1030655933512"
    import_wh: int = 1_234_567
    export_wh: int = 10_000
    step_wh: int = 10
    power_w: int = 1234
    voltages_dv: tuple[int, int, int] = (2301, 2298, 2310)  # 0.1 V
    currents_ca: tuple[int, int, int] = (123, 87, 201)  # 0.01 A
    frequency_chz: int = 5001  # 0.01 Hz
    invocation_counter: int = 1
    extra: list[bytes] = field(default_factory=list)
    truth: TruthLog = field(default_factory=lambda: TruthLog(None))
    glitch: str | None = None
    """One-shot: the next push carries a wrong 1.8.0 of this kind."""
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def notification(self) -> bytes:
        """One plain DataNotification (tag 0x0F, no date-time)."""
        self.import_wh += self.step_wh
        self.truth.true(self.name, "1.8.0", self.import_wh)
        self.truth.true(self.name, "2.8.0", self.export_wh)
        import_wh = self.import_wh
        if self.glitch is not None:
            import_wh = wrong_value(self.glitch, self.import_wh, self.rng)
            self.truth.glitch(self.name, "1.8.0", import_wh, self.glitch)
            self.glitch = None
        runs = [
            _obis("0-0:42.0.0"),
            _octets(self.name.encode("ascii")),
            _obis("1-0:1.8.0"),
            _u32(import_wh),
            _scaler_unit(0, 30),
            _obis("1-0:2.8.0"),
            _u32(self.export_wh),
            _scaler_unit(0, 30),
            _obis("1-0:1.7.0"),
            _i32(self.power_w),
            _scaler_unit(0, 27),
        ]
        for phase, (voltage, current) in enumerate(
            zip(self.voltages_dv, self.currents_ca, strict=True)
        ):
            runs += [_obis(f"1-0:{32 + 20 * phase}.7.0"), _u16(voltage), _scaler_unit(-1, 35)]
            runs += [_obis(f"1-0:{31 + 20 * phase}.7.0"), _u16(current), _scaler_unit(-2, 33)]
        runs += [_obis("1-0:14.7.0"), _u16(self.frequency_chz), _scaler_unit(-2, 44)]
        runs += self.extra
        body = bytes((0x02, len(runs))) + b"".join(runs)
        return b"\x0f" + (1).to_bytes(4, "big") + b"\x00" + body


def hdlc_frames(apdu: bytes, *, segment: int = SEGMENT) -> list[bytes]:
    """Split an APDU (LLC header added) into HDLC UI frames, 2-byte source address."""
    message = b"\xe6\xe7\x00" + apdu
    parts = [message[i : i + segment] for i in range(0, len(message), segment)]
    return [
        encode_frame(
            HdlcFrame(0x01, 0x1001, 0x13, part, segmented=i < len(parts) - 1),
            source_size=2,
        )
        for i, part in enumerate(parts)
    ]


class DlmsPushSimulator:
    """Builds the meter's pushes; ``pushes`` counts them."""

    def __init__(
        self,
        model: DlmsMeterModel | None = None,
        faults: DlmsFaults | None = None,
        *,
        key: bytes | None = TEST_KEY,
        authentication_key: bytes | None = None,
    ) -> None:
        """Build the source; ``key=None`` pushes plaintext."""
        self.model = model or DlmsMeterModel()
        self.faults = faults or DlmsFaults()
        self.key = key
        self.authentication_key = authentication_key
        self.pushes = 0
        self.oneshot: set[str] = set()
        """Faults of the next push only (``bad_fcs``, ``truncated``, ``wrong_key``, ``garbage``)."""

    def next_push(self) -> bytes:
        """Return the bytes of the next push (every HDLC frame of it)."""
        oneshot, self.oneshot = self.oneshot, set()
        apdu = self.model.notification()
        if self.key is not None:
            self.model.invocation_counter += 1
            wrong_key = self.faults.wrong_key or "wrong_key" in oneshot
            apdu = encipher_glo(
                apdu,
                system_title=SYSTEM_TITLE,
                invocation_counter=self.model.invocation_counter,
                key=OTHER_KEY if wrong_key else self.key,
                authentication_key=self.authentication_key,
            )
        frames = hdlc_frames(apdu)
        if self.faults.bad_fcs or "bad_fcs" in oneshot:
            frames = [f[:10] + bytes((f[10] ^ 0x20,)) + f[11:] for f in frames]
        data = b"".join(frames)
        if self.faults.truncated or "truncated" in oneshot:
            data = data[: len(data) // 2]
        if "garbage" in oneshot:
            data = self.model.rng.randbytes(len(data))
        self.pushes += 1
        return data

    def handle_command(self, line: str) -> str | None:
        """Apply one stdin command to the next push; return the reply."""
        words = line.split()
        if not words:
            return None
        if words[0] == "glitch":
            kind = words[1] if len(words) > 1 else "spike"
            if kind not in GLITCH_KINDS:
                return f"error: unknown glitch {kind!r}"
            self.model.glitch = kind
        elif words[0] in ("bad_fcs", "truncated", "wrong_key", "garbage"):
            self.oneshot.add(words[0])
        else:
            return f"error: unknown command {words[0]!r}"
        return "ok"


async def push_forever(
    send: Callable[[bytes], Awaitable[None]], make: Callable[[], bytes], period: float
) -> None:
    """Send ``make()`` every ``period`` seconds."""
    while True:
        await send(make())
        await asyncio.sleep(period)


async def serve_push(
    make: Callable[[], bytes], period: float, pty: Path | None, tcp: str | None
) -> None:
    """Push on a pty pair or to every TCP client."""
    if pty is not None:
        async with PtyPort(pty) as port:
            await push_forever(port.write, make, period)
        return
    host, _, tcp_port = (tcp or "127.0.0.1:7301").rpartition(":")
    clients: set[asyncio.StreamWriter] = set()

    async def client(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.add(writer)

    async def broadcast(data: bytes) -> None:
        for writer in list(clients):
            if writer.is_closing():
                clients.discard(writer)
                continue
            writer.write(data)

    server = await asyncio.start_server(client, host, int(tcp_port))
    async with server:
        await push_forever(broadcast, make, period)


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--pty", type=Path)
    parser.add_argument("--tcp", help="host:port")
    parser.add_argument("--period", type=float, default=5.0)
    parser.add_argument("--plain", action="store_true", help="no ciphering")
    for fault in ("wrong_key", "truncated", "bad_fcs"):
        parser.add_argument(f"--{fault.replace('_', '-')}", action="store_true")
    parser.add_argument("--truth-log", type=Path, help="oracle file (JSON lines)")
    parser.add_argument("--commands", action="store_true", help="one-shot faults on stdin")
    args = parser.parse_args()
    faults = DlmsFaults(**{f: getattr(args, f) for f in DlmsFaults.__dataclass_fields__})
    model = DlmsMeterModel(truth=TruthLog(args.truth_log))
    sim = DlmsPushSimulator(model, faults=faults, key=None if args.plain else TEST_KEY)
    if args.commands:
        commands = asyncio.create_task(read_commands(sim.handle_command))
        commands.add_done_callback(lambda _task: None)
    await serve_push(sim.next_push, args.period, args.pty, args.tcp)


if __name__ == "__main__":
    asyncio.run(_main())
