"""
The fake FRITZ!Box with faults driven from stdin and an oracle of the energy it reports.

    python -m simulators.fritzbox_faults --listen 127.0.0.1:7201 --username dev \
        --password dev-fritz --truth-log /tmp/box.jsonl --commands

Everything of :mod:`simulators.fritzbox`, plus, one command per stdin line:

* ``radio_loss AIN [N]``: the next N device lists show that plug present with 0 V,
  0 W and 0 Wh (radio loss, HA #55799);
* ``energy_glitch AIN [DELTA_WH]``: the next device list shows that plug's energy
  ``DELTA_WH`` (default 900 000) too high, or too low for a negative delta;
* ``reboot [SECONDS]``: every session ends and the box drops connections for that long.

``--present-only`` leaves out the demo's device that is out of reach. ``--truth-log PATH``
logs the energy (Wh) of every plug as each device list reports it,
and every glitched value sent instead (:mod:`simulators.oracle`). AINs may be given
without their space. Kept apart from :mod:`simulators.fritzbox` so the box itself stays
free of test plumbing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import signal
import sys
from typing import Any

from aiohttp import web

from simulators.fritzbox import (
    FakeFritzBox,
    FakeFritzBoxServer,
    SimDevice,
    demo_devices,
    parse_args as box_args,
)
from simulators.oracle import TruthLog, read_commands

POWERMETER = 1 << 7


@dataclass
class PendingFaults:
    """One-shot faults of the next device lists."""

    radio_loss: dict[str, int] = field(default_factory=dict)
    """AIN -> device lists still to answer with radio loss."""
    energy: dict[str, float] = field(default_factory=dict)
    """AIN -> Wh added to the energy of the next device list."""


class FaultyFritzBox(FakeFritzBox):
    """The fake box, its device list answers bent by :class:`PendingFaults`."""

    def __init__(self, *, truth: TruthLog | None = None, **kwargs: Any) -> None:
        """Build the box (``kwargs`` as :class:`FakeFritzBox`)."""
        super().__init__(**kwargs)
        self.truth = truth or TruthLog(None)
        self.pending = PendingFaults()
        self._reboot: asyncio.Task[None] | None = None

    def device(self, ain: str) -> SimDevice:
        """Return the device with this AIN (spaces optional)."""
        for device in self.devices.values():
            if device.ain.replace(" ", "") == ain.replace(" ", ""):
                return device
        raise ValueError(f"no device {ain!r}")

    async def homeautoswitch(self, request: web.Request) -> web.Response:
        """Answer as the box would, with the pending faults applied to a device list."""
        if request.query.get("switchcmd") != "getdevicelistinfos" or self.offline:
            return await super().homeautoswitch(request)
        lost = set(self.pending.radio_loss)
        deltas = self._bend(lost)
        try:
            response = await super().homeautoswitch(request)
        finally:
            self._unbend(deltas)
        if response.status == 200:
            self._log(deltas, lost)
        return response

    def _bend(self, lost: set[str]) -> dict[str, float]:
        """Apply the pending faults to the devices; return the energy deltas applied."""
        for ain in lost:
            self.devices[ain].radio_loss = True
        deltas, self.pending.energy = self.pending.energy, {}
        for ain, delta in deltas.items():
            self.devices[ain].energy_wh += delta
        return deltas

    def _unbend(self, deltas: dict[str, float]) -> None:
        for ain, delta in deltas.items():
            self.devices[ain].energy_wh -= delta
        for ain, left in list(self.pending.radio_loss.items()):
            self.devices[ain].radio_loss = False
            if left <= 1:
                del self.pending.radio_loss[ain]
            else:
                self.pending.radio_loss[ain] = left - 1

    def _log(self, deltas: dict[str, float], lost: set[str]) -> None:
        for ain, device in self.devices.items():
            if not (device.present and device.functionbitmask & POWERMETER):
                continue
            key = ain.replace(" ", "")
            self.truth.true(key, "energy", int(device.energy_wh))
            if ain in deltas:
                kind = "spike" if deltas[ain] > 0 else "drop"
                self.truth.glitch(key, "energy", int(device.energy_wh + deltas[ain]), kind)
            if ain in lost:
                self.truth.glitch(key, "energy", 0, "radio_loss")

    def handle_command(self, line: str) -> str | None:
        """Apply one stdin command; return the reply."""
        words = line.split()
        if not words:
            return None
        try:
            return self._command(words)
        except ValueError as err:
            return f"error: {err}"

    def _command(self, words: list[str]) -> str:
        if words[0] == "radio_loss" and len(words) >= 2:
            ain = self.device(words[1]).ain
            self.pending.radio_loss[ain] = int(words[2]) if len(words) > 2 else 1
        elif words[0] == "energy_glitch" and len(words) >= 2:
            ain = self.device(words[1]).ain
            self.pending.energy[ain] = float(words[2]) if len(words) > 2 else 900_000.0
        elif words[0] == "reboot":
            if self._reboot is not None and not self._reboot.done():
                return "error: already rebooting"
            self.reboot()
            self.offline = True
            self._reboot = asyncio.create_task(
                self._rebooting(float(words[1]) if len(words) > 1 else 10.0)
            )
        else:
            return f"error: unknown command {' '.join(words)!r}"
        return "ok"

    async def _rebooting(self, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            self.offline = False


async def serve(args: argparse.Namespace) -> None:
    """Run the box until SIGINT/SIGTERM."""
    host, _, port = args.listen.rpartition(":")
    truth = TruthLog(args.truth_log)
    devices = [d for d in demo_devices() if d.present or not args.present_only]
    box = FaultyFritzBox(
        username=args.username,
        password=args.password,
        md5_only=args.md5,
        truth=truth,
        devices=devices,
    )
    server = await FakeFritzBoxServer(box, host or "127.0.0.1", int(port)).start()
    print(f"fake FRITZ!Box (faults): listening on {server.url}", flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    commands = asyncio.create_task(read_commands(box.handle_command)) if args.commands else None
    try:
        await stop.wait()
    finally:
        if commands is not None:
            commands.cancel()
            await asyncio.gather(commands, return_exceptions=True)
        await server.close()
        truth.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the fake box's options, plus ``--truth-log`` and ``--commands``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--truth-log", type=Path)
    extra.add_argument("--commands", action="store_true")
    extra.add_argument("--present-only", action="store_true", help="no device out of reach")
    ours, rest = extra.parse_known_args(argv)
    args = box_args(rest)
    args.truth_log, args.commands = ours.truth_log, ours.commands
    args.present_only = ours.present_only
    return args


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
