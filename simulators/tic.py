"""
Linky TIC meter simulator: pacing, faults, socat pty and TCP transports, CLI.

    python -m simulators.tic --profile standard-mono --tcp 127.0.0.1:7001
    python -m simulators.tic --profile historic-tri --pty /tmp/linky --speed-factor 10 \
        --fault bad_checksum_rate=0.05 --fault garbage_rate=0.1
    python -m simulators.tic --tcp 127.0.0.1:7001 --load-va 3000 --start 2026-03-02T03:00

The home's draw follows a realistic daily curve on the simulated clock (by default the
wall clock); ``--load-va VA`` makes it constant, so counters advance at a known rate
whatever the time of day, and ``--start`` runs the simulated clock from a fixed instant
(Paris time unless an offset is given) at real-time rate instead of the wall clock.

``--pty PATH`` runs ``socat`` to create a pty pair: the integration opens ``PATH``, the
simulator writes to ``PATH.sim``. The simulator watches the speed the reader set on
``PATH`` and, when it differs from the meter's speed, sends what a UART at that speed
would decode (garbage), like a real line. Over TCP (every client gets the same stream,
like ser2net) the reader is assumed to run at the meter's nominal speed.

While running: SIGUSR1 toggles pause (silence, like an unplugged dongle), SIGUSR2 makes
the next frame carry a counter glitch; with ``--commands`` stdin accepts ``pause``,
``resume``, ``glitch [spike|drop|digit]``, ``overrun [s]``, ``set NAME VALUE``, ``stats``,
``unplug [s]`` (the pty disappears for that long, or the TCP server stops listening and
drops its clients: a reader restart; the meter keeps counting) and ``garbage [n]`` (the
next n frames are followed by random bytes).

``--truth-log PATH`` appends every true counter value the meter emits, and every glitched
value sent instead, to a JSON-lines oracle (:mod:`simulators.oracle`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import math
from pathlib import Path
import random
import signal
import time
from typing import TYPE_CHECKING

from custom_components.energy_meters.protocol.tic.framing import TicMode
from custom_components.energy_meters.protocol.tic.horodate import PARIS
from simulators.oracle import GLITCH_KINDS, TruthLog, one_digit_changed, read_commands
from simulators.tic_model import (
    PROFILES,
    ConstantLoad,
    Group,
    LoadProfile,
    MeterModel,
    Profile,
    build_frame,
)
from simulators.tic_transport import (
    Sink,
    SocatPty,
    StreamSink,
    TcpMeterServer,
    uart_mismatch,
)

if TYPE_CHECKING:
    from collections.abc import Callable

OTHER_BAUD = {1200: 9600, 9600: 1200}
FLOAT_FAULTS = ("bad_checksum_rate", "eot_rate", "garbage_rate")
BOOL_FAULTS = ("wrong_speed", "counter_glitch", "degraded_clock")


class SimulatedClock:
    """
    Simulated time from a fixed ``start``, advancing ``rate`` seconds per monotonic second.

    Never reads the wall clock: a simulator driven by it emits the same values whatever
    the time of day it runs at. ``monotonic`` is injectable for tests.
    """

    def __init__(
        self,
        start: datetime,
        *,
        rate: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Anchor ``start`` (aware, or Paris time if naive) at the current monotonic time."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.start = start if start.tzinfo is not None else start.replace(tzinfo=PARIS)
        self.rate = rate
        self._monotonic = monotonic
        self._origin = monotonic()

    def __call__(self) -> datetime:
        """Return the simulated instant now."""
        return self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.rate)


@dataclass(slots=True)
class Glitch:
    """A counter sent with a wrong value (and a valid checksum)."""

    label: str
    true_value: int
    sent_value: int
    kind: str = ""


def is_counter(label: str) -> bool:
    """Whether ``label`` is a cumulative energy counter."""
    return label in {"BASE", "HCHC", "HCHP", "EAST", "EAIT"} or label.startswith(
        ("BBRH", "EASF", "EASD", "ERQ")
    )


def glitch_groups(
    groups: list[Group], rng: random.Random, *, jump: bool, kind: str | None = None
) -> Glitch | None:
    """
    Replace one non-zero counter in ``groups`` (in place) with a wrong value.

    ``kind`` ``spike`` (or ``jump``) adds 900 000 Wh, ``drop`` (or not ``jump``) removes
    1 000 Wh, ``digit`` replaces one digit (tens to ten-thousands) with another: the
    checksum stays valid because the group is encoded afterwards.
    """
    kind = kind or ("spike" if jump else "drop")
    candidates = [
        i
        for i, (label, data, _) in enumerate(groups)
        if is_counter(label) and data.isdigit() and int(data) >= 1000
    ]
    if not candidates:
        return None
    i = rng.choice(candidates)
    label, data, horodate = groups[i]
    true_value = int(data)
    if kind == "digit":
        sent = one_digit_changed(true_value, rng, len(data))
    else:
        sent = (true_value + 900_000) % 1_000_000_000 if kind == "spike" else true_value - 1000
    groups[i] = (label, f"{sent:0{len(data)}d}", horodate)
    return Glitch(label, true_value, sent, kind)


@dataclass(slots=True)
class Faults:
    """Faults to inject; change them at any time, they apply from the next frame."""

    bad_checksum_rate: float = 0.0  # fraction of groups with a wrong checksum
    eot_rate: float = 0.0  # fraction of frames aborted with EOT
    garbage_rate: float = 0.0  # fraction of frames followed by random bytes
    wrong_speed: bool = False  # meter sends at the other mode's speed
    counter_glitch: bool = False  # one-shot: next frame has one wrong counter value
    degraded_clock: bool = False  # lowercase season letters, STGE bit 16


@dataclass(slots=True)
class SimulatorStats:
    """What the simulator actually emitted."""

    frames: int = 0
    short_frames: int = 0
    groups: int = 0
    corrupted_groups: int = 0
    eot_frames: int = 0
    garbage_bursts: int = 0
    garbage_bytes: int = 0
    bytes_sent: int = 0
    glitches: list[Glitch] = field(default_factory=list)


@dataclass(slots=True)
class Emission:
    """One frame (plus any garbage after it) as the meter puts it on the line."""

    data: bytes
    groups: list[Group]
    tx_baud: int
    corrupted: int = 0
    eot: bool = False
    garbage: bytes = b""
    glitch: Glitch | None = None


class TicSimulator:
    """A Linky meter emitting TIC frames, with faults switchable at runtime."""

    def __init__(
        self,
        profile: str | Profile = "standard-mono",
        *,
        seed: int = 0,
        speed_factor: float = 1.0,
        faults: Faults | None = None,
        clock: Callable[[], datetime] | None = None,
        load: LoadProfile | None = None,
        truth: TruthLog | None = None,
    ) -> None:
        """
        Create a simulator.

        ``clock`` returns aware datetimes (default: the wall clock; tests pass their own).
        ``load`` is the home's draw as a function of that clock (default: the model's
        daily curve); tests pass e.g. ``ConstantLoad(3000)``.
        """
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.model = MeterModel(self.profile, seed, load=load)
        self.faults = faults or Faults()
        self.speed_factor = speed_factor
        self.stats = SimulatorStats()
        self._rng = random.Random(seed)
        self._clock = clock or (lambda: datetime.now(PARIS))
        self._running = asyncio.Event()
        self._running.set()
        self._glitch_jump = True
        self._glitch_kind: str | None = None
        self.truth = truth or TruthLog(None)
        self.garbage_frames = 0
        """The next N frames are followed by random bytes (one-shot garbage)."""

    @property
    def mode(self) -> TicMode:
        """TIC mode of the emulated meter."""
        return self.profile.mode

    @property
    def tx_baud(self) -> int:
        """Speed the meter sends at (the other mode's speed under ``wrong_speed``)."""
        baud = self.mode.baudrate
        return OTHER_BAUD[baud] if self.faults.wrong_speed else baud

    @property
    def paused(self) -> bool:
        """Whether the meter is silent."""
        return not self._running.is_set()

    def pause(self) -> None:
        """Go silent at once (mid-frame too), like an unplugged dongle."""
        self._running.clear()

    def resume(self) -> None:
        """Start sending again (with a new frame)."""
        self._running.set()

    def glitch_next_counter(self, *, jump: bool | None = None, kind: str | None = None) -> None:
        """
        Make the next frame carry one wrong counter (+900000 Wh or -1000 Wh).

        ``kind`` (:data:`GLITCH_KINDS`) picks the wrong value instead: a ``digit`` glitch
        changes one digit of the counter.
        """
        if kind is not None and kind not in GLITCH_KINDS:
            raise ValueError(f"unknown glitch {kind!r}")
        if jump is not None:
            self._glitch_jump = jump
        self._glitch_kind = kind
        self.faults.counter_glitch = True

    def trigger_overrun(self, seconds: float = 30.0) -> None:
        """Simulate a current overrun (ADPS / three-phase short-frame bursts)."""
        self.model.overrun_until = self._clock() + timedelta(seconds=seconds)

    def next_emission(self, now: datetime | None = None) -> Emission:
        """Build the next frame (deterministic given the clock and the seed)."""
        faults, rng = self.faults, self._rng
        self.model.degraded_clock = faults.degraded_clock
        groups = self.model.groups(now or self._clock())
        glitch = None
        if faults.counter_glitch:
            true_groups = list(groups)
            glitch = glitch_groups(groups, rng, jump=self._glitch_jump, kind=self._glitch_kind)
            faults.counter_glitch = False
            if self._glitch_kind is None:
                self._glitch_jump = not self._glitch_jump
            self._glitch_kind = None
            self._log_truth(true_groups, glitch)
        else:
            self._log_truth(groups, None)
        eot = faults.eot_rate > 0 and rng.random() < faults.eot_rate
        data, corrupted = build_frame(
            groups, self.mode, rng, bad_checksum_rate=faults.bad_checksum_rate, eot=eot
        )
        garbage = b""
        forced = self.garbage_frames > 0
        self.garbage_frames -= forced
        if forced or (faults.garbage_rate > 0 and rng.random() < faults.garbage_rate):
            noise = bytearray(rng.randbytes(rng.randint(4, 48)))
            noise[rng.randrange(len(noise))] |= 0x80
            garbage = bytes(noise)
        stats = self.stats
        stats.frames += 1
        stats.short_frames += groups[0][0].startswith("ADIR")
        stats.groups += len(groups)
        stats.corrupted_groups += corrupted
        stats.eot_frames += eot
        stats.garbage_bursts += bool(garbage)
        stats.garbage_bytes += len(garbage)
        if glitch is not None:
            stats.glitches.append(glitch)
        return Emission(data + garbage, groups, self.tx_baud, corrupted, eot, garbage, glitch)

    def _log_truth(self, groups: list[Group], glitch: Glitch | None) -> None:
        """Log the true counters of a frame and, if any, the glitched value sent instead."""
        serial = self.profile.serial
        for label, data, _ in groups:
            if is_counter(label) and data.isdigit():
                self.truth.true(serial, label, int(data))
        if glitch is not None:
            self.truth.glitch(serial, glitch.label, glitch.sent_value, glitch.kind)

    def gap_seconds(self, emission: Emission) -> float:
        """Silence after a frame: 16.7-33.4 ms, standard frames at most ~1 per second."""
        line_time = len(emission.data) * 10 / emission.tx_baud
        gap = 0.03 if self.mode is TicMode.HISTORIC else max(0.03, 1.0 - line_time)
        return gap / self.speed_factor

    async def run(self, writer: asyncio.StreamWriter | Sink) -> None:
        """Emit frames forever at line speed (scaled by ``speed_factor``)."""
        sink: Sink = StreamSink(writer) if isinstance(writer, asyncio.StreamWriter) else writer
        loop = asyncio.get_running_loop()
        while True:
            await self._running.wait()
            emission = self.next_emission()
            data, baud = emission.data, emission.tx_baud
            duration = len(data) * 10 / baud / self.speed_factor
            chunks = max(1, math.ceil(duration / 0.02))
            start = loop.time()
            for i in range(chunks):
                if self.paused:
                    break
                # what the reader decodes depends on its speed at that moment
                raw = data[len(data) * i // chunks : len(data) * (i + 1) // chunks]
                rx_baud = sink.receiver_baudrate() or self.mode.baudrate
                if wire := uart_mismatch(raw, baud, rx_baud):
                    await sink.send(wire)
                    self.stats.bytes_sent += len(wire)
                await asyncio.sleep(max(0.0, start + duration * (i + 1) / chunks - loop.time()))
            await asyncio.sleep(self.gap_seconds(emission))


def apply_fault(sim: TicSimulator, spec: str) -> None:
    """Apply ``name[=value]`` (``pause``, ``overrun=30``, ``bad_checksum_rate=0.1``…)."""
    name, _, value = spec.partition("=")
    name = name.strip().replace("-", "_")
    if name in FLOAT_FAULTS:
        rate = float(value)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be within 0..1")
        setattr(sim.faults, name, rate)
    elif name in BOOL_FAULTS:
        setattr(sim.faults, name, value.lower() not in {"0", "false", "no", "off"})
    elif name in {"pause", "paused"}:
        sim.pause()
    elif name == "resume":
        sim.resume()
    elif name == "overrun":
        sim.trigger_overrun(float(value or 30))
    else:
        raise ValueError(f"unknown fault {name!r}")


def handle_command(sim: TicSimulator, line: str) -> str | None:
    """Apply one stdin command; return the reply to print."""
    words = line.split()
    if not words:
        return None
    try:
        if words[0] == "stats":
            return str({k: v for k, v in asdict(sim.stats).items() if k != "glitches"})
        if words[0] == "glitch":
            sim.glitch_next_counter(kind=words[1] if len(words) > 1 else None)
        elif words[0] == "garbage":
            sim.garbage_frames += int(words[1]) if len(words) > 1 else 1
        elif words[0] == "set" and len(words) == 3:
            apply_fault(sim, f"{words[1]}={words[2]}")
        else:
            apply_fault(sim, "=".join(words[:2]))
    except ValueError as err:
        return f"error: {err}"
    return "ok"


class Unplugger:
    """``unplug [s]``: the reader's line goes away for a while, then comes back."""

    def __init__(
        self, sim: TicSimulator, pty: SocatPty | None, server: TcpMeterServer | None
    ) -> None:
        """Act on the pty pair or on the TCP server."""
        self.sim, self.pty, self.server = sim, pty, server
        self.task: asyncio.Task[None] | None = None
        self.unplugs = 0

    def handle(self, line: str) -> str | None:
        """Take ``unplug`` commands; pass the others to :func:`handle_command`."""
        words = line.split()
        if words[:1] != ["unplug"]:
            return handle_command(self.sim, line)
        if self.task is not None and not self.task.done():
            return "error: already unplugged"
        self.task = asyncio.create_task(self._unplug(float(words[1]) if len(words) > 1 else 5.0))
        return "ok"

    async def _unplug(self, seconds: float) -> None:
        self.unplugs += 1
        if self.pty is not None:
            self.sim.pause()  # no write to a pty being torn down
            await asyncio.sleep(0.1)
            await self.pty.stop()
            await asyncio.sleep(seconds)
            await self.pty.start()
            self.pty.set_speed(self.sim.tx_baud)
            self.sim.resume()
        elif self.server is not None:
            await self.server.close()  # ser2net restarted: clients dropped, port closed
            await asyncio.sleep(seconds)
            await self.server.start()


async def _commands(sim: TicSimulator) -> None:
    """Apply commands read from stdin until EOF."""
    await read_commands(lambda line: handle_command(sim, line))


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Run the simulator described by parsed CLI ``args`` until ``stop`` (or SIGTERM)."""
    truth = TruthLog(args.truth_log)
    sim = TicSimulator(
        args.profile,
        seed=args.seed,
        speed_factor=args.speed_factor,
        clock=SimulatedClock(args.start) if args.start is not None else None,
        load=ConstantLoad(args.load_va) if args.load_va is not None else None,
        truth=truth,
    )
    for spec in args.fault:
        apply_fault(sim, spec)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: sim.resume() if sim.paused else sim.pause())
    loop.add_signal_handler(signal.SIGUSR2, sim.glitch_next_counter)
    tasks: list[asyncio.Task[None]] = []
    server: TcpMeterServer | None = None
    pty: SocatPty | None = None
    unplugger: Unplugger | None = None
    try:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            server = await TcpMeterServer(sim, host or "127.0.0.1", int(port)).start()
            print(f"{sim.profile.name}: listening on {server.url}", flush=True)
        else:
            pty = await SocatPty(args.pty).start()
            pty.set_speed(sim.tx_baud)
            print(f"{sim.profile.name}: open {pty.path} (writing to {pty.sim_path})", flush=True)
            tasks.append(asyncio.create_task(sim.run(pty)))
        unplugger = Unplugger(sim, pty, server)
        if args.commands:
            tasks.append(asyncio.create_task(read_commands(unplugger.handle)))
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if unplugger is not None and unplugger.task is not None:
            unplugger.task.cancel()
            await asyncio.gather(unplugger.task, return_exceptions=True)
        if server is not None:
            await server.close()
        if pty is not None:
            await pty.stop()
        truth.close()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
            loop.remove_signal_handler(sig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.tic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="standard-mono")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve every TCP client")
    where.add_argument("--pty", metavar="PATH", help="socat pty pair: readers open PATH")
    parser.add_argument("--speed-factor", type=float, default=1.0, help="faster than real time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--load-va",
        type=float,
        metavar="VA",
        help="constant drawn power instead of the daily curve (counters advance at a known rate)",
    )
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        metavar="ISO-DATETIME",
        help="simulated clock starting at this instant (Paris time if no offset), "
        "running at real-time rate, instead of the wall clock",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="bad_checksum_rate=R, eot_rate=R, garbage_rate=R, wrong_speed, "
        "counter_glitch, degraded_clock, pause, overrun=SECONDS",
    )
    parser.add_argument(
        "--commands", action="store_true", help="read commands from stdin (see above)"
    )
    parser.add_argument(
        "--truth-log",
        type=Path,
        metavar="PATH",
        help="append the true counter values and the glitches sent (JSON lines)",
    )
    args = parser.parse_args(argv)
    if args.speed_factor <= 0:
        parser.error("--speed-factor must be positive")
    try:
        if args.load_va is not None:
            ConstantLoad(args.load_va)
        probe = TicSimulator(args.profile)
        for spec in args.fault:
            apply_fault(probe, spec)
    except ValueError as err:
        parser.error(str(err))
    return args


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
