"""
Wireless M-Bus telegrams for tests and ``scripts/develop``, replayed by wmbusmeters.

wmbusmeters refuses ptys as dongles, so the simulated receiver is a
``simulation_*.txt`` file (lines ``telegram=|HEX|+SECONDS``) that wmbusmeters
replays on its own clock, or ``stdin:hex`` fed by the caller.

The water meters are Sensus iPerl telegrams (plain, no key), built from the
published test telegram of ``src/driver_iperl.cc`` (``1844AE4C4455223368077A55
000000_041389E20100023B0000``: total 123.529 m³) with the meter id and the
32-bit volume register (DIF 04, VIF 13: litres) replaced, so counters advance.
The Kamstrup multical21 telegram (AES, key ``28F64A24988064A079AA2C807D6102AE``)
and the sharky heat telegram are replayed as published: they are a neighbour
the user has not added yet, and a heat meter.

    python -m simulators.wmbus --out config/wmbus/simulation_energy_meters.txt --hours 24

For tests: ``--meter ID:START_L:L_PER_TELEGRAM:INTERVAL_S`` (repeated) picks the meters,
``--rewrite S`` how often the file is rewritten with current counters (atomically: a
running wmbusmeters keeps the file it opened), ``--glitches`` puts wrong telegrams among
the true ones (per meter, every two minutes of replay: a volume of 0, a short telegram
without the volume record, a 99 999.999 m³ spike), and ``--truth-log PATH`` logs every true
volume the files hold and every glitched one (:mod:`simulators.oracle`). wmbusmeters
replays a file from its start each time it (re)starts, so glitches recur after each
start and a true value is logged when it first appears in a file, not when it is sent.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
import signal
import sys
import threading
import time
from typing import Final

from simulators.oracle import TruthLog

IPERL_HEADER: Final = "1844AE4C"
IPERL_TAIL: Final = "68077A55000000"
MULTICAL21_AES: Final = (
    "2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24"
)
MULTICAL21_KEY: Final = "28F64A24988064A079AA2C807D6102AE"
SHARKY_HEAT: Final = (
    "534424232004256092687A370045752235854DEEEA5939FAD81C25FEEF5A23C38FB9168493C563F08DB1"
    "0BAF87F660FBA91296BA2397E8F4220B86D3A192FB51E0BFCF24DCE72118E0C75A9E89F43BDFE370824B"
)


DEMO_EPOCH: Final = 1_767_225_600  # 2026-01-01T00:00:00Z: the demo meters' first telegram
REWRITE_SECONDS: Final = 60.0


def _id_bytes(meter_id: str) -> str:
    if len(meter_id) != 8:
        raise ValueError(f"meter id must have 8 digits: {meter_id!r}")
    return "".join(meter_id[i : i + 2] for i in (6, 4, 2, 0)).upper()


def iperl_telegram(meter_id: str, litres: int, max_flow_lh: int = 0) -> str:
    """Build a plain iPerl water telegram: ``total_m3`` = litres / 1000."""
    if not 0 <= litres < 1 << 31:
        raise ValueError(f"volume out of range: {litres}")
    volume = litres.to_bytes(4, "little").hex().upper()
    flow = max_flow_lh.to_bytes(2, "little").hex().upper()
    return f"{IPERL_HEADER}{_id_bytes(meter_id)}{IPERL_TAIL}0413{volume}023B{flow}"


def short_iperl_telegram(meter_id: str, max_flow_lh: int = 0) -> str:
    """Build an iPerl telegram cut short: no volume record (no ``total_m3`` printed)."""
    flow = max_flow_lh.to_bytes(2, "little").hex().upper()
    return f"12{IPERL_HEADER[2:]}{_id_bytes(meter_id)}{IPERL_TAIL}023B{flow}"


GLITCH_PERIOD: Final = 120
"""Seconds of replay between two glitches of the same kind and meter."""
GLITCH_OFFSETS: Final = {"zero": 35, "short": 75, "spike": 115}
SPIKE_LITRES: Final = 99_999_999
"""A spike's volume (99 999.999 m³: above any true value of the simulated meters)."""


@dataclass(frozen=True, slots=True)
class SimulatedWaterMeter:
    """A water meter: id, start volume (L), litres per telegram, seconds between telegrams."""

    meter_id: str
    start_litres: int
    litres_per_telegram: int
    interval: int


DEV_WATER_METERS: Final = (
    SimulatedWaterMeter("33225544", 123_529, 7, 20),
    SimulatedWaterMeter("12345670", 42_000, 3, 30),
)


