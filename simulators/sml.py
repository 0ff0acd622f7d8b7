"""
An SML push source (German eHZ-like info interface, 9600 Bd 8N1).

Every ``period`` seconds one SML file: OpenResponse, GetListResponse (server id, energy
import/export in Wh with scaler, power in W, per-phase voltages), CloseResponse; each
message with its CRC, the file escaped and closed with its CRC (CRC-16/X.25, as
``smllib`` checks it). Faults: ``bad_crc`` (a flipped value byte), ``truncated``.

Run: ``python -m simulators.sml --pty /tmp/sml`` or ``--tcp 127.0.0.1:7401``.

``--truth-log PATH`` logs every energy register pushed (in Wh, 0.1 Wh resolution) and
every glitch for tests (:mod:`simulators.oracle`); ``--commands`` reads one-shot faults for
the next push from stdin: ``glitch spike|drop|digit`` (a wrong 1.8.0 with valid CRCs),
``bad_crc``, ``truncated``, ``garbage`` (random bytes instead of the file).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import random

from custom_components.energy_meters.protocol.dlms.hdlc import crc16_x25
from custom_components.energy_meters.protocol.obis import parse_obis
from simulators.dlms import serve_push
from simulators.oracle import GLITCH_KINDS, TruthLog, read_commands, wrong_value

ESCAPE = b"\x1b\x1b\x1b\x1b"
SERVER_ID = bytes.fromhex("0a01454d480000b8ef15")


def octets(data: bytes) -> bytes:
    """Encode an SML octet string (TL byte counts itself)."""
    if len(data) + 1 < 16:
        return bytes((len(data) + 1,)) + data
    size = len(data) + 2
    return bytes((0x80 | (size >> 4), size & 0x0F)) + data


def unsigned(value: int, size: int) -> bytes:
    """Unsigned of ``size`` bytes."""
    return bytes((0x60 | (size + 1),)) + value.to_bytes(size, "big")


def signed(value: int, size: int) -> bytes:
    """Signed of ``size`` bytes."""
    return bytes((0x50 | (size + 1),)) + value.to_bytes(size, "big", signed=True)


def sml_list(*items: bytes) -> bytes:
    """Encode a list of ``items``."""
    return bytes((0x70 | len(items),)) + b"".join(items)


NONE = b"\x01"


def message(transaction: bytes, tag: int, body: bytes) -> bytes:
    """One SML message with its CRC and end-of-message."""
    head = (
        bytes((0x76,))
        + octets(transaction)
        + unsigned(0, 1)
        + unsigned(0, 1)
        + sml_list(unsigned(tag, 2), body)
    )
    return head + b"\x63" + crc16_x25(head).to_bytes(2, "big") + b"\x00"


def entry(code: str, value: bytes, unit: int | None = None, scaler: int | None = None) -> bytes:
    """Encode a list entry: obis, status, valTime, unit, scaler, value, signature."""
    return sml_list(
        octets(parse_obis(code).to_bytes()),
        NONE,
        NONE,
        unsigned(unit, 1) if unit is not None else NONE,
        signed(scaler, 1) if scaler is not None else NONE,
        value,
        NONE,
    )


def sml_file(messages: bytes) -> bytes:
    """Escape, pad to 4 bytes, close with the end escape and the file CRC."""
    body = messages.replace(ESCAPE, ESCAPE + ESCAPE)
    padding = (-len(body)) % 4
    data = ESCAPE + b"\x01\x01\x01\x01" + body + b"\x00" * padding + ESCAPE + b"\x1a"
    data += bytes((padding,))
    return data + crc16_x25(data).to_bytes(2, "little")


@dataclass
class SmlMeterModel:
    """What the meter pushes (import counts up ``step_wh`` per push)."""

    server_id: bytes = SERVER_ID
    import_dwh: int = 123_456_789  # 0.1 Wh
    step_dwh: int = 100
    export_dwh: int = 1_000
    power_w: int = 456
    voltages_dv: tuple[int, int, int] = (2301, 2298, 2310)
    sequence: int = 0
    truth: TruthLog = field(default_factory=lambda: TruthLog(None))
    glitch: str | None = None
    """One-shot: the next file carries a wrong 1.8.0 of this kind."""
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def file(self) -> bytes:
        """Return the next SML file."""
        self.import_dwh += self.step_dwh
        self.sequence += 1
        meter = self.server_id.hex()
        self.truth.true(meter, "1.8.0", self.import_dwh / 10)
        self.truth.true(meter, "2.8.0", self.export_dwh / 10)
        import_dwh = self.import_dwh
        if self.glitch is not None:
            import_dwh = wrong_value(self.glitch, self.import_dwh, self.rng)
            self.truth.glitch(meter, "1.8.0", import_dwh / 10, self.glitch)
            self.glitch = None
        tid = self.sequence.to_bytes(4, "big")
        entries = [
            entry("1-0:96.50.1*1", octets(b"EMH")),
            entry("1-0:0.0.9", octets(self.server_id)),
            entry("1-0:1.8.0", unsigned(import_dwh, 8), unit=30, scaler=-1),
            entry("1-0:2.8.0", unsigned(self.export_dwh, 8), unit=30, scaler=-1),
            entry("1-0:16.7.0", signed(self.power_w, 4), unit=27, scaler=0),
            *(
                entry(f"1-0:{32 + 20 * i}.7.0", unsigned(v, 2), unit=35, scaler=-1)
                for i, v in enumerate(self.voltages_dv)
            ),
        ]
        open_body = sml_list(NONE, NONE, octets(tid), octets(self.server_id), NONE, NONE)
        list_body = sml_list(
            NONE, octets(self.server_id), NONE, NONE, sml_list(*entries), NONE, NONE
        )
        close_body = sml_list(NONE)
        return sml_file(
            message(tid + b"\x01", 0x0101, open_body)
            + message(tid + b"\x02", 0x0701, list_body)
            + message(tid + b"\x03", 0x0201, close_body)
        )


@dataclass
class SmlFaults:
    """Faults the source can play."""

    bad_crc: bool = False
    truncated: bool = False


class SmlPushSimulator:
    """Builds the pushes; ``pushes`` counts them."""

    def __init__(self, model: SmlMeterModel | None = None, faults: SmlFaults | None = None):
        """Build the source."""
        self.model = model or SmlMeterModel()
        self.faults = faults or SmlFaults()
        self.pushes = 0
        self.oneshot: set[str] = set()
        """Faults of the next push only (``bad_crc``, ``truncated``, ``garbage``)."""

    def next_push(self) -> bytes:
        """Return the next file, faults applied."""
        oneshot, self.oneshot = self.oneshot, set()
        data = self.model.file()
        if self.faults.bad_crc or "bad_crc" in oneshot:
            data = data[:60] + bytes((data[60] ^ 0x01,)) + data[61:]
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
        elif words[0] in ("bad_crc", "truncated", "garbage"):
            self.oneshot.add(words[0])
        else:
            return f"error: unknown command {words[0]!r}"
        return "ok"


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--pty", type=Path)
    parser.add_argument("--tcp", help="host:port")
    parser.add_argument("--period", type=float, default=2.0)
    parser.add_argument("--truth-log", type=Path, help="oracle file (JSON lines)")
    parser.add_argument("--commands", action="store_true", help="one-shot faults on stdin")
    args = parser.parse_args()
    sim = SmlPushSimulator(SmlMeterModel(truth=TruthLog(args.truth_log)))
    if args.commands:
        commands = asyncio.create_task(read_commands(sim.handle_command))
        commands.add_done_callback(lambda _task: None)
    await serve_push(sim.next_push, args.period, args.pty, args.tcp or "127.0.0.1:7401")


if __name__ == "__main__":
    asyncio.run(_main())
