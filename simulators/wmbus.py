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
) -> list[str]:
    """
    Telegram lines for ``seconds`` of time, in order (``+N`` = seconds since start).

    ``elapsed``: seconds the meters have already been running, so a file written
    later starts from higher counters (a replay restarted by a reload never goes back).
    """
    events: list[tuple[int, str]] = []
    for meter in meters:
        done = elapsed // meter.interval
        for n, at in enumerate(range(0, seconds, meter.interval)):
            litres = meter.start_litres + (done + n) * meter.litres_per_telegram
            events.append((at, iperl_telegram(meter.meter_id, litres)))
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
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


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
    args = parser.parse_args(argv)
    seconds = int(args.hours * 3600)

    def _write() -> Path:
        elapsed = args.elapsed if args.elapsed is not None else int(time.time() - DEMO_EPOCH)
        lines = simulation_lines(DEV_WATER_METERS, seconds, elapsed=elapsed)
        return write_simulation(args.out, lines)

    path = _write()
    print(f"wM-Bus simulation written to {path}", flush=True)
    if args.exit:
        return 0
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    # rewritten every minute: whenever wmbusmeters (re)starts, it replays current counters
    while not done.wait(REWRITE_SECONDS):
        _write()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