def simulation_lines(
    meters: Sequence[SimulatedWaterMeter],
    seconds: int,
    *,
    neighbours: bool = True,
    elapsed: int = 0,
    glitches: bool = False,
    truth: TruthLog | None = None,
) -> list[str]:
    """
    Telegram lines for ``seconds`` of time, in order (``+N`` = seconds since start).

    ``elapsed``: seconds the meters have already been running, so a file written
    later starts from higher counters (a replay restarted by a reload never goes back).
    ``glitches``: wrong telegrams among the true ones (see the module doc); ``truth``
    gets every true volume and every glitch.
    """
    events: list[tuple[int, str]] = []
    for index, meter in enumerate(meters):
        done = elapsed // meter.interval
        for n, at in enumerate(range(0, seconds, meter.interval)):
            litres = meter.start_litres + (done + n) * meter.litres_per_telegram
            events.append((at, iperl_telegram(meter.meter_id, litres)))
            if truth is not None:
                truth.true(meter.meter_id, "total", litres)
        if not glitches:
            continue
        for kind, offset in GLITCH_OFFSETS.items():
            for at in range(offset + 3 * index, seconds, GLITCH_PERIOD):
                if kind == "short":
                    events.append((at, short_iperl_telegram(meter.meter_id)))
                    continue
                wrong = 0 if kind == "zero" else SPIKE_LITRES
                events.append((at, iperl_telegram(meter.meter_id, wrong)))
                if truth is not None:
                    truth.glitch(meter.meter_id, "total", wrong, kind)
    if neighbours:
        events.extend((at, MULTICAL21_AES) for at in range(5, seconds, 60))
        events.extend((at, SHARKY_HEAT) for at in range(10, seconds, 120))
    events.sort(key=lambda event: event[0])
    return [f"telegram=|{hex_}|+{at}" for at, hex_ in events]


def write_simulation(path: Path, lines: Sequence[str]) -> Path:
    """Write a simulation file (its name must start with ``simulation``)."""
    if not path.name.startswith("simulation"):
        raise ValueError("wmbusmeters only replays files named simulation*")
    path.parent.mkdir(parents=True, exist_ok=True)
    # atomically: a wmbusmeters replaying the old file keeps reading the file it opened
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text("\n".join(lines) + "\n", encoding="ascii")
    partial.replace(path)
    return path


def parse_meter(text: str) -> SimulatedWaterMeter:
    """``ID:START_L:L_PER_TELEGRAM:INTERVAL_S`` -> a meter."""
    meter_id, start, step, interval = text.split(":")
    _id_bytes(meter_id)
    return SimulatedWaterMeter(meter_id, int(start), int(step), int(interval))


class _NewOnly(TruthLog):
    """A truth log that records each (meter, value, kind) once, however often files repeat it."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(path)
        self._seen: set[tuple[str, float, str | None]] = set()

    def true(self, meter: str, counter: str, value: float) -> None:
        if (meter, value, None) not in self._seen:
            self._seen.add((meter, value, None))
            self._write(meter, counter, value, None)

    def glitch(self, meter: str, counter: str, value: float, kind: str) -> None:
        if (meter, value, kind) not in self._seen:
            self._seen.add((meter, value, kind))
            self._write(meter, counter, value, kind)


def main(argv: list[str] | None = None) -> int:
    """Write the simulation file, then wait (as a dev simulator process) until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--exit", action="store_true", help="write the file and exit")
    parser.add_argument(
        "--elapsed",
        type=int,
        default=None,
        help="seconds the meters have run (default: since 2026-01-01, from the clock)",
    )
    parser.add_argument("--meter", type=parse_meter, action="append", default=[])
    parser.add_argument("--rewrite", type=float, default=REWRITE_SECONDS)
    parser.add_argument("--no-neighbours", action="store_true")
    parser.add_argument("--glitches", action="store_true")
    parser.add_argument("--truth-log", type=Path)
    args = parser.parse_args(argv)
    seconds = int(args.hours * 3600)
    meters = args.meter or list(DEV_WATER_METERS)
    truth = _NewOnly(args.truth_log) if args.truth_log is not None else None

    def _write() -> Path:
        elapsed = args.elapsed if args.elapsed is not None else int(time.time() - DEMO_EPOCH)
        lines = simulation_lines(
            meters,
            seconds,
            elapsed=elapsed,
            neighbours=not args.no_neighbours,
            glitches=args.glitches,
            truth=truth,
        )
        return write_simulation(args.out, lines)

    path = _write()
    print(f"wM-Bus simulation written to {path}", flush=True)
    if args.exit:
        return 0
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    # rewritten every minute: whenever wmbusmeters (re)starts, it replays current counters
    while not done.wait(args.rewrite):
        _write()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
